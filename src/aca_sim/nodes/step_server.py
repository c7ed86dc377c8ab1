"""One action server per caching step, with a stated goal policy and exact terminal states.

Goal policy (every step server): a goal is REJECTED while another goal holds any device it
needs ("sha", "seal_carousel", "bit_carousel"); servers built with preempt=True (move_arm)
instead let a new goal replace their own running goal, which then ends ABORTED with
error_code PREEMPTED. Cancel stops the devices at the next physics step and ends CANCELED
with error_code CANCELED. Every goal ends in exactly one explicit terminal state with
error_code and error_msg; durations are sim time.

Thread rules: callbacks run on the node's executor thread; the operation runs on the physics
thread; feedback and completion come back through the ExecutorBridge.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.node import Node
from rclpy.task import Future

from aca_sim.nodes.executor_bridge import ExecutorBridge
from aca_sim.nodes.physics_runner import Job, Outcome, PhysicsRunner
from aca_sim.sim.world import Feedback, Operation

RESULT_KEEP_S = 24 * 3600  # wall s a result stays fetchable by goal id (a restarted
# sequencer settles its cut-off step with it; rclpy's default keeps it 15 minutes)

# Sim-layer codes that are not constants of every action map to the nearest generic one.
_FALLBACK = {
    "OUT_OF_LIMITS": "INVALID_GOAL",
    "UNREACHABLE": "MOTION_FAILED",
    "GRIP_FAILED": "MOTION_FAILED",
}


class ResourceBook:
    """Which goal holds which device. Used only on the executor thread."""

    def __init__(self) -> None:
        self._owners: dict[str, object] = {}

    def holders(self, needs: frozenset[str]) -> set[object]:
        return {self._owners[r] for r in needs if r in self._owners}

    def take(self, needs: frozenset[str], token: object) -> None:
        for resource in needs:
            self._owners[resource] = token

    def release(self, needs: frozenset[str], token: object) -> None:
        for resource in needs:
            if self._owners.get(resource) is token:
                del self._owners[resource]


class _Goal:
    """Book-keeping of one accepted goal."""

    def __init__(self) -> None:
        self.job: Job | None = None
        self.preempted = False
        self.last_phase = ""
        self.next_feedback_s = 0.0


class StepServer:
    """An action server that runs make_operation(goal) on the physics thread."""

    def __init__(
        self,
        node: Node,
        bridge: ExecutorBridge,
        runner: PhysicsRunner,
        book: ResourceBook,
        action_type: Any,
        name: str,
        make_operation: Callable[[Any], Operation],
        fill_result: Callable[[Any, Any], None],
        fill_feedback: Callable[[Any, Feedback], None] | None = None,
        needs: frozenset[str] = frozenset({"sha"}),
        preempt: bool = False,
        feedback_period_s: float = 0.5,
    ) -> None:
        self.node, self.bridge, self.runner, self.book = node, bridge, runner, book
        self.action_type, self.name = action_type, name
        self.make_operation, self.fill_result, self.fill_feedback = (
            make_operation,
            fill_result,
            fill_feedback,
        )
        self.needs, self.preempt, self.feedback_period_s = needs, preempt, feedback_period_s
        self._accepted: deque[_Goal] = deque()
        self._active: dict[bytes, _Goal] = {}
        self.server = ActionServer(
            node,
            action_type,
            name,
            execute_callback=self._execute,
            goal_callback=self._on_goal,
            cancel_callback=self._on_cancel,
            result_timeout=RESULT_KEEP_S,
        )

    def destroy(self) -> None:
        """Destroy the underlying action server."""
        self.server.destroy()

    # ------------------------------------------------------------------ goal policy
    def _on_goal(self, _request: Any) -> GoalResponse:
        holders = self.book.holders(self.needs)
        own = {g for g in holders if isinstance(g, _Goal) and g in self._active.values()}
        if holders and not (self.preempt and holders == own):
            self.node.get_logger().info(
                f"{self.name}: goal rejected, devices {sorted(self.needs)} busy"
            )
            return GoalResponse.REJECT
        for goal in own:  # preempt our own running goal
            goal.preempted = True
            if goal.job is not None:
                self.runner.cancel(goal.job)
        token = _Goal()
        self.book.take(self.needs, token)
        self._accepted.append(token)
        return GoalResponse.ACCEPT

    def _on_cancel(self, goal_handle: Any) -> CancelResponse:
        goal = self._active.get(bytes(goal_handle.goal_id.uuid))
        if goal is not None and goal.job is not None:
            self.runner.cancel(goal.job)
        return CancelResponse.ACCEPT

    # ------------------------------------------------------------------ execution
    async def _execute(self, goal_handle: Any) -> Any:
        goal = self._accepted.popleft()
        key = bytes(goal_handle.goal_id.uuid)
        self._active[key] = goal
        done = Future()
        try:
            goal.job = self.runner.submit(
                self.make_operation(goal_handle.request),
                on_done=lambda outcome: self.bridge.resolve(done, outcome),
                on_feedback=lambda fb: self._feedback(goal, goal_handle, fb),
            )
            if goal_handle.is_cancel_requested:
                self.runner.cancel(goal.job)
            outcome: Outcome = await done
        finally:
            self._active.pop(key, None)
            self.book.release(self.needs, goal)
        return self._finish(goal_handle, goal, outcome)

    def _feedback(self, goal: _Goal, goal_handle: Any, feedback: Feedback) -> None:
        """Physics thread: pass on phase changes and one message per feedback period."""
        now = self.runner.world.time_s
        if feedback.phase == goal.last_phase and now < goal.next_feedback_s:
            return
        goal.last_phase, goal.next_feedback_s = feedback.phase, now + self.feedback_period_s
        message = self.action_type.Feedback(
            phase=feedback.phase, progress=float(feedback.progress)
        )
        if self.fill_feedback is not None:
            self.fill_feedback(message, feedback)
        self.bridge.post(_publish_feedback, goal_handle, message)

    def _finish(self, goal_handle: Any, goal: _Goal, outcome: Outcome) -> Any:
        result_type = self.action_type.Result
        result = result_type()
        if hasattr(result, "duration_s"):
            result.duration_s = float(outcome.duration_s)
        if outcome.status == "succeeded":
            self.fill_result(result, outcome.value)
            result.error_code = result_type.NONE
            goal_handle.succeed()
        elif outcome.status == "canceled" and goal.preempted:
            result.error_code, result.error_msg = (
                result_type.PREEMPTED,
                "preempted by a newer goal",
            )
            goal_handle.abort()
        elif outcome.status == "canceled":
            result.error_code, result.error_msg = result_type.CANCELED, "canceled; devices stopped"
            goal_handle.canceled()
        else:
            error = outcome.error
            code = (
                error.code
                if hasattr(result_type, error.code)
                else _FALLBACK.get(error.code, "INTERNAL_ERROR")
            )
            result.error_code = getattr(result_type, code)
            result.error_msg = (
                error.message if code == error.code else f"{error.code}: {error.message}"
            )
            for name, value in getattr(error, "measurements", {}).items():
                if isinstance(getattr(result, name, None), float):  # e.g. a stuck seal's force
                    setattr(result, name, float(value))
            goal_handle.abort()
        detail = result.error_msg or "ok"
        self.node.get_logger().info(
            f"{self.name}: {outcome.status} in {outcome.duration_s:.1f} s sim ({detail})"
        )
        return result


def _publish_feedback(goal_handle: Any, message: Any) -> None:
    if goal_handle.is_active:
        goal_handle.publish_feedback(message)
