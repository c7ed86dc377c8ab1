"""Which joints turn a link that looks the same at every angle: a leaf link whose collision
shapes are spheres, or cylinders, capsules and prisms on the joint axis. Turning such a joint
changes no contact geometry (a prism, PyBullet's convex hull of a URDF cylinder, within
SYMMETRY_TOLERANCE_M: its facets' depth), so a coast may spin it or leave it off its target.

Thread rule: the physics thread. Units: m; frame: aca_frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from aca_sim.sim.quiet import BulletClient

SYMMETRY_TOLERANCE_M = 1e-4  # how far a turned shape's surface may move (a 32-gon of 6 mm: 29 um)
_ON_AXIS_M = 1e-6  # a shape's centre this close to the axis is on it


def turns_symmetric_link(p: BulletClient, body: int, joint: int) -> bool:
    """Whether `joint` of `body` is revolute and turns a link that is symmetric about its axis
    (module docstring). The caller checks that the link is a leaf (Mechanism.links_moved_by)."""
    info = p.getJointInfo(body, joint)
    if info[2] != p.JOINT_REVOLUTE:
        return False
    link = p.getLinkState(body, joint, computeForwardKinematics=True)
    origin = np.array(link[4])
    axis = _rotation(p, link[5]) @ np.array(info[13])
    shapes = p.getCollisionShapeData(body, joint)
    for index, shape in enumerate(shapes):
        kind = shape[2]
        centre, orientation = p.multiplyTransforms(link[0], link[1], shape[5], shape[6])
        rotation = _rotation(p, orientation)
        on_axis = _off_axis(np.array([centre]), origin, axis)[0] <= _ON_AXIS_M
        if kind == p.GEOM_SPHERE:
            ok = on_axis
        elif kind in (p.GEOM_CYLINDER, p.GEOM_CAPSULE):
            ok = on_axis and abs(float(rotation[:, 2] @ axis)) >= 1 - 1e-9
        elif kind == p.GEOM_MESH:
            _count, local = p.getMeshData(body, joint, collisionShapeIndex=index)
            vertices = np.array(local) @ rotation.T + np.array(centre)
            ok = _prism_depth(vertices, origin, axis) <= SYMMETRY_TOLERANCE_M
        else:
            ok = False
        if not ok:
            return False
    return bool(shapes)


def _prism_depth(vertices: np.ndarray, origin: np.ndarray, axis: np.ndarray) -> float:
    """How far a hull of vertices (n x 3) strays from the cylinder round the axis through its
    farthest vertex, m: its facets' depth when every vertex lies on that cylinder, else
    infinity."""
    radii = _off_axis(vertices, origin, axis)
    if len(radii) < 3 or radii.max() - radii.min() > 10 * _ON_AXIS_M:
        return math.inf
    helper = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    first = np.cross(axis, helper)
    first /= np.linalg.norm(first)
    second = np.cross(axis, first)
    offsets = vertices - origin
    angles = np.unique(np.round(np.arctan2(offsets @ second, offsets @ first), 4))
    if len(angles) < 3:
        return math.inf
    gaps = np.diff(np.append(angles, angles[0] + 2 * math.pi))
    return float(radii.max() * (1 - math.cos(gaps.max() / 2)))


def _off_axis(points: np.ndarray, origin: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Distances of points (n x 3) from the axis line through origin, m."""
    offsets = points - origin
    along = offsets @ axis
    return np.sqrt(np.maximum(0.0, np.einsum("ij,ij->i", offsets, offsets) - along**2))


def _rotation(p: BulletClient, orientation: Sequence[float]) -> np.ndarray:
    """The rotation matrix of a quaternion (x, y, z, w)."""
    return np.array(p.getMatrixFromQuaternion(orientation)).reshape(3, 3)
