"""The sequencer node: /aca/cache_sample and /aca/recover_seal over the device actions.

Wiring and policy only; the sequence logic (plans, tube choice, inventory records, fault
responses, crash recovery, cancel) is aca_sim.caching.sequencer, reaching the hardware through
aca_sim.ros.device_link.

Goal policy: one sequence at a time; a goal of either action while one runs is rejected.
Cancel: accepted for the running goal; the device step in progress is canceled, the step and
the sequence are recorded as canceled, the inventory still equals the hardware, and the goal
ends CANCELED (see caching.sequencer). Parameters: inventory_path, step_timeout_s.
Service ~/reconcile (Reconcile.srv): the operator lists the differences between inventory and
hardware and, with a reason, adopts the hardware (after a by-hand recovery).
Publishes /aca/inventory (latched TubeStateArray, sample names included) at start-up and
after each sequence, so that markers and the teleop page can label tubes with their samples.
Thread rule: everything runs on the node's executor (async callbacks), never on pybullet.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from aca_interfaces import action as actions
from aca_interfaces.msg import TubeStateArray
from aca_interfaces.srv import Reconcile
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile
from std_msgs.msg import Header

from aca_sim.caching.inventory import Inventory
from aca_sim.caching.sequence_types import (
    CacheRequest,
    HardwareLost,
    RecoverRequest,
    SequenceFeedback,
    SequenceResult,
)
from aca_sim.caching.sequencer import Sequencer
from aca_sim.model.codes import Code
from aca_sim.model.names import ROOT_FRAME
from aca_sim.ros.conversions import tube_msg
from aca_sim.ros.device_link import DeviceLink
from aca_sim.ros.guard import answered
from aca_sim.ros.interfaces import EMPTY_POLICIES, SAMPLE_KINDS
from aca_sim.ros.parameters import read_only_parameter
from aca_sim.ros.spinning import run_node


class SequencerNode(Node):
    """The cache_sample and recover_seal action servers over the device actions."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("sequencer", namespace="aca", **kwargs)

        def param(name: str, default: Any, description: str) -> Any:
            return read_only_parameter(self, name, default, description)

        path = param("inventory_path", "aca_inventory.db", "SQLite inventory file (created)")
        step_timeout_s = float(param("step_timeout_s", 1800.0, "wall-time bound on a step, s"))
        if step_timeout_s <= 0:
            raise ValueError(f"step_timeout_s must be > 0, got {step_timeout_s}")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.inventory = Inventory(Path(path))
        group = ReentrantCallbackGroup()
        self.link = DeviceLink(self, step_timeout_s, group)
        self.sequencer = Sequencer(self.inventory, self.link, self.get_logger().info)
        self._running: bytes | None = None  # goal id of the sequence being run
        self.create_service(
            Reconcile,
            "~/reconcile",
            answered(self, "reconcile", self._reconcile),
            callback_group=group,
        )
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.inventory_pub = self.create_publisher(TubeStateArray, "inventory", latched)
        self._publish_inventory()
        self.servers = [
            ActionServer(
                self,
                action_type,
                name,
                execute_callback=self._execute_with(action_type, run),
                goal_callback=self._on_goal_for(name),
                handle_accepted_callback=self._on_accepted,
                cancel_callback=self._on_cancel,
                callback_group=group,
            )
            for action_type, name, run in (
                (actions.CacheSample, "cache_sample", self._cache_sample),
                (actions.RecoverSeal, "recover_seal", self._recover_seal),
            )
        ]

    def destroy_node(self) -> None:
        """Close the inventory and destroy the node."""
        self.inventory.close()
        super().destroy_node()

    def _publish_inventory(self) -> None:
        """/aca/inventory (latched): the inventory's records, catalogue names included (the
        sim's /aca/tubes leaves sample_name empty); after start-up and each sequence."""
        tubes = self.inventory.tubes()
        header = Header(stamp=self.get_clock().now().to_msg(), frame_id=ROOT_FRAME)
        self.inventory_pub.publish(
            TubeStateArray(header=header, tubes=[tube_msg(tubes[t]) for t in sorted(tubes)])
        )

    async def _reconcile(
        self, request: Reconcile.Request, response: Reconcile.Response
    ) -> Reconcile.Response:
        """The operator service: list (and on request adopt) the hardware's differences."""
        if self._running is not None:
            response.success, response.message = False, "a sequence is running; try after it"
            return response
        try:
            found = await self.sequencer.reconcile(request.adopt, request.reason)
        except (ValueError, HardwareLost) as error:
            response.success, response.message = False, str(error)
            return response
        response.success, response.differences = True, found
        if request.adopt:
            response.message = f"adopted {len(found)} difference(s) from the hardware"
            self._publish_inventory()
        else:
            response.message = f"{len(found)} difference(s)" if found else "no difference"
        return response

    # ------------------------------------------------------------------ goal policy
    def _on_goal_for(self, name: str) -> Any:
        def on_goal(_request: Any) -> GoalResponse:
            if self._running is not None:
                self.get_logger().info(f"{name}: goal rejected, a sequence is running")
                return GoalResponse.REJECT
            return GoalResponse.ACCEPT

        return on_goal

    def _on_accepted(self, goal_handle: Any) -> None:
        """Busy from here, not from the goal callback: rclpy skips this (and execution) when
        it cannot send the goal response, and a flag set earlier would then never clear. The
        goal callback and this run in one executor task with no await between them."""
        self._running = bytes(goal_handle.goal_id.uuid)
        goal_handle.execute()

    def _on_cancel(self, goal_handle: Any) -> CancelResponse:
        if bytes(goal_handle.goal_id.uuid) != self._running:
            return CancelResponse.REJECT
        self.get_logger().info("cancel requested: stopping the running device step")
        self.sequencer.stop_step()
        return CancelResponse.ACCEPT

    # ------------------------------------------------------------------ the two actions
    def _execute_with(self, action: Any, run: Any) -> Any:
        """An execute callback: run(goal, feedback, canceled) gives the sequence's result;
        every goal ends in exactly one explicit terminal state."""

        async def execute(goal_handle: Any) -> Any:
            def feedback(update: SequenceFeedback) -> None:
                if goal_handle.is_active:
                    goal_handle.publish_feedback(
                        action.Feedback(
                            step=update.step,
                            step_index=update.step_index,
                            step_count=update.step_count,
                            progress=update.progress,
                            last_measurement=update.last_measurement,
                        )
                    )

            try:
                result = await run(
                    goal_handle.request, feedback, lambda: goal_handle.is_cancel_requested
                )
            except Exception as error:  # a bug must still end the goal, and say so
                self.get_logger().error(f"{type(error).__name__}: {error}")
                result = SequenceResult(Code.INTERNAL_ERROR, f"{type(error).__name__}: {error}")
            finally:
                self._running = None
                self._publish_inventory()
            return self._finish(goal_handle, action.Result(), result)

        return execute

    async def _cache_sample(self, goal: Any, feedback: Any, canceled: Any) -> SequenceResult:
        if goal.kind not in SAMPLE_KINDS:
            return SequenceResult(
                Code.INVALID_GOAL, f"kind {goal.kind} is not one of {sorted(SAMPLE_KINDS)}"
            )
        if goal.empty_tube_policy not in EMPTY_POLICIES:
            return SequenceResult(
                Code.INVALID_GOAL, f"empty_tube_policy {goal.empty_tube_policy} is unknown"
            )
        request = CacheRequest(
            SAMPLE_KINDS[goal.kind],
            goal.sample_name,
            goal.slot,
            goal.dispenser,
            EMPTY_POLICIES[goal.empty_tube_policy],
        )
        return await self.sequencer.cache_sample(request, feedback, canceled)

    async def _recover_seal(self, goal: Any, feedback: Any, canceled: Any) -> SequenceResult:
        request = RecoverRequest(goal.tube_id, goal.sweeps, goal.dispenser)
        return await self.sequencer.recover_seal(request, feedback, canceled)

    def _finish(self, goal_handle: Any, result: Any, outcome: SequenceResult) -> Any:
        """Fill the result message (the fields it has) and end the goal: NONE succeeds,
        CANCELED is canceled, anything else aborts."""
        result.error_code, result.error_msg = outcome.code.number, outcome.message
        for name in ("tube_id", "sealed", "sample_height_m", "awaiting_ground", "sweeps_done"):
            if hasattr(result, name):
                setattr(result, name, getattr(outcome, name))
        if hasattr(result, "peak_force_n"):
            result.peak_force_n = float(outcome.peak_force_n)
        result.catalogued_kind = outcome.catalogued_kind.value
        result.duration_s = float(outcome.duration_s)
        if outcome.code == Code.NONE:
            goal_handle.succeed()
        elif outcome.code == Code.CANCELED and goal_handle.is_cancel_requested:
            goal_handle.canceled()
        else:
            goal_handle.abort()
        return result


def main(argv: list[str] | None = None) -> int:
    """Run the node until Ctrl-C or shutdown; return the exit code."""
    return run_node(SequencerNode, "aca_sim sequencer", argv)


if __name__ == "__main__":
    sys.exit(main())
