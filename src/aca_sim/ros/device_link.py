"""The sequencer's DevicePort over ROS: the sim node's device actions and /aca/sim/get_state.

Every wait is bounded (aca_sim.ros.waiting): a device or the simulator that goes away makes
the call raise HardwareLost instead of hanging. Before the first goal or result request to a
device server (and again after the hardware was lost) one probe round trip makes sure the
server has matched this client both ways (aca_sim.ros.matching).

Thread rule: every method runs on the node's executor thread (coroutines and callbacks).
"""

from __future__ import annotations

from typing import Any

from aca_interfaces.srv import GetWorldState
from action_msgs.msg import GoalStatus
from rclpy.action import ActionClient
from rclpy.callback_groups import CallbackGroup
from rclpy.node import Node
from unique_identifier_msgs.msg import UUID

from aca_sim.caching.sequence_types import HardwareLost
from aca_sim.model.codes import Code
from aca_sim.model.records import HardwareState
from aca_sim.model.steps import RESULT_VALUES, Step, StepOutcome
from aca_sim.ros.conversions import goal_msg, hardware_of, outcome_of
from aca_sim.ros.interfaces import DEVICE_ACTIONS
from aca_sim.ros.matching import await_action_matched
from aca_sim.ros.waiting import PeerLost, Timeout, until, wait_for

STATE_SERVICE = "/aca/sim/get_state"


class DeviceLink:
    """Device steps and hardware readings over ROS, for a node that owns this link."""

    def __init__(self, node: Node, step_timeout_s: float, group: CallbackGroup) -> None:
        self.node, self.step_timeout_s = node, step_timeout_s
        self.clients = {
            name: ActionClient(node, kind, f"/aca/{name}", callback_group=group)
            for name, kind in DEVICE_ACTIONS.items()
        }
        self.result_clients = {
            name: node.create_client(
                kind.Impl.GetResultService, f"/aca/{name}/_action/get_result", callback_group=group
            )
            for name, kind in DEVICE_ACTIONS.items()
        }
        self.state_client = node.create_client(GetWorldState, STATE_SERVICE, callback_group=group)
        self._matched: set[str] = set()  # device actions whose server answered a probe
        self._handle: Any = None  # the running step's goal handle
        self._cancel_pending = False

    def _lost(self, error: Exception | str) -> HardwareLost:
        """The hardware stopped answering: match every server again before using it."""
        self._matched.clear()
        return HardwareLost(str(error))

    async def hardware(self, attempts: int = 3) -> HardwareState:
        """What the hardware shows. A read is idempotent, so a request lost while DDS matches a
        (re)started simulator's endpoints is simply sent again (10 s per attempt)."""
        if attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {attempts}")
        try:
            await until(self.node, self.state_client.service_is_ready, 2.0, STATE_SERVICE)
        except Timeout:
            raise self._lost(f"{STATE_SERVICE} is not available") from None
        for attempt in range(1, attempts + 1):
            try:
                response = await wait_for(
                    self.node,
                    self.state_client.call_async(GetWorldState.Request()),
                    10.0,
                    STATE_SERVICE,
                    alive=self.state_client.service_is_ready,
                )
                return hardware_of(response)
            except (Timeout, PeerLost) as error:
                if isinstance(error, PeerLost) or attempt == attempts:
                    raise self._lost(error) from error
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _match(self, action: str) -> None:
        if action in self._matched:
            return
        try:
            await until(self.node, self.result_clients[action].service_is_ready, 5.0, action)
        except Timeout:
            raise self._lost(f"/aca/{action} is not available") from None
        try:
            await await_action_matched(
                self.node,
                self.result_clients[action],
                DEVICE_ACTIONS[action],
                f"/aca/{action}",
                30.0,
            )
        except (Timeout, PeerLost) as error:
            raise self._lost(error) from error
        self._matched.add(action)

    async def run_step(self, step: Step, goal_id: str) -> StepOutcome:
        """Send the step's goal under goal_id and wait (bounded) for its result."""
        client = self.clients[step.action]
        if not client.server_is_ready():
            self._matched.discard(step.action)  # gone or restarted: new endpoints to match
            if not client.wait_for_server(timeout_sec=5.0):
                raise self._lost(f"/aca/{step.action} is not available")
        await self._match(step.action)
        self._cancel_pending = False
        try:
            handle = await wait_for(
                self.node,
                client.send_goal_async(
                    goal_msg(step), goal_uuid=UUID(uuid=list(bytes.fromhex(goal_id)))
                ),
                30.0,
                f"/aca/{step.action} goal",
                alive=client.server_is_ready,
            )
            if not handle.accepted:
                return StepOutcome(
                    step.action,
                    Code.BUSY,
                    "goal rejected: busy",
                    0.0,
                    dict(RESULT_VALUES[step.action]),
                )
            self._handle = handle
            if self._cancel_pending:
                handle.cancel_goal_async()
            response = await wait_for(
                self.node,
                handle.get_result_async(),
                self.step_timeout_s,
                f"/aca/{step.action}",
                alive=client.server_is_ready,
            )
        except (Timeout, PeerLost) as error:
            raise self._lost(error) from error
        finally:
            self._handle = None
        return outcome_of(step.action, response.result)

    def cancel_step(self) -> None:
        """Ask the device to cancel the running step (now, or as soon as it is accepted)."""
        self._cancel_pending = True
        if self._handle is not None:
            self._handle.cancel_goal_async()

    async def step_result(self, action: str, goal_id: str) -> StepOutcome | None:
        """The outcome the device gave (or will give) for a goal id; None if it never had it."""
        client = self.result_clients[action]
        await self._match(action)
        request = DEVICE_ACTIONS[action].Impl.GetResultService.Request()
        request.goal_id.uuid = list(bytes.fromhex(goal_id))
        try:
            response = await wait_for(
                self.node,
                client.call_async(request),
                self.step_timeout_s,
                f"/aca/{action} result",
                alive=client.service_is_ready,
            )
        except (Timeout, PeerLost) as error:
            raise self._lost(error) from error
        if response.status == GoalStatus.STATUS_UNKNOWN:
            return None
        return outcome_of(action, response.result)
