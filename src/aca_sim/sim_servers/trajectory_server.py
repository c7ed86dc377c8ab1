"""The SHA's FollowJointTrajectory action server, /aca/sha_controller/follow_joint_trajectory,
running aca_sim.sim.trajectory_controller on the physics thread.

Goal policy (as ros2_controllers' joint_trajectory_controller, on the sim's device booking):
- a goal is REJECTED while a caching step holds the arm (the step servers' DeviceBook), and a
  caching step is rejected while a trajectory runs;
- a new goal preempts the running one, whose result returns at once: error_code INVALID_GOAL,
  "Current goal cancelled due to new incoming action." (the controller's words). Its status is
  ABORTED: the action protocol lets a server end a goal CANCELED only after a client asked to
  cancel it. The new trajectory starts from the state the old one left (no stop between);
- cancel holds the arm where it is; the goal ends CANCELED, error_code SUCCESSFUL;
- a goal the controller refuses (validation) is accepted and ends ABORTED at once with its
  error code and error_string (the ROS 2 controller rejects such goals, which carries no
  code; accepting them lets the client read why);
- feedback (desired, actual, error) at action_monitor_rate Hz of sim time.

Thread rules: callbacks on the node's executor thread; the trajectory on the physics thread,
which also publishes the feedback; completion comes back through the ExecutorBridge.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from control_msgs.action import FollowJointTrajectory
from rclpy.node import Node
from rclpy.task import Future

from aca_sim.model.status import StepStatus
from aca_sim.motion.trajectory_goal import ControllerConfig, FollowCode, FollowResult
from aca_sim.ros.booked_server import BookedActionServer, DeviceBook, publish_feedback
from aca_sim.ros.executor_bridge import ExecutorBridge
from aca_sim.ros.trajectory_codec import feedback_msg, follow_goal_of, result_msg
from aca_sim.sim.drive import Outcome
from aca_sim.sim.runner import Job, PhysicsRunner
from aca_sim.sim.trajectory_controller import TrackingFeedback, follow

ACTION_NAME = "sha_controller/follow_joint_trajectory"
ARM = frozenset({"sha"})
PREEMPTED = "Current goal cancelled due to new incoming action."
CANCELED = "Goal canceled: the arm holds where it stopped."


class _Goal:
    """Book-keeping of one accepted goal."""

    def __init__(self, refused: bool) -> None:
        self.refused = refused  # the arm was taken between goal and acceptance
        self.job: Job | None = None
        self.done = Future()
        self.next_feedback_s = 0.0


class TrajectoryServer(BookedActionServer):
    """FollowJointTrajectory for the SHA, sharing the step servers' device book."""

    def __init__(
        self,
        node: Node,
        bridge: ExecutorBridge,
        runner: PhysicsRunner,
        book: DeviceBook,
        config: ControllerConfig,
        name: str = ACTION_NAME,
        after_goal: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.config = config
        self._feedback_period_s = 1.0 / config.feedback_rate_hz
        super().__init__(node, bridge, runner, book, FollowJointTrajectory, name, after_goal)

    # ------------------------------------------------------------------ goal policy
    busy_reason = "a caching step holds the arm"

    def _blocked(self) -> bool:
        """True when a goal other than ours (a caching step) holds the arm."""
        return bool(self.book.holders(ARM) - set(self._active))

    def _on_accepted(self, goal_handle: Any) -> None:
        key = bytes(goal_handle.goal_id.uuid)
        refused = self._blocked()
        if not refused:
            for old in self._active.values():
                self._preempt(old)
            self.book.take(ARM, key)
        self._active[key] = _Goal(refused)
        goal_handle.execute()

    def _preempt(self, goal: _Goal) -> None:
        """End a running goal now (its trajectory stops at the next step boundary, where the
        new one takes over)."""
        if goal.job is not None:
            self.runner.cancel(goal.job)
        if not goal.done.done():
            goal.done.set_result(FollowResult(FollowCode.INVALID_GOAL, PREEMPTED))

    # ------------------------------------------------------------------ execution
    async def _execute(self, goal_handle: Any) -> Any:
        key = bytes(goal_handle.goal_id.uuid)
        goal = self._active[key]
        try:
            if goal.refused:
                goal_handle.abort()
                return result_msg(
                    FollowResult(FollowCode.INVALID_GOAL, "a caching step holds the arm")
                )
            if not goal.done.done():  # not preempted before it started
                operation = follow(
                    self.runner.aca.devices.sha,
                    follow_goal_of(goal_handle.request),
                    self.config,
                )
                goal.job = self.runner.submit(
                    operation,
                    on_done=lambda ended: self.bridge.resolve(goal.done, ended),
                    on_feedback=lambda fb: self._feedback(goal, goal_handle, fb),
                )
                if goal_handle.is_cancel_requested:
                    self.runner.cancel(goal.job)
            ended: Outcome | FollowResult = await goal.done
            await self._goal_ended()
            return self._finish(goal_handle, ended)
        except Exception as error:  # a bug: the goal still ends and says so
            self.node.get_logger().error(f"{self.name}: {type(error).__name__}: {error}")
            if goal_handle.is_active:
                goal_handle.abort()
            message = f"internal error: {type(error).__name__}: {error}"
            return result_msg(FollowResult(FollowCode.INVALID_GOAL, message))
        finally:
            self._active.pop(key, None)
            self.book.release(key)

    def _feedback(self, goal: _Goal, goal_handle: Any, feedback: Any) -> None:
        """Physics thread: one message per feedback period of sim time."""
        now = self.runner.aca.time_s
        if not isinstance(feedback, TrackingFeedback) or now < goal.next_feedback_s:
            return
        goal.next_feedback_s = now + self._feedback_period_s
        publish_feedback(goal_handle, feedback_msg(feedback, now))

    def _finish(self, goal_handle: Any, ended: Outcome | FollowResult) -> Any:
        if isinstance(ended, FollowResult):  # preempted
            result = ended
            goal_handle.abort()
        elif ended.status == StepStatus.CANCELED:
            result = FollowResult(FollowCode.SUCCESSFUL, CANCELED)
            goal_handle.canceled()
        elif ended.status == StepStatus.SUCCEEDED and ended.value.succeeded:
            result = ended.value
            goal_handle.succeed()
        elif ended.status == StepStatus.SUCCEEDED:
            result = ended.value
            goal_handle.abort()
        else:  # a simulator error
            message = ended.error.message if ended.error else "simulator error"
            result = FollowResult(FollowCode.INVALID_GOAL, f"simulator error: {message}")
            goal_handle.abort()
        log = self.node.get_logger()  # successes at DEBUG, as the step servers (step_server.py)
        (log.debug if result.code == FollowCode.SUCCESSFUL else log.info)(
            f"{ACTION_NAME}: {result.code.name} {result.message}".rstrip()
        )
        return result_msg(result)
