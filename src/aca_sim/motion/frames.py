"""The robot_state_publisher's job: a URDF's joints as parent -> child frame transforms, the
fixed joints once (for /tf_static) and the movable joints for given joint positions (for
/tf). Frame math with transforms3d: URDF rpy (static XYZ Euler), axis-angle joint motion,
rotation matrices to quaternions. No ROS here (aca_sim.ros converts to TFMessage).

Units: m; quaternions (x, y, z, w), the order geometry_msgs uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from transforms3d.quaternions import axangle2quat, mat2quat, qmult

from aca_sim.motion.urdf_model import MOVABLE, UrdfModel


@dataclass(frozen=True)
class FrameTransform:
    """The pose of `child` in `parent`: translation (m) and rotation (x, y, z, w)."""

    parent: str
    child: str
    translation: tuple[float, float, float]
    rotation: tuple[float, float, float, float]


def frame_transform(parent: str, child: str, matrix: np.ndarray) -> FrameTransform:
    """A 4x4 homogeneous transform (parent <- child) as a FrameTransform."""
    w, x, y, z = mat2quat(matrix[:3, :3])
    if w < 0:  # one of the two equal quaternions, with w >= 0, so repeated calls agree
        w, x, y, z = -w, -x, -y, -z
    tx, ty, tz = (float(v) for v in matrix[:3, 3])
    return FrameTransform(parent, child, (tx, ty, tz), (float(x), float(y), float(z), float(w)))


class RobotFrames:
    """The transforms of one URDF's joints."""

    def __init__(self, urdf: UrdfModel) -> None:
        self.urdf = urdf
        self._movable = [j for j in urdf.joints.values() if j.type in MOVABLE]
        self._fixed = [j for j in urdf.joints.values() if j.type not in MOVABLE]
        # Per movable joint, its origin as translation + quaternion (w, x, y, z), computed
        # once: a joint's motion then composes as quaternions, with no matrix to convert.
        self._origins = [
            (j.origin[:3, 3].copy(), mat2quat(j.origin[:3, :3]), j.origin[:3, :3].copy())
            for j in self._movable
        ]

    @property
    def root(self) -> str:
        """The root link: the frame every other frame hangs from."""
        return self.urdf.root

    @property
    def movable_joints(self) -> list[str]:
        return [j.name for j in self._movable]

    def fixed(self) -> list[FrameTransform]:
        """Every fixed joint's transform (they never change: /tf_static)."""
        return [frame_transform(j.parent, j.child, j.origin) for j in self._fixed]

    def moving(self, positions: Mapping[str, float]) -> list[FrameTransform]:
        """Every movable joint's transform at the given positions (m or rad; a joint not
        given is at 0)."""
        frames = []
        for joint, (t0, q0, r0) in zip(self._movable, self._origins, strict=True):
            value = positions.get(joint.name, 0.0)
            if joint.type == "prismatic":
                translation, (w, x, y, z) = t0 + r0 @ (joint.axis * value), q0
            else:
                translation, (w, x, y, z) = t0, qmult(q0, axangle2quat(joint.axis, value))
            if w < 0:
                w, x, y, z = -w, -x, -y, -z
            tx, ty, tz = (float(v) for v in translation)
            frames.append(
                FrameTransform(
                    joint.parent,
                    joint.child,
                    (tx, ty, tz),
                    (float(x), float(y), float(z), float(w)),
                )
            )
        return frames
