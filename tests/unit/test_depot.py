"""Depot drops name their sample, keep its catalogue and fill the depot inventory in drop
order (NASA's Three Forks depot: chosen tubes, each dropped one by one). The campaign runs
in-process on the same sequencer as over ROS (aca_sim.campaign.headless)."""

import pytest

from aca_sim.caching.campaign import summary_table
from aca_sim.caching.campaign_file import load_campaign
from aca_sim.caching.inventory import Inventory
from aca_sim.campaign.headless import run_headless

CAMPAIGN = """
samples:
  - {name: Montdenier, kind: rock_core}
  - {name: Atmo 1, kind: atmospheric}
  - {name: Witness 1, kind: witness}
  - {name: Witness 1, kind: depot_drop}
  - {name: Montdenier, kind: depot_drop}
"""


@pytest.fixture(scope="module")
def depot_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("depot")
    campaign = folder / "campaign.yaml"
    campaign.write_text(CAMPAIGN)
    lines = []
    outcomes = run_headless(5, folder / "inventory.db", str(campaign), say=lines.append)
    return folder, outcomes, lines


def test_three_cached_and_two_chosen_dropped_with_their_catalogue(depot_run):
    folder, outcomes, lines = depot_run
    assert [o.sealed for o in outcomes] == [True] * 5, "\n".join(lines)
    table = summary_table(outcomes, 5)
    assert "| Witness 1 | 239 | witness | True | 0.00 | 0 | 1 |" in table
    assert [o.outcome for o in outcomes].count("dropped at the depot") == 2
    assert table.count("| dropped at the depot |") == 2  # the drops read as drops
    inventory = Inventory(folder / "inventory.db")
    try:
        depot = inventory.depot()
        assert [(d.drop_order, d.sample_name, d.catalogued_kind) for d in depot] == [
            (1, "Witness 1", "witness"),
            (2, "Montdenier", "rock_core"),
        ]
        tubes = inventory.tubes()
        for entry in depot:
            tube = tubes[entry.tube_id]
            assert str(tube.location) == "ground" and tube.seal_state == 2
            assert (tube.sample_name, tube.catalogued_kind.value) == (
                entry.sample_name,
                entry.catalogued_kind,
            )  # the drop kept what the tube holds
        atmo = inventory.tube_named("Atmo 1")
        assert atmo is not None and str(atmo.location).startswith("slot_")
        rows = [h for h in inventory.history() if h.step == "depot"]
        assert [r.measurement["drop_order"] for r in rows if r.event == "succeeded"] == [1, 2]
    finally:
        inventory.close()


def test_a_drop_must_name_a_stored_sealed_sample(tmp_path):
    from aca_sim.caching.sequence_types import CacheRequest
    from aca_sim.campaign.headless import HeadlessSequences
    from aca_sim.model.kinds import SampleKind
    from aca_sim.sim.aca import Aca

    inventory = Inventory(tmp_path / "inventory.db")
    aca = Aca.create(seed=5)
    try:
        sequences = HeadlessSequences(aca, inventory, lambda _line: None)
        before = aca.state_hash()
        for request, words in (
            (CacheRequest(SampleKind.DEPOT_DROP, "Nobody"), "no catalogued sample named 'Nobody'"),
            (
                CacheRequest(SampleKind.DEPOT_DROP, ""),
                "names its sample (sample_name) or its slot",
            ),
            (CacheRequest(SampleKind.DEPOT_DROP, "", slot=1), "not hermetically sealed"),
        ):
            result = sequences.cache_sample(request, lambda _f: None)
            assert result.code.value == "INVALID_GOAL" and words in result.message, result
        assert aca.state_hash() == before and inventory.running_sequence() is None
    finally:
        aca.close()
        inventory.close()


def test_a_campaign_may_name_a_sample_again_only_to_drop_it(tmp_path):
    twice = tmp_path / "twice.yaml"
    twice.write_text("samples:\n  - {name: A, kind: rock_core}\n  - {name: A, kind: witness}\n")
    with pytest.raises(ValueError, match=r"repeated: \['A'\]"):
        load_campaign(str(twice))
