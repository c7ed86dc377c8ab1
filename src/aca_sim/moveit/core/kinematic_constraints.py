"""Goal constraints as moveit_py builds them (moveit.core.kinematic_constraints):
construct_joint_constraint and construct_link_constraint return a Constraints with the field
names of moveit_msgs/Constraints (no wheel of moveit_msgs' full package or of shape_msgs
exists here, so these are dataclasses; a real moveit_msgs message passes as well: it is read
by attribute), and goal_of turns one into the planner's goal.

What a goal may say here (the arm has three joints: z, shoulder, elbow):
- joint constraints naming every sha joint (the plan ends at their positions);
- a position constraint of the fork (sha_tool) in aca_frame, the region's first primitive
  pose its centre, with or without an orientation constraint (its z tolerance is the yaw
  tolerance; without one, any yaw).
Anything else is refused with a PlanningError naming it, never dropped.
Units: m, rad.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from geometry_msgs.msg import Point, Pose, Quaternion, Vector3
from std_msgs.msg import Header

from aca_sim.model.names import FORK_LINK, ROOT_FRAME, SHA_JOINTS
from aca_sim.motion.arm_planner import Goal, JointGoal, PoseGoal
from aca_sim.motion.errors import MoveItErrorCode, PlanningError
from aca_sim.moveit.collision_object import SolidPrimitive
from aca_sim.moveit.robot_state import JointModelGroup, RobotState


@dataclass
class JointConstraint:
    """moveit_msgs/JointConstraint."""

    joint_name: str = ""
    position: float = 0.0
    tolerance_above: float = 0.0
    tolerance_below: float = 0.0
    weight: float = 0.0


@dataclass
class BoundingVolume:
    """moveit_msgs/BoundingVolume (primitives only; meshes are refused)."""

    primitives: list[SolidPrimitive] = field(default_factory=list)
    primitive_poses: list[Pose] = field(default_factory=list)
    meshes: list[Any] = field(default_factory=list)
    mesh_poses: list[Pose] = field(default_factory=list)


@dataclass
class PositionConstraint:
    """moveit_msgs/PositionConstraint."""

    header: Header = field(default_factory=Header)
    link_name: str = ""
    target_point_offset: Vector3 = field(default_factory=Vector3)
    constraint_region: BoundingVolume = field(default_factory=BoundingVolume)
    weight: float = 0.0


@dataclass
class OrientationConstraint:
    """moveit_msgs/OrientationConstraint."""

    XYZ_EULER_ANGLES = 0
    ROTATION_VECTOR = 1

    header: Header = field(default_factory=Header)
    orientation: Quaternion = field(default_factory=Quaternion)
    link_name: str = ""
    absolute_x_axis_tolerance: float = 0.0
    absolute_y_axis_tolerance: float = 0.0
    absolute_z_axis_tolerance: float = 0.0
    parameterization: int = XYZ_EULER_ANGLES
    weight: float = 0.0


@dataclass
class Constraints:
    """moveit_msgs/Constraints."""

    name: str = ""
    joint_constraints: list[JointConstraint] = field(default_factory=list)
    position_constraints: list[PositionConstraint] = field(default_factory=list)
    orientation_constraints: list[OrientationConstraint] = field(default_factory=list)
    visibility_constraints: list[Any] = field(default_factory=list)


def construct_joint_constraint(
    robot_state: RobotState, joint_model_group: JointModelGroup, tolerance: float = 0.01
) -> Constraints:
    """Joint constraints holding the group's joints at robot_state's positions, +- tolerance
    (m or rad), weight 1 (moveit_py's construct_joint_constraint)."""
    positions = robot_state.get_joint_group_positions(joint_model_group.name)
    return Constraints(
        joint_constraints=[
            JointConstraint(name, float(value), tolerance, tolerance, 1.0)
            for name, value in zip(
                joint_model_group.active_joint_model_names, positions, strict=True
            )
        ]
    )


def construct_link_constraint(
    link_name: str,
    source_frame: str,
    cartesian_position: Sequence[float] | None = None,
    cartesian_position_tolerance: float | None = None,
    orientation: Sequence[float] | None = None,
    orientation_tolerance: float | None = None,
) -> Constraints:
    """A link's position (a sphere of radius cartesian_position_tolerance, m, around
    cartesian_position) and/or orientation (quaternion x, y, z, w, every axis within
    orientation_tolerance rad) in source_frame (moveit_py's construct_link_constraint)."""
    if cartesian_position is None and orientation is None:
        raise ValueError("No link cartesian or orientation constraints specified")
    header = Header(frame_id=source_frame)
    constraints = Constraints()
    if cartesian_position is not None:
        x, y, z = (float(v) for v in cartesian_position)
        radius = float(cartesian_position_tolerance or 0.0)
        region = BoundingVolume(
            [SolidPrimitive(SolidPrimitive.SPHERE, [radius])],
            [Pose(position=Point(x=x, y=y, z=z), orientation=Quaternion(w=1.0))],
        )
        constraints.position_constraints.append(
            PositionConstraint(header, link_name, Vector3(), region, 1.0)
        )
    if orientation is not None:
        qx, qy, qz, qw = (float(v) for v in orientation)
        tolerance = float(orientation_tolerance or 0.0)
        constraints.orientation_constraints.append(
            OrientationConstraint(
                header,
                Quaternion(x=qx, y=qy, z=qz, w=qw),
                link_name,
                tolerance,
                tolerance,
                tolerance,
                OrientationConstraint.XYZ_EULER_ANGLES,
                1.0,
            )
        )
    return constraints


def goal_of(constraints: Any) -> Goal:
    """The planner's goal a Constraints (or a real moveit_msgs/Constraints) asks for;
    PlanningError with INVALID_GOAL_CONSTRAINTS, INVALID_LINK_NAME or FRAME_TRANSFORM_FAILURE
    naming what this arm cannot take."""
    joints = list(constraints.joint_constraints)
    positions = list(constraints.position_constraints)
    orientations = list(constraints.orientation_constraints)
    if list(constraints.visibility_constraints):
        _refuse("visibility constraints are not supported")
    if joints and (positions or orientations):
        _refuse("joint constraints mixed with link constraints in one Constraints")
    if joints:
        return _joint_goal(joints)
    if positions:
        return _pose_goal(positions, orientations)
    if orientations:
        _refuse("an orientation constraint alone: the fork's pose needs a position constraint")
    _refuse("empty Constraints: no joint, position or orientation constraint")
    raise AssertionError  # unreachable: _refuse raises


def _joint_goal(joints: list[Any]) -> JointGoal:
    by_name = {str(c.joint_name): float(c.position) for c in joints}
    unknown = sorted(set(by_name) - set(SHA_JOINTS))
    if unknown:
        _refuse(f"joint constraints name {unknown}: the sha group is {list(SHA_JOINTS)}")
    missing = [name for name in SHA_JOINTS if name not in by_name]
    if missing:
        _refuse(f"joint constraints leave {missing} free: give every joint of the sha group")
    return JointGoal(tuple(by_name[name] for name in SHA_JOINTS))


def _pose_goal(positions: list[Any], orientations: list[Any]) -> PoseGoal:
    if len(positions) > 1 or len(orientations) > 1:
        _refuse("more than one position or orientation constraint: one of each at most")
    position = positions[0]
    _check_link_and_frame(position.link_name, position.header.frame_id)
    offset = position.target_point_offset
    if any(abs(v) > 1e-12 for v in (offset.x, offset.y, offset.z)):
        _refuse(f"target_point_offset {(offset.x, offset.y, offset.z)}: only 0 is supported")
    region = position.constraint_region
    if list(region.meshes) or not list(region.primitive_poses):
        _refuse("the position constraint's region needs a primitive pose (meshes unsupported)")
    centre = region.primitive_poses[0].position
    if orientations:
        orientation = orientations[0]
        _check_link_and_frame(orientation.link_name, orientation.header.frame_id)
        q = orientation.orientation
        return PoseGoal(
            (centre.x, centre.y, centre.z),
            (q.x, q.y, q.z, q.w),
            FORK_LINK,
            max(float(orientation.absolute_z_axis_tolerance), 0.0),
        )
    return PoseGoal((centre.x, centre.y, centre.z), link=FORK_LINK, yaw_tolerance_rad=math.pi)


def _check_link_and_frame(link: str, frame: str) -> None:
    if link != FORK_LINK:
        raise PlanningError(
            MoveItErrorCode.INVALID_LINK_NAME,
            f"constraint link {link!r}: link constraints are solved for {FORK_LINK!r}",
        )
    if frame not in ("", ROOT_FRAME):
        raise PlanningError(
            MoveItErrorCode.FRAME_TRANSFORM_FAILURE,
            f"constraint frame {frame!r}: constraints are in {ROOT_FRAME!r}",
        )


def _refuse(message: str) -> None:
    raise PlanningError(MoveItErrorCode.INVALID_GOAL_CONSTRAINTS, message)
