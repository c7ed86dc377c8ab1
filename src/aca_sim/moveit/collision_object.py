"""Collision objects with the field names of moveit_msgs/CollisionObject and
shape_msgs/SolidPrimitive (no wheel of those packages exists here), so code written for
moveit_py's apply_collision_object reads the same; a real moveit_msgs message passes as well
(read by attribute). Supported: primitives BOX, SPHERE, CYLINDER; operations ADD (also
replaces), REMOVE, MOVE. Frame: aca_frame only (no tf lookup); units m.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from geometry_msgs.msg import Pose
from std_msgs.msg import Header
from transforms3d.quaternions import quat2mat

from aca_sim.model.names import ROOT_FRAME
from aca_sim.motion.errors import MoveItErrorCode, PlanningError
from aca_sim.motion.scene import SceneObject
from aca_sim.motion.urdf_model import Shape


@dataclass
class SolidPrimitive:
    """shape_msgs/SolidPrimitive: type and dimensions (BOX: x, y, z; SPHERE: radius;
    CYLINDER: height, radius)."""

    BOX = 1
    SPHERE = 2
    CYLINDER = 3
    CONE = 4

    type: int = BOX
    dimensions: list[float] = field(default_factory=list)


@dataclass
class CollisionObject:
    """moveit_msgs/CollisionObject's fields that matter here: header.frame_id, id, pose (the
    object's frame), primitives with their primitive_poses (in the object's frame), and the
    operation."""

    ADD = 0
    REMOVE = 1
    APPEND = 2
    MOVE = 3

    id: str = ""
    header: Header = field(default_factory=lambda: Header(frame_id=ROOT_FRAME))
    pose: Pose = field(default_factory=Pose)
    primitives: list[SolidPrimitive] = field(default_factory=list)
    primitive_poses: list[Pose] = field(default_factory=list)
    operation: int = ADD


def pose_matrix(pose: Any) -> np.ndarray:
    """A geometry_msgs/Pose as a 4x4 transform."""
    q = pose.orientation
    matrix = np.eye(4)
    norm = float(np.linalg.norm([q.w, q.x, q.y, q.z]))
    if norm < 1e-9:  # an all-zero quaternion (a default-built message) means no rotation
        matrix[:3, :3] = np.eye(3)
    else:
        matrix[:3, :3] = quat2mat([q.w / norm, q.x / norm, q.y / norm, q.z / norm])
    matrix[:3, 3] = [pose.position.x, pose.position.y, pose.position.z]
    return matrix


def _shape(primitive: Any, pose: Any, name: str) -> Shape:
    dims = [float(d) for d in primitive.dimensions]
    kind = {1: ("box", 3), 2: ("sphere", 1), 3: ("cylinder", 2)}.get(int(primitive.type))
    if kind is None:
        raise PlanningError(
            MoveItErrorCode.INVALID_OBJECT_NAME,
            f"collision object {name!r}: primitive type {primitive.type} is not BOX, SPHERE "
            "or CYLINDER",
        )
    if len(dims) != kind[1] or min(dims) <= 0:
        raise PlanningError(
            MoveItErrorCode.INVALID_OBJECT_NAME,
            f"collision object {name!r}: a {kind[0]} needs {kind[1]} dimensions > 0, got {dims}",
        )
    size = (dims[1], dims[0]) if kind[0] == "cylinder" else tuple(dims)  # radius, length
    return Shape(kind[0], size, pose_matrix(pose))


def scene_object(obj: Any) -> SceneObject:
    """The planning-scene object an ADD or MOVE collision object describes (PlanningError
    naming what is wrong)."""
    name = str(obj.id)
    if not name:
        raise PlanningError(MoveItErrorCode.INVALID_OBJECT_NAME, "a collision object needs an id")
    frame = obj.header.frame_id or ROOT_FRAME
    if frame != ROOT_FRAME:
        raise PlanningError(
            MoveItErrorCode.FRAME_TRANSFORM_FAILURE,
            f"collision object {name!r}: frame {frame!r} (only {ROOT_FRAME!r}: no tf lookup)",
        )
    if len(obj.primitives) != len(obj.primitive_poses):
        raise PlanningError(
            MoveItErrorCode.INVALID_OBJECT_NAME,
            f"collision object {name!r}: {len(obj.primitives)} primitives but "
            f"{len(obj.primitive_poses)} primitive_poses",
        )
    shapes = tuple(
        _shape(primitive, pose, name)
        for primitive, pose in zip(obj.primitives, obj.primitive_poses, strict=True)
    )
    return SceneObject(name, shapes, pose_matrix(getattr(obj, "pose", Pose())))
