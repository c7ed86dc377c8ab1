"""The SQLite inventory: transactions, append-only history, crash recovery, reconciliation."""

import signal
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace

import pytest

from aca_sim.caching.inventory import Inventory, InventoryMismatch
from aca_sim.caching.reconciliation import reconcile
from aca_sim.model.kinds import Contents, SealState, TubeKind
from aca_sim.model.locations import Location
from aca_sim.model.records import Tube

TUBES = [
    Tube(201, TubeKind.SAMPLE, 1, Location.storage(1), Contents.EMPTY),
    Tube(239, TubeKind.WITNESS, 39, Location.storage(39), Contents.WITNESS_MEDIA),
]


def seen(tube, location, contents, seal_state):
    """A tube as the hardware shows it (location text, contents text, seal state number)."""
    return replace(
        tube,
        location=Location.parse(location),
        contents=Contents(contents),
        seal_state=SealState(seal_state),
    )


def observed(inventory, overrides=None):
    """What the hardware would show if it matched the inventory, with some tubes changed."""
    found = dict(inventory.tubes())
    for tube_id, (location, contents, seal_state) in (overrides or {}).items():
        base = found.get(tube_id, Tube(tube_id, TubeKind.SAMPLE, 0, Location.storage(1)))
        found[tube_id] = seen(base, location, contents, seal_state)
    return found


@pytest.fixture
def inventory(tmp_path):
    inv = Inventory(tmp_path / "inventory.db")
    inv.initialise(TUBES, {1: 7, 2: 7}, {"seed": "3"})
    yield inv
    inv.close()


def test_a_step_and_its_effects_commit_together(inventory):
    step = inventory.begin_step("dispense_seal", 201, 10.0, "Montdenier")
    assert inventory.open_step().step_id == step
    inventory.end_step(
        step, "succeeded", 55.5, {201: {"seal_state": 1}}, {1: 1}, measurement={"force_n": 61.2}
    )
    assert inventory.tube(201).seal_state == SealState.INSERTED
    assert inventory.seals() == {1: 6, 2: 7}
    events = [(h.event, h.step, h.sim_time_s) for h in inventory.history(201)]
    assert events == [("started", "dispense_seal", 10.0), ("succeeded", "dispense_seal", 55.5)]
    assert inventory.history(201)[-1].measurement == {"force_n": 61.2}
    assert inventory.open_step() is None


def test_a_failing_write_changes_nothing(inventory):
    step = inventory.begin_step("store_tube", 201, 1.0)
    with pytest.raises(ValueError, match=r"unknown tube field\(s\) \['colour'\]"):
        inventory.end_step(step, "succeeded", 2.0, {201: {"location": "slot_02", "colour": "red"}})
    assert str(inventory.tube(201).location) == "slot_01"
    assert [h.event for h in inventory.history()] == ["started"]
    with pytest.raises(sqlite3.IntegrityError):
        inventory.end_step(step, "succeeded", 2.0, seals_used={1: 8})  # would go negative
    assert inventory.seals()[1] == 7


