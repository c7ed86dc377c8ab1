"""The SHA's FollowJointTrajectory action server, /sha_controller/follow_joint_trajectory,
running aca_sim.sim.trajectory_controller on the physics thread.

Goal policy (as ros2_controllers' joint_trajectory_controller, on the sim's device booking):
- a goal is REJECTED while a caching step holds the arm (the step servers' DeviceBook), and a
  caching step is rejected while a trajectory runs;
- a new goal preempts the running one, whose result returns at once: error_code INVALID_GOAL,
  "Current goal cancelled due to new incoming action." (the controller's words). Its status is
  ABORTED: the action protocol lets a server end a goal CANCELED only after a client asked to
  cancel it. The new trajectory starts from the state the old one left (no stop between);
- cancel holds the arm where it is; the goal ends CANCELED, error_code SUCCESSFUL;
- a goal its checks refuse (joint names, points, limits, tolerances, a stamp whose
  trajectory ends in the past) is REJECTED at goal time, as the ROS 2 controller does; the
  WARN log line (on /rosout) names the result code and the bad value. The same checks run
  again when it starts (sim time has passed) and end it ABORTED with the code;
- feedback (desired, actual, error) at action_monitor_rate Hz of sim time;
- the ~/joint_trajectory topic (sim_servers.trajectory_topic) and the action replace each
  other: a goal stops a streamed trajectory, a streamed trajectory preempts a goal.

Thread rules: as ros.booked_server (the trajectory and its feedback on the physics thread,
the rest on the node's executor thread).
"""

from __future__ import annotations

from typing import Any

from control_msgs.action import FollowJointTrajectory

from aca_sim.model.names import SHA_CONTROLLER
from aca_sim.model.status import StepStatus
from aca_sim.motion.trajectory_goal import (
    ControllerConfig,
    FollowCode,
    FollowError,
    FollowGoal,
    FollowResult,
    goal_tolerances,
    validate,
)
from aca_sim.ros.booked_server import BookedActionServer, BookedGoal, Verdict, publish_feedback
from aca_sim.ros.trajectory_codec import feedback_msg, follow_goal_of, result_msg
from aca_sim.sim.drive import Outcome
from aca_sim.sim.operation import Operation
from aca_sim.sim.trajectory_controller import ActiveTrajectory, TrackingFeedback, follow
from aca_sim.sim_servers.setting import SimSetting

ACTION_NAME = f"/{SHA_CONTROLLER}/follow_joint_trajectory"  # at the root, as ros2_control has it
ARM = frozenset({"sha"})
PREEMPTED = "Current goal cancelled due to new incoming action."
CANCELED = "Goal canceled: the arm holds where it stopped."


class _NextFeedback:
    """A goal's feedback clock: sim time, s, of its next message."""

    def __init__(self) -> None:
        self.at_s = 0.0


class TrajectoryServer(BookedActionServer):
    """FollowJointTrajectory for the SHA, sharing the step servers' device book."""

    preempts = True
    preempt_ends_at_once = True

    def __init__(
        self, setting: SimSetting, config: ControllerConfig, name: str = ACTION_NAME
    ) -> None:
        self.aca, self.config = setting.runner.aca, config
        self.active = ActiveTrajectory()  # for the controller's state interfaces
        self._feedback_period_s = 1.0 / config.feedback_rate_hz
        self.stream: Any = None  # the ~/joint_trajectory topic, once attached
        super().__init__(setting, FollowJointTrajectory, name, ARM)

    def _own(self) -> set[bytes]:
        """A goal preempts the running goal and the topic's stream."""
        own = super()._own()
        if self.stream is not None:
            own |= self.stream.holder()
        return own

    def _preempt_own(self) -> None:
        super()._preempt_own()
        if self.stream is not None:
            self.stream.stop()

    def held_by_others(self) -> bool:
        """Executor thread: True while something this server does not preempt (a caching
        step) holds the arm."""
        return bool(self.book.holders(self.needs) - self._own())

    def preempt_goals(self) -> None:
        """Executor thread: preempt the running goals (a streamed trajectory replaces them)."""
        super()._preempt_own()

    def goal_error(self, goal: FollowGoal) -> str | None:
        """joint_trajectory_controller's checks of a trajectory against the sim time now
        (executor thread: one float read): the code and message, or None."""
        try:
            validate(self.config, goal, self.aca.time_s, self.aca.devices.sha.limits)
            goal_tolerances(self.config, goal)
        except FollowError as error:
            return f"{error.code.name} ({int(error.code)}): {error.message}"
        return None

    @property
    def busy_reason(self) -> str:
        return "a caching step holds the arm"

    def _operation(self, request: Any) -> Operation:
        goal = follow_goal_of(request)
        return follow(self.aca.devices.sha, goal, self.config, active=self.active)

    def _goal_error(self, request: Any) -> str | None:
        return self.goal_error(follow_goal_of(request))

    def _goal_state(self) -> _NextFeedback:
        return _NextFeedback()

    def _refused_result(self) -> Any:
        return result_msg(FollowResult(FollowCode.INVALID_GOAL, self.busy_reason))

    def _error_result(self, message: str) -> Any:
        return result_msg(FollowResult(FollowCode.INVALID_GOAL, message))

    def _feedback(self, goal: BookedGoal, feedback: Any) -> None:
        """Physics thread: one message per feedback period of sim time."""
        now = self.aca.time_s
        if not isinstance(feedback, TrackingFeedback) or now < goal.state.at_s:
            return
        goal.state.at_s = now + self._feedback_period_s
        publish_feedback(goal.handle, feedback_msg(feedback, now))

    def _verdict(self, goal: BookedGoal, ended: Outcome | None) -> Verdict:
        if ended is None:  # preempted: the new goal took the arm over
            status, result = StepStatus.FAILED, FollowResult(FollowCode.INVALID_GOAL, PREEMPTED)
        elif ended.status == StepStatus.CANCELED:
            status, result = StepStatus.CANCELED, FollowResult(FollowCode.SUCCESSFUL, CANCELED)
        elif ended.status == StepStatus.SUCCEEDED:
            result = ended.value
            status = StepStatus.SUCCEEDED if result.succeeded else StepStatus.FAILED
        else:  # a simulator error
            message = ended.error.message if ended.error else "simulator error"
            status = StepStatus.FAILED
            result = FollowResult(FollowCode.INVALID_GOAL, f"simulator error: {message}")
        summary = f"{result.code.name} {result.message}".rstrip()
        return Verdict(status, result_msg(result), summary)
