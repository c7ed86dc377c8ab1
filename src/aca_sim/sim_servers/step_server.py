"""The action server of one device step, running the step on the physics thread.

Goal policy: a goal is REJECTED while another goal holds any device it needs ("sha",
"seal_carousel", "bit_carousel"); a server built with preempt=True (move_arm) instead lets a
new goal replace its own running goal, which then ends ABORTED with error_code PREEMPTED.
Cancel stops the devices at the next physics step and ends CANCELED. Every goal ends in
exactly one explicit terminal state with error_code and error_msg; durations are sim time.

Bookings: the goal callback only checks that the devices are free; the booking is made when
the goal is accepted (rclpy's accepted callback, which it skips when it cannot send the goal
response), keyed by the goal id, and released when that goal ends, whatever the ending. A
goal whose acceptance response was lost therefore leaves no booking behind.

Thread rules: callbacks run on the node's executor thread; the operation runs on the physics
thread, which also publishes the feedback (rclpy's goal handle locks for that; no executor
wake-up per message, and every message goes out before the result); completion comes back
through the ExecutorBridge.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from rclpy.node import Node
from rclpy.task import Future

from aca_sim.model.codes import Code
from aca_sim.model.steps import StepOutcome
from aca_sim.ros.booked_server import BookedActionServer, DeviceBook, publish_feedback
from aca_sim.ros.conversions import fill_result
from aca_sim.ros.executor_bridge import ExecutorBridge
from aca_sim.ros.feedback_pacing import FeedbackGate, FeedbackPacing
from aca_sim.sim.aca import Aca
from aca_sim.sim.drive import Outcome
from aca_sim.sim.operation import Feedback, Operation
from aca_sim.sim.runner import Job, PhysicsRunner
from aca_sim.sim.step_table import outcome

DEFAULT_PACING = FeedbackPacing()


class _Goal:
    """Book-keeping of one executing goal."""

    def __init__(self, pacing: FeedbackPacing, refused: bool = False) -> None:
        self.refused = refused  # accepted while its devices were busy: ends BUSY unrun
        self.job: Job | None = None
        self.preempted = False
        self.feedback: FeedbackGate[Feedback] = FeedbackGate(pacing)


class StepServer(BookedActionServer):
    """An action server that runs a device step on the physics thread."""

    def __init__(
        self,
        node: Node,
        bridge: ExecutorBridge,
        runner: PhysicsRunner,
        book: DeviceBook,
        action_type: Any,
        name: str,
        make_operation: Callable[[Aca, Any], Operation],
        needs: frozenset[str],
        fill_feedback: Callable[[Any, Feedback], None] | None = None,
        on_result: Callable[[Any, Any, Outcome], None] | None = None,
        preempt: bool = False,
        pacing: FeedbackPacing = DEFAULT_PACING,
        after_goal: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.action_type, self.make_operation = action_type, make_operation
        self.needs, self.fill_feedback, self.on_result = needs, fill_feedback, on_result
        self.preempt, self.pacing = preempt, pacing
        self.busy_reason = f"devices {sorted(needs)} busy"
        super().__init__(node, bridge, runner, book, action_type, name, after_goal)

    # ------------------------------------------------------------------ goal policy
    def _blocked(self) -> bool:
        """True when another server's goal (or, without preemption, any goal) holds a device
        this step needs."""
        holders = self.book.holders(self.needs)
        return bool(holders) and not (self.preempt and holders <= set(self._active))

    def _on_accepted(self, goal_handle: Any) -> None:
        """Book the devices for the accepted goal (preempting our own running goal), then
        execute. rclpy runs this right after the goal callback with no other callback in
        between, so the devices are still free; if they were not, the goal ends BUSY."""
        key = bytes(goal_handle.goal_id.uuid)
        busy = self._blocked()
        if not busy:
            for goal in self._active.values():
                goal.preempted = True
                if goal.job is not None:
                    self.runner.cancel(goal.job)
            self.book.take(self.needs, key)
        self._active[key] = _Goal(self.pacing, refused=busy)
        goal_handle.execute()

    # ------------------------------------------------------------------ execution
    async def _execute(self, goal_handle: Any) -> Any:
        key = bytes(goal_handle.goal_id.uuid)
        goal = self._active[key]
        done = Future()
        try:
            if goal.refused:
                return self._busy(goal_handle)
            goal.job = self.runner.submit(
                self.make_operation(self.runner.aca, goal_handle.request),
                on_done=lambda ended: self._done(goal, goal_handle, done, ended),
                on_feedback=lambda fb: self._feedback(goal, goal_handle, fb),
            )
            if goal_handle.is_cancel_requested:
                self.runner.cancel(goal.job)
            ended: Outcome = await done
            await self._goal_ended()
            return self._finish(goal_handle, goal, ended)
        except Exception as error:  # a bug: the goal still ends, with a code that says so
            self.node.get_logger().error(f"{self.name}: {type(error).__name__}: {error}")
            if goal_handle.is_active:
                goal_handle.abort()
            return self.action_type.Result(
                error_code=Code.INTERNAL_ERROR.number,
                error_msg=f"internal error: {type(error).__name__}: {error}",
            )
        finally:
            self._active.pop(key, None)
            self.book.release(key)

    def _busy(self, goal_handle: Any) -> Any:
        result = self.action_type.Result(
            error_code=Code.BUSY.number, error_msg=f"devices {sorted(self.needs)} busy"
        )
        goal_handle.abort()
        return result

    def _feedback(self, goal: _Goal, goal_handle: Any, feedback: Feedback) -> None:
        """Physics thread: pass on phase changes and, within a phase, one message per
        feedback period (FeedbackGate)."""
        now = self.runner.aca.time_s
        for sent in goal.feedback.offer(feedback, feedback.phase, now, time.monotonic()):
            self._publish_feedback(goal_handle, sent)

    def _publish_feedback(self, goal_handle: Any, feedback: Feedback) -> None:
        message = self.action_type.Feedback(
            phase=feedback.phase, progress=float(feedback.progress)
        )
        if self.fill_feedback is not None:
            self.fill_feedback(message, feedback)
        publish_feedback(goal_handle, message)

    def _done(self, goal: _Goal, goal_handle: Any, done: Future, ended: Outcome) -> None:
        """Physics thread: the operation ended; its last feedback held back, then the end."""
        for sent in goal.feedback.flush():
            self._publish_feedback(goal_handle, sent)
        self.bridge.resolve(done, ended)

    def _finish(self, goal_handle: Any, goal: _Goal, ended: Outcome) -> Any:
        step: StepOutcome = outcome(
            self.name, ended.status, ended.value, ended.error, ended.duration_s, goal.preempted
        )
        result = fill_result(self.action_type.Result(), step)
        if self.on_result is not None:
            self.on_result(result, ended.value, ended)
        if step.succeeded:
            goal_handle.succeed()
        elif step.canceled:
            goal_handle.canceled()
        else:
            goal_handle.abort()
        # A goal that failed or was canceled is news (INFO); a success is DEBUG: its result
        # and the status topic say it, and an INFO line (console, log file, /rosout) costs
        # 0.2 ms, more than the rest of a short goal's end (teleop sends goals at 10+ Hz).
        log = self.node.get_logger()
        (log.debug if step.succeeded else log.info)(
            f"{self.name}: {ended.status} in {ended.duration_s:.1f} s sim "
            f"({result.error_msg or 'ok'})"
        )
        return result
