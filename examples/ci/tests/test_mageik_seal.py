"""A user's integration test: our sequencing client caches a dusty core and must get the
Mageik response the rover gave (October 2022): the seal stays in its dispenser, the tube is
stored unsealed and safe, and the ACA waits for the ground.

Plain rclpy and sqlite3 only; every wait is bounded.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

from aca_interfaces.action import CacheSample
from aca_interfaces.srv import InjectFault
from rclpy.action import ActionClient
from rclpy.node import Node

SERVER_S = 60.0  # s for the launched system to come up
SEQUENCE_S = 300.0  # s of wall time for one caching sequence (fast mode: about 10 s here)


def spin_until_done(node: Node, future: Any, timeout_s: float, what: str) -> Any:
    """Spin the node until the future is done; its result. AssertionError naming `what`."""
    node.executor.spin_until_future_complete(future, timeout_sec=timeout_s)
    assert future.done(), f"no answer from {what} within {timeout_s} s"
    return future.result()


def wait_until_matched(node: Node, action_type: Any, name: str, timeout_s: float) -> None:
    """Return once the action server has matched this node's clients both ways.

    wait_for_server() only says that *our* side sees the server; a request sent before the
    server sees our response reader is served, but its answer is lost. So ask something
    harmless until an answer comes: the result of a goal id nobody has (answered at once with
    STATUS_UNKNOWN). Create the ActionClient before calling this.
    """
    probe = node.create_client(action_type.Impl.GetResultService, f"{name}/_action/get_result")
    deadline = time.monotonic() + timeout_s
    try:
        assert probe.wait_for_service(timeout_sec=timeout_s), f"{name} did not come up"
        while time.monotonic() < deadline:
            request = action_type.Impl.GetResultService.Request()
            request.goal_id.uuid = list(uuid.uuid4().bytes)
            future = probe.call_async(request)
            node.executor.spin_until_future_complete(future, timeout_sec=2.0)
            if future.done():
                return
        raise AssertionError(f"{name} never answered within {timeout_s} s")
    finally:
        node.destroy_client(probe)


def inject(node: Node, scenario: str) -> None:
    """Arm a fault scenario (config/faults/<scenario>.yaml) for the next coring."""
    client = node.create_client(InjectFault, "/aca/sim/inject_fault")
    assert client.wait_for_service(timeout_sec=SERVER_S), "/aca/sim/inject_fault"
    request = InjectFault.Request(kind="scenario", scenario=scenario)
    response = spin_until_done(node, client.call_async(request), 30.0, "inject_fault")
    assert response.success, response.message


def test_a_dusty_rim_leaves_the_tube_stored_unsealed_and_waiting_for_the_ground(
    caching_system: Path, node: Node
) -> None:
    cache = ActionClient(node, CacheSample, "/aca/cache_sample")
    wait_until_matched(node, CacheSample, "/aca/cache_sample", SERVER_S)
    inject(node, "mageik")

    steps: list[str] = []
    goal = CacheSample.Goal(kind=CacheSample.Goal.KIND_ROCK_CORE, sample_name="Mageik")
    sent = cache.send_goal_async(goal, feedback_callback=lambda f: steps.append(f.feedback.step))
    handle = spin_until_done(node, sent, 30.0, "cache_sample (goal)")
    assert handle.accepted
    result = spin_until_done(node, handle.get_result_async(), SEQUENCE_S, "cache_sample").result

    # The documented response: SEAL_NOT_RELEASED, the tube stored unsealed, ground awaited.
    assert result.error_code == CacheSample.Result.SEAL_NOT_RELEASED, result.error_msg
    assert not result.sealed and result.awaiting_ground
    assert "dispense_seal" in steps and steps[-1] == "store_tube"

    # The inventory (the sequencer's SQLite file) says the same, and says why.
    with sqlite3.connect(caching_system / "inventory.db") as db:
        location, contents, seal_state, name = db.execute(
            "SELECT location, contents, seal_state, sample_name FROM tubes WHERE tube_id = ?",
            (result.tube_id,),
        ).fetchone()
        failed = db.execute(
            "SELECT step, error_code FROM history WHERE tube_id = ? AND event = 'failed'",
            (result.tube_id,),
        ).fetchall()
    assert location.startswith("slot_"), location  # back in storage, not left in the arm
    assert (contents, seal_state, name) == ("rock_core", 0, "Mageik")  # 0: no seal
    assert failed == [("dispense_seal", "SEAL_NOT_RELEASED")]
