"""A URDF kinematic tree: links with their collision shapes, joints with origins, axes and
limits, and the transform of every link for given joint values.

This is the robot_state_publisher's job (URDF + joint states -> link frames) and the planning
scene's (where each collision shape is). Frame math uses transforms3d: URDF rpy is the
static-frame XYZ Euler convention ('sxyz'), joints rotate about their axis (axis-angle) or
translate along it. Transforms are 4x4 homogeneous numpy arrays, parent <- child.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from transforms3d.axangles import axangle2mat
from transforms3d.euler import euler2mat

MOVABLE = {"revolute", "continuous", "prismatic"}


class UrdfError(ValueError):
    """The URDF text cannot be read as a kinematic tree (the message says where)."""


@dataclass(frozen=True)
class Shape:
    """A collision primitive in its link's frame: kind "box" (size x, y, z), "cylinder"
    (radius, length along z) or "sphere" (radius); origin is a 4x4 transform, m."""

    kind: str
    size: tuple[float, ...]
    origin: np.ndarray = field(compare=False)


@dataclass(frozen=True)
class Joint:
    """A URDF joint: type, parent and child link, origin (4x4, parent <- joint frame), unit
    axis in the joint frame, and limits (m or rad, m/s or rad/s; None where not given)."""

    name: str
    type: str
    parent: str
    child: str
    origin: np.ndarray = field(compare=False)
    axis: np.ndarray = field(compare=False)
    lower: float | None = None
    upper: float | None = None
    velocity: float | None = None
    effort: float | None = None

    def motion(self, value: float) -> np.ndarray:
        """The 4x4 transform the joint adds at `value` (identity for a fixed joint)."""
        moved = np.eye(4)
        if self.type in ("revolute", "continuous"):
            moved[:3, :3] = axangle2mat(self.axis, value)
        elif self.type == "prismatic":
            moved[:3, 3] = self.axis * value
        return moved


def origin_transform(
    xyz: tuple[float, float, float], rpy: tuple[float, float, float]
) -> np.ndarray:
    """The 4x4 transform of a URDF <origin xyz rpy>."""
    transform = np.eye(4)
    transform[:3, :3] = euler2mat(*rpy, axes="sxyz")
    transform[:3, 3] = xyz
    return transform


def _triple(
    text: str | None, default: tuple[float, float, float], where: str
) -> tuple[float, ...]:
    if text is None:
        return default
    parts = text.split()
    if len(parts) != 3:
        raise UrdfError(f"{where}: expected three numbers, got {text!r}")
    try:
        return tuple(float(p) for p in parts)
    except ValueError:
        raise UrdfError(f"{where}: expected three numbers, got {text!r}") from None


def _origin(element: ET.Element | None, where: str) -> np.ndarray:
    if element is None:
        return np.eye(4)
    xyz = _triple(element.get("xyz"), (0.0, 0.0, 0.0), f"{where} origin xyz")
    rpy = _triple(element.get("rpy"), (0.0, 0.0, 0.0), f"{where} origin rpy")
    return origin_transform(xyz, rpy)


def _shape(collision: ET.Element, where: str) -> Shape | None:
    geometry = collision.find("geometry")
    if geometry is None or len(geometry) == 0:
        raise UrdfError(f"{where}: collision without geometry")
    primitive = geometry[0]
    origin = _origin(collision.find("origin"), where)
    if primitive.tag == "box":
        return Shape("box", _triple(primitive.get("size"), (0, 0, 0), f"{where} box"), origin)
    if primitive.tag == "cylinder":
        size = (float(primitive.get("radius", 0)), float(primitive.get("length", 0)))
        return Shape("cylinder", size, origin)
    if primitive.tag == "sphere":
        return Shape("sphere", (float(primitive.get("radius", 0)),), origin)
    return None  # meshes are not used by this model


class UrdfModel:
    """The links, joints and collision shapes of a URDF, and forward kinematics."""

    def __init__(self, urdf_text: str) -> None:
        try:
            robot = ET.fromstring(urdf_text)
        except ET.ParseError as error:
            raise UrdfError(f"not XML: {error}") from None
        self.name = robot.get("name", "")
        self.shapes: dict[str, list[Shape]] = {}
        for link in robot.findall("link"):
            shapes = [_shape(c, f"link {link.get('name')}") for c in link.findall("collision")]
            self.shapes[link.get("name")] = [s for s in shapes if s is not None]
        self.joints: dict[str, Joint] = {}
        for element in robot.findall("joint"):
            self.joints[element.get("name")] = self._joint(element)
        children = {j.child for j in self.joints.values()}
        roots = [name for name in self.shapes if name not in children]
        if len(roots) != 1:
            raise UrdfError(f"expected one root link, found {roots}")
        self.root = roots[0]
        self._by_child = {j.child: j for j in self.joints.values()}
        self._order = self._topological()

    def _joint(self, element: ET.Element) -> Joint:
        name = element.get("name")
        parent, child = element.find("parent"), element.find("child")
        if parent is None or child is None:
            raise UrdfError(f"joint {name}: needs a parent and a child")
        axis_element = element.find("axis")
        axis_text = None if axis_element is None else axis_element.get("xyz")
        axis = np.array(_triple(axis_text, (1.0, 0.0, 0.0), f"joint {name} axis"))
        limit = element.find("limit")

        def number(key: str) -> float | None:
            return None if limit is None or limit.get(key) is None else float(limit.get(key))

        return Joint(
            name,
            element.get("type", ""),
            parent.get("link"),
            child.get("link"),
            _origin(element.find("origin"), f"joint {name}"),
            axis / np.linalg.norm(axis),
            number("lower"),
            number("upper"),
            number("velocity"),
            number("effort"),
        )

    def _topological(self) -> list[Joint]:
        order, frontier = [], [self.root]
        by_parent: dict[str, list[Joint]] = {}
        for joint in self.joints.values():
            by_parent.setdefault(joint.parent, []).append(joint)
        while frontier:
            link = frontier.pop()
            for joint in sorted(by_parent.get(link, []), key=lambda j: j.name):
                order.append(joint)
                frontier.append(joint.child)
        return order

    @property
    def movable_joints(self) -> list[str]:
        """Names of the joints that move (revolute, continuous, prismatic), in tree order."""
        return [j.name for j in self._order if j.type in MOVABLE]

    def link_transforms(self, values: Mapping[str, float]) -> dict[str, np.ndarray]:
        """Every link's 4x4 transform in the root frame for joint values (missing ones 0)."""
        found = {self.root: np.eye(4)}
        for joint in self._order:
            local = joint.origin @ joint.motion(values.get(joint.name, 0.0))
            found[joint.child] = found[joint.parent] @ local
        return found

    def joint_transform(self, joint: str, value: float) -> np.ndarray:
        """A joint's transform parent link <- child link at `value`."""
        j = self.joints[joint]
        return j.origin @ j.motion(value)

    def chain(self, tip: str) -> list[Joint]:
        """The joints from the root to a link, root first."""
        joints = []
        link = tip
        while link in self._by_child:
            joints.append(self._by_child[link])
            link = self._by_child[link].parent
        return joints[::-1]
