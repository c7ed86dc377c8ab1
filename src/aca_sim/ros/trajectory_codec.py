"""control_msgs/FollowJointTrajectory and trajectory_msgs/JointTrajectory messages to and from
the plain data of aca_sim.motion.joint_trajectory and of the trajectory controller (Tracking).

Times: builtin_interfaces Duration/Time <-> float seconds (sim time for stamps).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from builtin_interfaces.msg import Duration
from control_msgs.action import FollowJointTrajectory
from control_msgs.msg import JointTolerance as JointToleranceMsg
from std_msgs.msg import Header
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from aca_sim.motion.joint_trajectory import JointPoint, JointTrajectoryCommand
from aca_sim.motion.trajectory_goal import FollowGoal, FollowResult, JointTolerance
from aca_sim.ros.conversions import seconds, sim_time


def duration_s(duration: Duration) -> float:
    """Seconds of a builtin_interfaces/Duration (sec may be negative)."""
    return duration.sec + duration.nanosec * 1e-9


def duration_msg(value_s: float) -> Duration:
    """builtin_interfaces/Duration of a time span, s (>= 0)."""
    ns = round(value_s * 1e9)
    return Duration(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def command_of(trajectory: JointTrajectory) -> JointTrajectoryCommand:
    """A trajectory_msgs/JointTrajectory as plain data (efforts are not used: the SHA's
    joints take position commands)."""
    points = tuple(
        JointPoint(
            duration_s(p.time_from_start),
            tuple(float(v) for v in p.positions),
            tuple(float(v) for v in p.velocities),
            tuple(float(v) for v in p.accelerations),
        )
        for p in trajectory.points
    )
    return JointTrajectoryCommand(
        tuple(trajectory.joint_names), points, seconds(trajectory.header.stamp)
    )


def trajectory_msg(command: JointTrajectoryCommand, frame_id: str = "") -> JointTrajectory:
    """A trajectory_msgs/JointTrajectory of plain data (header.stamp from start_stamp_s, 0 =
    start when received)."""
    return JointTrajectory(
        header=Header(stamp=sim_time(command.start_stamp_s), frame_id=frame_id),
        joint_names=list(command.joint_names),
        points=[
            JointTrajectoryPoint(
                positions=list(p.positions),
                velocities=list(p.velocities),
                accelerations=list(p.accelerations),
                time_from_start=duration_msg(p.time_from_start_s),
            )
            for p in command.points
        ],
    )


def _tolerances(entries: Sequence[JointToleranceMsg]) -> tuple[JointTolerance, ...]:
    return tuple(
        JointTolerance(e.name, float(e.position), float(e.velocity), float(e.acceleration))
        for e in entries
    )


def follow_goal_of(goal: Any) -> FollowGoal:
    """A FollowJointTrajectory goal as plain data."""
    multi = goal.multi_dof_trajectory
    multi_names = tuple(multi.joint_names) or (("<unnamed>",) if multi.points else ())
    components = tuple(
        c.joint_name for c in (*goal.component_path_tolerance, *goal.component_goal_tolerance)
    )
    return FollowGoal(
        command_of(goal.trajectory),
        _tolerances(goal.path_tolerance),
        _tolerances(goal.goal_tolerance),
        duration_s(goal.goal_time_tolerance),
        multi_names,
        components,
    )


def goal_msg(
    command: JointTrajectoryCommand,
    path_tolerance: Sequence[JointTolerance] = (),
    goal_tolerance: Sequence[JointTolerance] = (),
    goal_time_tolerance_s: float = 0.0,
) -> Any:
    """A FollowJointTrajectory goal message."""

    def entries(tolerances: Sequence[JointTolerance]) -> list[JointToleranceMsg]:
        return [
            JointToleranceMsg(
                name=t.name, position=t.position, velocity=t.velocity, acceleration=t.acceleration
            )
            for t in tolerances
        ]

    return FollowJointTrajectory.Goal(
        trajectory=trajectory_msg(command),
        path_tolerance=entries(path_tolerance),
        goal_tolerance=entries(goal_tolerance),
        goal_time_tolerance=duration_msg(goal_time_tolerance_s),
    )


class Tracking(Protocol):
    """What a feedback message says of a followed trajectory (sim.trajectory_controller's
    TrackingFeedback): controller joint order; desired, actual and error as (positions,
    velocities); t_s, the time from the trajectory's start, s."""

    joint_names: tuple[str, ...]
    desired: tuple[tuple[float, ...], tuple[float, ...]]
    actual: tuple[tuple[float, ...], tuple[float, ...]]
    error: tuple[tuple[float, ...], tuple[float, ...]]
    t_s: float


def feedback_msg(feedback: Tracking, now_s: float) -> Any:
    """A FollowJointTrajectory feedback message (time_from_start of each point: the time
    since the trajectory's start)."""

    def point(values: tuple[tuple[float, ...], tuple[float, ...]]) -> JointTrajectoryPoint:
        return JointTrajectoryPoint(
            positions=list(values[0]),
            velocities=list(values[1]),
            time_from_start=duration_msg(max(0.0, feedback.t_s)),
        )

    return FollowJointTrajectory.Feedback(
        header=Header(stamp=sim_time(now_s)),
        joint_names=list(feedback.joint_names),
        desired=point(feedback.desired),
        actual=point(feedback.actual),
        error=point(feedback.error),
    )


def result_msg(result: FollowResult) -> Any:
    """A FollowJointTrajectory result message."""
    return FollowJointTrajectory.Result(error_code=int(result.code), error_string=result.message)
