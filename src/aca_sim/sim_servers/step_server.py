"""The action server of one device step, running the step on the physics thread.

Goal policy (the lifecycle is ros.booked_server's): a goal is REJECTED while another goal holds
any device it needs ("sha", "seal_carousel", "bit_carousel"); a server built with
preempt=True (move_arm) instead lets a new goal replace its own running goal, which ends
ABORTED with error_code PREEMPTED once its step has stopped. Cancel stops the devices at the
next physics step and ends CANCELED. A goal accepted while its devices were taken in between
ends ABORTED with BUSY. Every goal ends in exactly one explicit terminal state with error_code
and error_msg; durations are sim time.

Feedback: phase changes at once and, within a phase, one message per feedback period
(FeedbackGate); the last one held back goes out before the result.

Thread rules: as ros.booked_server (operation and feedback on the physics thread, the rest on
the node's executor thread).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aca_sim.model.codes import Code
from aca_sim.model.status import StepStatus
from aca_sim.ros.booked_server import (
    BookedActionServer,
    BookedGoal,
    Verdict,
    publish_feedback,
)
from aca_sim.ros.conversions import fill_result
from aca_sim.ros.feedback_pacing import FeedbackGate, FeedbackPacing
from aca_sim.sim.aca import Aca
from aca_sim.sim.drive import Outcome
from aca_sim.sim.operation import Feedback, Operation
from aca_sim.sim.step_table import outcome
from aca_sim.sim_servers.setting import SimSetting

DEFAULT_PACING = FeedbackPacing()


class StepServer(BookedActionServer):
    """An action server that runs a device step on the physics thread."""

    def __init__(
        self,
        setting: SimSetting,
        action_type: Any,
        name: str,
        make_operation: Callable[[Aca, Any], Operation],
        needs: frozenset[str],
        fill_feedback: Callable[[Any, Feedback], None] | None = None,
        on_result: Callable[[Any, Any, Outcome], None] | None = None,
        preempt: bool = False,
        pacing: FeedbackPacing = DEFAULT_PACING,
    ) -> None:
        self.aca = setting.runner.aca
        self.make_operation, self.fill_feedback, self.on_result = (
            make_operation,
            fill_feedback,
            on_result,
        )
        self.preempts, self.pacing = preempt, pacing
        super().__init__(setting, action_type, name, needs)

    def _operation(self, request: Any) -> Operation:
        return self.make_operation(self.aca, request)

    def _goal_state(self) -> FeedbackGate[Feedback]:
        return FeedbackGate(self.pacing)

    def _refused_result(self) -> Any:
        return self.action_type.Result(error_code=Code.BUSY.number, error_msg=self.busy_reason)

    def _error_result(self, message: str) -> Any:
        return self.action_type.Result(error_code=Code.INTERNAL_ERROR.number, error_msg=message)

    # ------------------------------------------------------------------ feedback (physics thread)
    def _feedback(self, goal: BookedGoal, feedback: Feedback) -> None:
        now = self.aca.time_s
        for sent in goal.state.offer(feedback, feedback.phase, now, time.monotonic()):
            self._publish_feedback(goal.handle, sent)

    def _before_end(self, goal: BookedGoal) -> None:
        for sent in goal.state.flush():
            self._publish_feedback(goal.handle, sent)

    def _publish_feedback(self, goal_handle: Any, feedback: Feedback) -> None:
        message = self.action_type.Feedback(
            phase=feedback.phase, progress=float(feedback.progress)
        )
        if self.fill_feedback is not None:
            self.fill_feedback(message, feedback)
        publish_feedback(goal_handle, message)

    # ------------------------------------------------------------------ the result
    def _verdict(self, goal: BookedGoal, ended: Outcome) -> Verdict:
        step = outcome(
            self.name, ended.status, ended.value, ended.error, ended.duration_s, goal.preempted
        )
        result = fill_result(self.action_type.Result(), step)
        if self.on_result is not None:
            self.on_result(result, ended.value, ended)
        status = (
            StepStatus.SUCCEEDED
            if step.succeeded
            else StepStatus.CANCELED
            if step.canceled
            else StepStatus.FAILED
        )
        summary = f"{ended.status} in {ended.duration_s:.1f} s sim ({result.error_msg or 'ok'})"
        return Verdict(status, result, summary)
