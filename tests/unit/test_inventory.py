"""The SQLite inventory: transactions, append-only history, crash recovery, reconciliation."""

import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from aca_sim.caching.inventory import Inventory, InventoryMismatch, Observed, TubeRecord

TUBES = [
    TubeRecord(201, "sample", 1, "slot_01", "empty"),
    TubeRecord(239, "witness", 39, "slot_39", "witness_media"),
]


def observed(inventory, overrides=None):
    """What the hardware would show if it matched the inventory, with some tubes changed."""
    tubes = inventory.tubes().values()
    seen = {t.tube_id: Observed(t.location, t.contents, t.seal_state) for t in tubes}
    seen.update(overrides or {})
    return seen


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
    assert inventory.tube(201).seal_state == 1 and inventory.seals() == {1: 6, 2: 7}
    events = [(h.event, h.step, h.sim_time_s) for h in inventory.history(201)]
    assert events == [("started", "dispense_seal", 10.0), ("succeeded", "dispense_seal", 55.5)]
    assert inventory.history(201)[-1].measurement == {"force_n": 61.2}
    assert inventory.open_step() is None


def test_a_failing_write_changes_nothing(inventory):
    step = inventory.begin_step("store_tube", 201, 1.0)
    with pytest.raises(ValueError, match=r"unknown tube field\(s\) \['colour'\]"):
        inventory.end_step(step, "succeeded", 2.0, {201: {"location": "slot_02", "colour": "red"}})
    assert inventory.tube(201).location == "slot_01"
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
        from aca_sim.caching.inventory import Inventory, TubeRecord
        inv = Inventory({str(path)!r})
        inv.initialise([TubeRecord(201, "sample", 1, "slot_01", "empty")], {{1: 7}}, {{}})
        step = inv.begin_step("retrieve_tube", 201, 5.0)
        original = inv._update_tube
        def update_then_die(tube_id, changes):
            original(tube_id, changes)
            os.kill(os.getpid(), signal.SIGKILL)  # mid-transaction, after the tube row changed
        inv._update_tube = update_then_die
        inv.end_step(step, "succeeded", 9.0, {{201: {{"location": "sha"}}}})
    """)
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, timeout=60)
    assert result.returncode == -signal.SIGKILL
    inventory = Inventory(path)
    assert inventory.tube(201).location == "slot_01", (
        "the half-done transaction must be rolled back"
    )
    assert inventory.open_step().step == "retrieve_tube"
    # The hardware shows what the cut-off step did: the tube is in the gripper.
    report = inventory.reconcile({201: Observed("sha", "empty", 0)}, {1: 7}, 12.0)
    assert report.adopted == ("tube 201: location: inventory 'slot_01', hardware 'sha'",)
    assert inventory.tube(201).location == "sha" and inventory.open_step() is None
    assert [h.event for h in inventory.history(201)] == ["started", "interrupted"]
    inventory.close()


def test_an_unexplained_difference_stops_with_a_message_that_names_it(inventory):
    with pytest.raises(InventoryMismatch) as error:
        inventory.reconcile(
            observed(inventory, {239: Observed("ground", "witness_media", 2)}), {1: 7, 2: 7}, 0.0
        )
    message = str(error.value)
    assert (
        "tube 239: location: inventory 'slot_39', hardware 'ground'; "
        "seal_state: inventory 0, hardware 2" in message
    )
    with pytest.raises(InventoryMismatch, match="dispenser 2: inventory 7 seals, hardware 5"):
        inventory.reconcile(observed(inventory), {1: 7, 2: 5}, 0.0)
    with pytest.raises(InventoryMismatch, match="tube 250 is missing from the inventory"):
        inventory.reconcile(
            {**observed(inventory), 250: Observed("slot_40", "empty", 0)}, {1: 7, 2: 7}, 0.0
        )
    assert inventory.reconcile(observed(inventory), {1: 7, 2: 7}, 0.0).adopted == ()


def test_a_cut_off_dispense_explains_one_seal_gone(inventory):
    inventory.begin_step("dispense_seal", 201, 3.0)
    report = inventory.reconcile(
        observed(inventory, {201: Observed("slot_01", "empty", 1)}), {1: 6, 2: 7}, 4.0
    )
    assert report.interrupted_step_id is not None and len(report.adopted) == 2
    assert inventory.seals() == {1: 6, 2: 7} and inventory.tube(201).seal_state == 1
