"""A test client for the sim node's actions and services; every wait is bounded."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from aca_interfaces.srv import GetWorldState, InjectFault
from rclpy.action import ActionClient
from rclpy.node import Node

from aca_sim.ros import blocking
from aca_sim.ros.matching import wait_action_matched

WAIT_S = 120.0


def wait_until(condition: Any, timeout_s: float = WAIT_S, what: str = "condition") -> None:
    """Poll condition() every 20 ms (what it reads arrives on an executor thread) until it
    is true; fail naming `what` after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def wait(future: Any, timeout_s: float = WAIT_S) -> Any:
    """A service future's result (service clients are safe to call from this thread)."""
    return blocking.wait_future(future, timeout_s, "service")


@dataclass
class GoalRun:
    accepted: bool
    status: int = 0
    result: Any = None
    feedback: list[Any] = field(default_factory=list)
    handle: Any = None


def assert_inventory_matches(records: dict[int, Any], tubes: Any) -> None:
    """Every hardware tube (TubeState) has the inventory's location, contents and seal state."""
    for tube in tubes:
        record = records[tube.tube_id]
        assert (str(record.location), record.contents.value, int(record.seal_state)) == (
            tube.location,
            tube.contents,
            tube.seal_state,
        ), f"tube {tube.tube_id}"


class AcaClient:
    """Send goals to /aca/<step> and call /aca/sim/<service>."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._clients: dict[str, ActionClient] = {}

    def action(self, action_type: Any, name: str) -> ActionClient:
        if name not in self._clients:
            full = name if name.startswith("/") else f"/aca/{name}"
            client = ActionClient(self.node, action_type, full)
            assert client.wait_for_server(timeout_sec=10.0), f"{full} not found"
            wait_action_matched(self.node, action_type, full, 10.0)
            self._clients[name] = client
        return self._clients[name]

    def start(
        self,
        action_type: Any,
        name: str,
        timeout_s: float = WAIT_S,
        goal_msg: Any = None,
        **goal: Any,
    ) -> GoalRun:
        """Send a goal (goal_msg, or one made of the keyword fields); return once it was
        accepted or rejected (TimeoutError after timeout_s without an answer)."""
        run = GoalRun(accepted=False)
        handle = blocking.send_goal(
            self.node,
            self.action(action_type, name),
            goal_msg if goal_msg is not None else action_type.Goal(**goal),
            timeout_s,
            lambda m: run.feedback.append(m.feedback),
        )
        run.accepted, run.handle = handle.accepted, handle
        return run

    def finish(self, run: GoalRun) -> GoalRun:
        response = blocking.get_result(self.node, run.handle, WAIT_S)
        run.status, run.result = response.status, response.result
        return run

    def send(self, action_type: Any, name: str, goal_msg: Any = None, **goal: Any) -> GoalRun:
        """Send a goal and wait for its result."""
        run = self.start(action_type, name, goal_msg=goal_msg, **goal)
        assert run.accepted, f"{name} goal rejected"
        return self.finish(run)

    def state(self) -> GetWorldState.Response:
        client = self.node.create_client(GetWorldState, "/aca/sim/get_state")
        assert client.wait_for_service(timeout_sec=10.0)
        try:
            return wait(client.call_async(GetWorldState.Request()))
        finally:
            self.node.destroy_client(client)

    def inject(self, kind: str, value: float | None = None, scenario: str = "") -> Any:
        client = self.node.create_client(InjectFault, "/aca/sim/inject_fault")
        assert client.wait_for_service(timeout_sec=10.0)
        try:
            if value is None:
                value = 0.0 if kind == "scenario" else 1.0
            request = InjectFault.Request(kind=kind, value=value, scenario=scenario)
            return wait(client.call_async(request))
        finally:
            self.node.destroy_client(client)

    def tube(self, tube_id: int) -> Any:
        return next(t for t in self.state().tubes if t.tube_id == tube_id)
