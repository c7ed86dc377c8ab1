"""A control_msgs/FollowJointTrajectory goal as plain data, and the rules ros2_controllers'
joint_trajectory_controller documents for it: the controller's parameters
(config/sha_controller.yaml), validation with its error codes (INVALID_JOINTS, INVALID_GOAL,
OLD_HEADER_TIMESTAMP) and a message naming the value, the tolerances in force (0 in a goal:
the default; -1: no limit), and the verdict at each instant (PATH_TOLERANCE_VIOLATED while
the trajectory runs, SUCCESSFUL or GOAL_TOLERANCE_VIOLATED after its end).

No ROS and no physics here (aca_sim.sim.trajectory_controller follows goals on the simulated
arm; aca_sim.ros.trajectory_codec converts messages). Units: m for sha_z, rad for the others, s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

import numpy as np
import yaml

from aca_sim.model.names import SHA_JOINTS
from aca_sim.motion.joint_trajectory import JointTrajectoryCommand
from aca_sim.paths import share_path

ERASE = -1.0  # a tolerance of -1 removes the limit
_FLOAT_EPS = float(np.finfo(np.float32).eps)


class FollowCode(IntEnum):
    """control_msgs/action/FollowJointTrajectory result codes."""

    SUCCESSFUL = 0
    INVALID_GOAL = -1
    INVALID_JOINTS = -2
    OLD_HEADER_TIMESTAMP = -3
    PATH_TOLERANCE_VIOLATED = -4
    GOAL_TOLERANCE_VIOLATED = -5


class FollowError(Exception):
    """A goal the controller refuses: its code and a message naming the value."""

    def __init__(self, code: FollowCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code, self.message = code, message


@dataclass(frozen=True)
class JointTolerance:
    """control_msgs/JointTolerance: m or rad, per s, per s^2 (0 default, -1 no limit)."""

    name: str
    position: float = 0.0
    velocity: float = 0.0
    acceleration: float = 0.0


@dataclass(frozen=True)
class FollowGoal:
    """A FollowJointTrajectory goal as plain data. multi_dof_joint_names and
    component_tolerance_joints say what multi-DOF parts the goal has (none is valid here)."""

    trajectory: JointTrajectoryCommand
    path_tolerance: tuple[JointTolerance, ...] = ()
    goal_tolerance: tuple[JointTolerance, ...] = ()
    goal_time_tolerance_s: float = 0.0
    multi_dof_joint_names: tuple[str, ...] = ()
    component_tolerance_joints: tuple[str, ...] = ()


@dataclass(frozen=True)
class ControllerConfig:
    """config/sha_controller.yaml: joints, default tolerances (0 = not checked), goal time
    (0 = wait for the goal), feedback rate (Hz) and the simulated servo's gains."""

    joints: tuple[str, ...]
    goal_time_s: float
    stopped_velocity_tolerance: float
    path_position: tuple[float, ...]
    goal_position: tuple[float, ...]
    feedback_rate_hz: float = 20.0
    position_gain: float = 0.2
    velocity_margin: float = 1.1
    allow_partial_joints_goal: bool = False

    @classmethod
    def load(cls, path: Path | None = None) -> ControllerConfig:
        """Read the file (default config/sha_controller.yaml); ValueError naming a bad key."""
        path = path or share_path("config", "sha_controller.yaml")
        data = yaml.safe_load(path.read_text()) or {}
        joints = tuple(data.get("joints", ()))
        if joints != SHA_JOINTS:
            raise ValueError(f"{path}: joints must be {list(SHA_JOINTS)}, got {list(joints)}")
        if data.get("allow_partial_joints_goal", False):
            raise ValueError(f"{path}: allow_partial_joints_goal: true is not supported")
        constraints = data.get("constraints", {})
        servo = data.get("servo", {})
        try:
            config = cls(
                joints,
                float(constraints["goal_time"]),
                float(constraints["stopped_velocity_tolerance"]),
                tuple(float(constraints[j]["trajectory"]) for j in joints),
                tuple(float(constraints[j]["goal"]) for j in joints),
                float(data.get("action_monitor_rate", 20.0)),
                float(servo.get("position_gain", 0.2)),
                float(servo.get("velocity_margin", 1.1)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"{path}: constraints need goal_time, "
                f"stopped_velocity_tolerance and per joint trajectory and goal "
                f"({error!r})"
            ) from None
        numbers = (
            config.goal_time_s,
            config.stopped_velocity_tolerance,
            *config.path_position,
            *config.goal_position,
        )
        if any(v < 0 or not math.isfinite(v) for v in numbers) or config.feedback_rate_hz <= 0:
            raise ValueError(f"{path}: tolerances and times must be finite and >= 0")
        if not 0 < config.position_gain <= 1 or config.velocity_margin < 1:
            raise ValueError(f"{path}: servo position_gain in (0, 1], velocity_margin >= 1")
        return config


@dataclass(frozen=True)
class Tolerances:
    """Tolerances in force for one goal, per joint in controller order (0: not checked), and
    the goal time, s (0: wait for the goal)."""

    path_position: tuple[float, ...]
    path_velocity: tuple[float, ...]
    path_acceleration: tuple[float, ...]
    goal_position: tuple[float, ...]
    goal_velocity: tuple[float, ...]
    goal_acceleration: tuple[float, ...]
    goal_time_s: float


@dataclass(frozen=True)
class FollowResult:
    """How a followed trajectory ended: its code, a message, the final positions."""

    code: FollowCode
    message: str = ""
    positions: tuple[float, ...] = field(default=())

    @property
    def succeeded(self) -> bool:
        return self.code == FollowCode.SUCCESSFUL


# ---------------------------------------------------------------------- goal checks
def resolve_tolerance(default: float, given: float, what: str) -> float:
    """A goal's tolerance against the default: > 0 replaces it, 0 keeps it, -1 removes it
    (returns 0: not checked); anything else is INVALID_GOAL."""
    if not math.isfinite(given):
        raise FollowError(FollowCode.INVALID_GOAL, f"{what} {given} is not a number")
    if given > 0.0:
        return given
    if abs(given - ERASE) < _FLOAT_EPS:
        return 0.0
    if given < 0.0:
        raise FollowError(
            FollowCode.INVALID_GOAL,
            f"{what} {given}: a tolerance is > 0, 0 (the default) or -1 (no limit)",
        )
    return default


def goal_tolerances(config: ControllerConfig, goal: FollowGoal) -> Tolerances:
    """The tolerances in force for a goal (FollowError naming a bad entry)."""
    n = len(config.joints)
    path = [list(config.path_position), [0.0] * n, [0.0] * n]
    end = [list(config.goal_position), [config.stopped_velocity_tolerance] * n, [0.0] * n]
    for kind, entries, table in (
        ("path", goal.path_tolerance, path),
        ("goal", goal.goal_tolerance, end),
    ):
        for entry in entries:
            if entry.name not in config.joints:
                raise FollowError(
                    FollowCode.INVALID_JOINTS,
                    f"{kind}_tolerance names joint {entry.name!r}, not one of "
                    f"{list(config.joints)}",
                )
            i = config.joints.index(entry.name)
            for row, key in zip(table, ("position", "velocity", "acceleration"), strict=True):
                row[i] = resolve_tolerance(
                    row[i], getattr(entry, key), f"{kind}_tolerance {entry.name}.{key}"
                )
    goal_time = goal.goal_time_tolerance_s
    if not math.isfinite(goal_time) or goal_time < 0:
        raise FollowError(
            FollowCode.INVALID_GOAL, f"goal_time_tolerance {goal_time} s is negative"
        )
    return Tolerances(
        *(tuple(row) for row in (*path, *end)),
        goal_time_s=goal_time if goal_time > 0 else config.goal_time_s,
    )


def validate(
    config: ControllerConfig, goal: FollowGoal, now_s: float, limits: Sequence[object]
) -> JointTrajectoryCommand:
    """Check a goal as the joint_trajectory_controller does; the trajectory in controller
    joint order, or FollowError with the code and a message naming the value.
    limits: per controller joint, objects with lower, upper, velocity."""
    trajectory = goal.trajectory
    names = trajectory.joint_names
    if goal.multi_dof_joint_names or goal.component_tolerance_joints:
        extra = sorted({*goal.multi_dof_joint_names, *goal.component_tolerance_joints})
        raise FollowError(
            FollowCode.INVALID_JOINTS, f"this controller has no multi-DOF joints: {extra}"
        )
    if not names:
        raise FollowError(FollowCode.INVALID_JOINTS, "empty joint_names")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise FollowError(FollowCode.INVALID_JOINTS, f"joints named more than once: {twice}")
    unknown = [n for n in names if n not in config.joints]
    if unknown:
        raise FollowError(
            FollowCode.INVALID_JOINTS,
            f"joints {unknown} are not this controller's {list(config.joints)}",
        )
    missing = [n for n in config.joints if n not in names]
    if missing:
        raise FollowError(
            FollowCode.INVALID_JOINTS,
            f"joints {missing} missing: partial goals are not allowed",
        )
    if not trajectory.points:
        raise FollowError(FollowCode.INVALID_GOAL, "empty trajectory: no points")
    stamp = trajectory.start_stamp_s
    if stamp != 0.0 and stamp + trajectory.duration_s < now_s:
        raise FollowError(
            FollowCode.OLD_HEADER_TIMESTAMP,
            f"header.stamp {stamp:.3f} s: the trajectory ends at "
            f"{stamp + trajectory.duration_s:.3f} s, before now ({now_s:.3f} s)",
        )
    _check_points(trajectory, len(names))
    ordered = trajectory.reordered(config.joints)
    _check_limits(ordered, config.joints, limits)
    return ordered


def _check_points(trajectory: JointTrajectoryCommand, n: int) -> None:
    previous = -math.inf
    for i, point in enumerate(trajectory.points):
        t = point.time_from_start_s
        if not math.isfinite(t) or t < 0 or t <= previous:
            raise FollowError(
                FollowCode.INVALID_GOAL,
                f"point {i}: time_from_start {t} s is not after the previous point's "
                f"({previous} s): times must increase strictly from >= 0",
            )
        previous = t
        if len(point.positions) != n:
            raise FollowError(
                FollowCode.INVALID_GOAL,
                f"point {i}: {len(point.positions)} positions for {n} joints",
            )
        for key in ("velocities", "accelerations"):
            values = getattr(point, key)
            if values and len(values) != n:
                raise FollowError(
                    FollowCode.INVALID_GOAL, f"point {i}: {len(values)} {key} for {n} joints"
                )
            if bool(values) != bool(getattr(trajectory.points[0], key)):
                raise FollowError(
                    FollowCode.INVALID_GOAL,
                    f"point {i}: {key} given for some points and not others",
                )
        values = (*point.positions, *point.velocities, *point.accelerations)
        if not all(map(math.isfinite, values)):
            raise FollowError(FollowCode.INVALID_GOAL, f"point {i}: a value is not finite")


def _check_limits(
    trajectory: JointTrajectoryCommand, names: Sequence[str], limits: Sequence[object]
) -> None:
    for i, point in enumerate(trajectory.points):
        for j, (name, limit) in enumerate(zip(names, limits, strict=True)):
            q = point.positions[j]
            if not limit.lower <= q <= limit.upper:
                raise FollowError(
                    FollowCode.INVALID_GOAL,
                    f"point {i}: {name} position {q:.6g} outside "
                    f"[{limit.lower:g}, {limit.upper:g}]",
                )
            if point.velocities and abs(point.velocities[j]) > limit.velocity * (1 + 1e-9):
                raise FollowError(
                    FollowCode.INVALID_GOAL,
                    f"point {i}: {name} velocity {point.velocities[j]:.6g} beyond the limit "
                    f"{limit.velocity:g}",
                )


# ---------------------------------------------------------------------- verdict
def verdict(
    joints: Sequence[str],
    t: float,
    end_s: float,
    tolerances: Tolerances,
    errors: tuple[np.ndarray, np.ndarray, np.ndarray],
    motion: tuple[np.ndarray, np.ndarray],
) -> FollowResult | None:
    """The controller's verdict at time t: None while it goes on. errors: desired - actual
    positions, velocities, accelerations; motion: actual velocities and accelerations."""
    position_error, velocity_error, acceleration_error = errors
    velocity, acceleration = motion
    if t <= end_s:
        checks = (
            ("position", position_error, tolerances.path_position),
            ("velocity", velocity_error, tolerances.path_velocity),
            ("acceleration", acceleration_error, tolerances.path_acceleration),
        )
        for what, error, limit in checks:
            i = _first_beyond(error, limit)
            if i is not None:
                return FollowResult(
                    FollowCode.PATH_TOLERANCE_VIOLATED,
                    f"path tolerance violated at t={t:.3f} s: {joints[i]} {what} error "
                    f"{error[i]:.6g} (tolerance {limit[i]:g})",
                )
        return None
    checks = (
        ("position error", position_error, tolerances.goal_position),
        ("velocity", velocity, tolerances.goal_velocity),
        ("acceleration", acceleration, tolerances.goal_acceleration),
    )
    failed = None
    for what, value, limit in checks:
        i = _first_beyond(value, limit)
        if i is not None:
            failed = f"{joints[i]} {what} {value[i]:.6g} (tolerance {limit[i]:g})"
            break
    if failed is None:
        return FollowResult(FollowCode.SUCCESSFUL)
    if tolerances.goal_time_s > 0 and t > end_s + tolerances.goal_time_s:
        return FollowResult(
            FollowCode.GOAL_TOLERANCE_VIOLATED,
            f"goal tolerance violated {tolerances.goal_time_s:g} s after the trajectory's "
            f"end: {failed}",
        )
    return None


def _first_beyond(values: np.ndarray, limits: Sequence[float]) -> int | None:
    """The first joint whose |value| exceeds its limit (limits of 0 are not checked)."""
    for i, (value, limit) in enumerate(zip(values.tolist(), limits, strict=True)):
        if limit > 0 and abs(value) > limit:
            return i
    return None
