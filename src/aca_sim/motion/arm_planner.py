"""Plan SHA motions the way moveit_py's PlanningComponent does: a goal (a named state, joint
values or a pose of the fork), checks of start and goal with MoveIt's error codes, a
collision-free path (OMPL) and its timing within the joint limits (ruckig). No ROS here.

Frames: aca_frame; the fork's pose is the sha_tool frame (on the tube axis, at the tool
point); its yaw is shoulder + elbow. Units: m, rad, s.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from transforms3d.euler import euler2quat, quat2euler

from aca_sim.model.config import ModelConfig
from aca_sim.model.names import FORK_LINK, SHA_JOINTS
from aca_sim.model.urdf import aca_urdf_text
from aca_sim.motion.errors import MoveItErrorCode, PlanningError
from aca_sim.motion.joint_limits import arm_bounds, arm_limits
from aca_sim.motion.kinematics import ArmKinematics, JointPositions, UnreachableError
from aca_sim.motion.planner import PlannerSettings, plan_path, planner_name, planner_names
from aca_sim.motion.scene import PlanningScene
from aca_sim.motion.semantic import SemanticModel, arm_kinematics, semantic_model
from aca_sim.motion.timing import Limits, time_path
from aca_sim.motion.trajectory import Trajectory

GROUP = "sha"
Q = tuple[float, float, float]


@dataclass(frozen=True)
class NamedGoal:
    """A named configuration of the SRDF."""

    name: str


@dataclass(frozen=True)
class JointGoal:
    """Joint values of sha_z (m), sha_shoulder and sha_elbow (rad)."""

    values: tuple[float, ...]


@dataclass(frozen=True)
class PoseGoal:
    """A pose of the fork (sha_tool) in aca_frame: position (m) and orientation quaternion
    (x, y, z, w); the yaw must be met within yaw_tolerance_rad (pi: any yaw, the nearest
    elbow branch is taken)."""

    position: tuple[float, float, float]
    orientation: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)
    link: str = FORK_LINK
    yaw_tolerance_rad: float = math.pi


Goal = NamedGoal | JointGoal | PoseGoal


@dataclass(frozen=True)
class PlanParameters:
    """Like moveit_py's PlanRequestParameters (planner_id, planning_time,
    planning_attempts, max_velocity_scaling_factor, max_acceleration_scaling_factor), plus
    the seed that makes the plan reproducible."""

    planner_id: str = "RRTConnect"
    planning_time: float = 1.0
    planning_attempts: int = 1
    max_velocity_scaling_factor: float = 1.0
    max_acceleration_scaling_factor: float = 1.0
    seed: int = 0


@dataclass(frozen=True)
class PlanResult:
    """A planning outcome, truthy on success (moveit_py's MotionPlanResponse): the error
    code and a message, the timed trajectory, the wall time planning took (s), the start
    and goal joint values and the collision-free path (joint waypoints)."""

    error_code: MoveItErrorCode
    message: str = ""
    trajectory: Trajectory | None = None
    planning_time: float = 0.0
    start_state: Q | None = None
    goal_state: Q | None = None
    path: list[Q] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.error_code == MoveItErrorCode.SUCCESS


TILT_TOLERANCE_RAD = 0.01  # moveit_py's angle tolerance for a pose goal


def _upright(orientation: Sequence[float]) -> tuple[float, float, float, float]:
    """A pose goal's orientation, normalised, if the arm can take it: the fork turns only
    about z, so a tilt of its z axis beyond TILT_TOLERANCE_RAD is NO_IK_SOLUTION, and what is
    not a quaternion INVALID_GOAL_CONSTRAINTS (PlanningError naming the value)."""
    norm = math.sqrt(sum(c * c for c in orientation))
    if not math.isfinite(norm) or norm < 1e-9:
        raise PlanningError(
            MoveItErrorCode.INVALID_GOAL_CONSTRAINTS,
            f"orientation {tuple(orientation)}: not a unit quaternion (x, y, z, w)",
        )
    x, y, z, w = (c / norm for c in orientation)
    tilt = math.acos(max(-1.0, min(1.0, 1.0 - 2.0 * (x * x + y * y))))  # z axis from vertical
    if tilt > TILT_TOLERANCE_RAD:
        raise PlanningError(
            MoveItErrorCode.NO_IK_SOLUTION,
            f"orientation {tuple(round(c, 4) for c in orientation)} tilts the fork {tilt:.3f} rad "
            f"from vertical: the arm turns it only about z (yaw), within {TILT_TOLERANCE_RAD} rad",
        )
    return x, y, z, w


def yaw_of(orientation: Sequence[float]) -> float:
    """The yaw (about +Z, rad) of a quaternion given as (x, y, z, w)."""
    x, y, z, w = orientation
    return quat2euler((w, x, y, z), axes="sxyz")[2]


def quaternion_of_yaw(yaw: float) -> tuple[float, float, float, float]:
    """The quaternion (x, y, z, w) of a rotation about +Z."""
    w, x, y, z = euler2quat(0.0, 0.0, yaw, axes="sxyz")
    return (x, y, z, w)


def _wrap(angle: float) -> float:
    return math.atan2(math.sin(angle), math.cos(angle))


class ArmPlanner:
    """Plans in one planning scene with the group's named states and limits. Thread rule: one
    thread at a time (it uses the scene)."""

    @classmethod
    def for_config(cls, config: ModelConfig, padding_m: float = 0.002) -> ArmPlanner:
        """A planner for a model configuration: its URDF, SRDF and joint limits, with an
        empty scene (all joints 0, no tubes) until the first update."""
        semantic = semantic_model(config)
        scene = PlanningScene(aca_urdf_text(config), config, semantic, padding_m)
        return cls(scene, semantic, arm_kinematics(config), arm_limits(config), arm_bounds(config))

    def __init__(
        self,
        scene: PlanningScene,
        semantic: SemanticModel,
        kinematics: ArmKinematics,
        limits: Limits,
        bounds: Sequence[tuple[float, float]],
    ) -> None:
        self.scene, self.semantic, self.kinematics = scene, semantic, kinematics
        self.limits, self.bounds = limits, list(bounds)

    # ------------------------------------------------------------------ goals and states
    def fork_pose(self, q: Sequence[float]) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """The fork's (sha_tool) position (m) and orientation (x, y, z, w) at joint values q."""
        point = self.kinematics.kin.forward(JointPositions(*q))
        z = point.z - self.kinematics.kin.tube_top_above_tool
        return (point.x, point.y, z), quaternion_of_yaw(_wrap(q[1] + q[2]))

    def goal_state(self, goal: Goal) -> Q:
        """The joint values a goal asks for (PlanningError naming what is wrong with it)."""
        if isinstance(goal, NamedGoal):
            try:
                return tuple(self.semantic.state(goal.name))
            except KeyError as error:
                raise PlanningError(
                    MoveItErrorCode.INVALID_GOAL_CONSTRAINTS, error.args[0]
                ) from None
        if isinstance(goal, JointGoal):
            q = self._joint_values(goal.values, "goal")
            self._within_limits(q, MoveItErrorCode.GOAL_STATE_INVALID, "goal")
            return q
        if isinstance(goal, PoseGoal):
            return self._solve_pose(goal)
        raise PlanningError(MoveItErrorCode.UNRECOGNIZED_GOAL_TYPE, f"unknown goal {goal!r}")

    def _joint_values(self, values: Sequence[float], what: str) -> Q:
        if len(values) != len(SHA_JOINTS) or not all(map(math.isfinite, values)):
            raise PlanningError(
                MoveItErrorCode.INVALID_ROBOT_STATE,
                f"{what} needs {len(SHA_JOINTS)} finite values "
                f"({', '.join(SHA_JOINTS)}), got {list(values)}",
            )
        return tuple(float(v) for v in values)

    def _within_limits(self, q: Q, code: MoveItErrorCode, what: str) -> None:
        violation = self.kinematics.violation(JointPositions(*q))
        if violation:
            raise PlanningError(code, f"{what} state: {violation}")

    def pose_solutions(self, goal: PoseGoal) -> list[Q]:
        """The joint values that put the fork at a pose, within limits and the yaw
        tolerance, nearest yaw first, collisions not checked (moveit_py's set_from_ik);
        PlanningError (INVALID_LINK_NAME, NO_IK_SOLUTION, INVALID_GOAL_CONSTRAINTS) naming
        why there is none."""
        if goal.link != FORK_LINK:
            raise PlanningError(
                MoveItErrorCode.INVALID_LINK_NAME,
                f"pose_link {goal.link!r}: poses are solved for {FORK_LINK!r}",
            )
        x, y, z = goal.position
        wanted = yaw_of(_upright(goal.orientation))
        top = z + self.kinematics.kin.tube_top_above_tool
        candidates, reasons = [], []
        for sign in (1, -1):
            try:
                q = tuple(self.kinematics.kin.inverse(x, y, top, sign))
            except UnreachableError as error:
                raise PlanningError(MoveItErrorCode.NO_IK_SOLUTION, str(error)) from None
            violation = self.kinematics.violation(JointPositions(*q))
            if violation:
                reasons.append(f"elbow {'+' if sign > 0 else '-'}: {violation}")
                continue
            error = abs(_wrap(q[1] + q[2] - wanted))
            if error > goal.yaw_tolerance_rad:
                reasons.append(f"elbow {'+' if sign > 0 else '-'}: yaw {q[1] + q[2]:.3f} rad")
                continue
            candidates.append((error, q))
        if not candidates:
            raise PlanningError(
                MoveItErrorCode.NO_IK_SOLUTION,
                f"pose ({x:.4f}, {y:.4f}, {z:.4f}) yaw {wanted:.3f} rad: {'; '.join(reasons)}",
            )
        return [q for _error, q in sorted(candidates)]

    def _solve_pose(self, goal: PoseGoal) -> Q:
        solutions = self.pose_solutions(goal)
        for q in solutions:
            if self.scene.is_free(q):
                return q
        contact = self.scene.contacts(solutions[0])[0]
        x, y, z = goal.position
        raise PlanningError(
            MoveItErrorCode.GOAL_IN_COLLISION,
            f"pose ({x:.4f}, {y:.4f}, {z:.4f}): {contact.arm} would touch {contact.other}",
        )

    # ------------------------------------------------------------------ planning
    def check_group(self, group: str) -> None:
        """PlanningError INVALID_GROUP_NAME unless the SRDF has this planning group."""
        if group not in self.semantic.groups:
            known = ", ".join(sorted(self.semantic.groups))
            raise PlanningError(
                MoveItErrorCode.INVALID_GROUP_NAME,
                f"no planning group {group!r} (known: {known})",
            )

    def plan(
        self, start: Sequence[float], goal: Goal, params: PlanParameters, group: str = GROUP
    ) -> PlanResult:
        """Plan from joint values `start` to a goal; every failure is a result with its code."""
        started = time.perf_counter()
        q0: Q | None = None
        try:
            self.check_group(group)
            q0 = self._joint_values(start, "start")
            self._within_limits(q0, MoveItErrorCode.START_STATE_INVALID, "start")
            touching = self.scene.contacts(q0)
            if touching:
                raise PlanningError(
                    MoveItErrorCode.START_STATE_IN_COLLISION,
                    f"start state: {touching[0].arm} touches {touching[0].other}",
                )
            q1 = self.goal_state(goal)
            touching = self.scene.contacts(q1)
            if touching:
                raise PlanningError(
                    MoveItErrorCode.GOAL_IN_COLLISION,
                    f"goal state: {touching[0].arm} would touch {touching[0].other}",
                )
            limits = self.limits.scaled(
                params.max_velocity_scaling_factor, params.max_acceleration_scaling_factor
            )
            path = self._path(q0, q1, params)
            collision = self.scene.collision
            trajectory = time_path(
                path, SHA_JOINTS, limits, collision.clearance, collision.sweep_bound
            )
        except PlanningError as error:
            elapsed = time.perf_counter() - started
            return PlanResult(error.code, error.message, None, elapsed, q0)
        elapsed = time.perf_counter() - started
        return PlanResult(MoveItErrorCode.SUCCESS, "", trajectory, elapsed, q0, q1, path)

    def _path(self, q0: Q, q1: Q, params: PlanParameters) -> list[Q]:
        if params.planning_time <= 0 or params.planning_attempts < 1:
            raise PlanningError(
                MoveItErrorCode.INVALID_MOTION_PLAN,
                f"planning_time {params.planning_time} and planning_attempts "
                f"{params.planning_attempts} must be > 0",
            )
        if planner_name(params.planner_id) not in planner_names():
            raise PlanningError(
                MoveItErrorCode.PLANNING_FAILED,
                f"no OMPL planner {params.planner_id!r} (known: {', '.join(planner_names())})",
            )
        collision = self.scene.collision
        failure: PlanningError | None = None
        for attempt in range(params.planning_attempts):
            settings = PlannerSettings(
                params.planner_id, params.planning_time, params.seed + attempt
            )
            try:
                return plan_path(
                    q0,
                    q1,
                    self.bounds,
                    collision.is_free,
                    collision.clearance,
                    collision.sweep_bound,
                    settings,
                )
            except PlanningError as error:
                failure = error
        assert failure is not None
        raise failure