def test_history_is_append_only(inventory):
    inventory.begin_step("retrieve_tube", 201, 0.0)
    raw = sqlite3.connect(inventory.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("UPDATE history SET event='failed'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("DELETE FROM history")
    raw.close()


def test_one_step_at_a_time_and_one_ending_per_step(inventory):
    step = inventory.begin_step("retrieve_tube", 201, 0.0)
    with pytest.raises(InventoryMismatch, match="still open"):
        inventory.begin_step("retrieve_tube", 239, 0.0)
    inventory.end_step(step, "failed", 1.0, error_code="SLOT_EMPTY", error_msg="no tube")
    with pytest.raises(InventoryMismatch, match="already ended"):
        inventory.end_step(step, "succeeded", 2.0)


def test_killed_inside_the_outcome_transaction_recovers_by_reconciling(tmp_path):
    path = tmp_path / "inventory.db"
    child = textwrap.dedent(f"""
        import os, signal
        from aca_sim.caching.inventory import Inventory
        from aca_sim.model.kinds import TubeKind
        from aca_sim.model.locations import Location
        from aca_sim.model.records import Tube
        inv = Inventory({str(path)!r})
        inv.initialise([Tube(201, TubeKind.SAMPLE, 1, Location.storage(1))], {{1: 7}}, {{}})
        step = inv.begin_step("retrieve_tube", 201, 5.0)
        original = inv._apply
        def apply_then_die(tube_changes, seals_used):
            original(tube_changes, seals_used)
            os.kill(os.getpid(), signal.SIGKILL)  # mid-transaction, after the tube row changed
        inv._apply = apply_then_die
        inv.end_step(step, "succeeded", 9.0, {{201: {{"location": "sha"}}}})
    """)
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, timeout=60)
    assert result.returncode == -signal.SIGKILL
    inventory = Inventory(path)
    assert str(inventory.tube(201).location) == "slot_01", (
        "the half-done transaction must be rolled back"
    )
    assert inventory.open_step().step == "retrieve_tube"
    # The hardware shows what the cut-off step did: the tube is in the gripper.
    report = reconcile(inventory, observed(inventory, {201: ("sha", "empty", 0)}), {1: 7}, 12.0)
    assert report.adopted == ("tube 201: location: inventory 'slot_01', hardware 'sha'",)
    assert str(inventory.tube(201).location) == "sha" and inventory.open_step() is None
    assert [h.event for h in inventory.history(201)] == ["started", "interrupted"]
    inventory.close()


def test_an_unexplained_difference_stops_with_a_message_that_names_it(inventory):
    with pytest.raises(InventoryMismatch) as error:
        reconcile(
            inventory,
            observed(inventory, {239: ("ground", "witness_media", 2)}),
            {1: 7, 2: 7},
            0.0,
        )
    message = str(error.value)
    assert (
        "tube 239: location: inventory 'slot_39', hardware 'ground'; "
        "seal_state: inventory 0, hardware 2" in message
    )
    with pytest.raises(InventoryMismatch, match="dispenser 2: inventory 7 seals, hardware 5"):
        reconcile(inventory, observed(inventory), {1: 7, 2: 5}, 0.0)
    with pytest.raises(InventoryMismatch, match="tube 250 is missing from the inventory"):
        reconcile(
            inventory, observed(inventory, {250: ("slot_40", "empty", 0)}), {1: 7, 2: 7}, 0.0
        )
    assert reconcile(inventory, observed(inventory), {1: 7, 2: 7}, 0.0).adopted == ()


def test_a_cut_off_dispense_explains_one_seal_gone(inventory):
    inventory.begin_step("dispense_seal", 201, 3.0)
    report = reconcile(
        inventory, observed(inventory, {201: ("slot_01", "empty", 1)}), {1: 6, 2: 7}, 4.0
    )
    assert report.interrupted_step_id is not None and len(report.adopted) == 2
    assert inventory.seals() == {1: 6, 2: 7}
    assert inventory.tube(201).seal_state == SealState.INSERTED


V2_TUBES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tubes (
    tube_id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('sample', 'witness')),
    home_slot INTEGER NOT NULL,
    location TEXT NOT NULL,
    contents TEXT NOT NULL,
    sample_name TEXT NOT NULL DEFAULT '',
    catalogued_kind TEXT NOT NULL DEFAULT '',
    sample_height_m REAL NOT NULL DEFAULT 0,
    rim_dust REAL NOT NULL DEFAULT 0,
    seal_state INTEGER NOT NULL DEFAULT 0 CHECK (seal_state IN (0, 1, 2))
);
CREATE TABLE sequences (
    sequence_id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL,
    goal TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished')),
    steps TEXT NOT NULL,
    next_index INTEGER NOT NULL CHECK (next_index >= 0),
    state TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO meta VALUES ('schema_version', '2');
INSERT INTO tubes (tube_id, kind, home_slot, location, contents, sample_name, catalogued_kind,
                   sample_height_m, rim_dust, seal_state)
    VALUES (203, 'sample', 3, 'slot_03', 'rock_core', 'Mageik', '', 0.06, 0.95, 0);
INSERT INTO sequences (action, goal, status, steps, next_index) VALUES (
    'cache_sample', '{"kind": 1, "sample_name": "Mageik"}', 'running',
    '[{"action": "core_sample", "goal": {"bit_slot": 0, "kind": 2}}]', 0);
"""


def test_a_schema_2_file_is_migrated_in_place(tmp_path):
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    raw.executescript(V2_TUBES)
    raw.close()
    inventory = Inventory(path)
    try:
        tube = inventory.tube(203)
        assert (tube.sample_name, tube.rim_dust, tube.bore_dust, tube.seal_id) == (
            "Mageik",
            0.95,
            0.0,
            0,
        )
        assert inventory.meta()["schema_version"] == "4"
        assert inventory.depot() == []  # schema 4's depot table, empty after the migration
        running = inventory.running_sequence()
        assert running.goal == {"kind": "rock_core", "sample_name": "Mageik"}
        (step,) = running.steps
        assert step == {"action": "core_sample", "goal": {"bit_slot": 0, "contents": "regolith"}}
    finally:
        inventory.close()


def test_a_file_of_an_unknown_schema_is_refused(tmp_path):
    path = tmp_path / "future.db"
    raw = sqlite3.connect(path)
    raw.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")
    raw.execute("INSERT INTO meta VALUES ('schema_version', '9')")
    raw.commit()
    raw.close()
    with pytest.raises(InventoryMismatch, match="schema version 9, expected 4"):
        Inventory(path)
