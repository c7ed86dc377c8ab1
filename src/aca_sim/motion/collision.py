"""The ACA's collision model for planning, with python-fcl: the SHA's links (and a held tube)
move with the arm's joints; everything else is the world: the other links of the URDF (posed
for the other joints' values), tubes in storage or in bits, the ground, and named objects.

Chosen on measurement (bench/motion_bench.py, this machine): for a yes/no check a second
PyBullet DIRECT client with an AABB broadphase and getClosestPoints is about as fast (30k vs
25k checks/s; the two answers differ in 0.13% of states, all within 0.6 mm of the margin),
but the planner's motion validation needs the distance to the nearest obstacle, which FCL
gives 23x faster (8k vs 350 queries/s); and it keeps planning out of any physics client
(PyBullet holds the GIL during its calls). Shapes are padded by `padding_m`, so a state that
passes keeps twice that clearance. Thread rule: one thread at a time uses a CollisionModel.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import fcl
import numpy as np

from aca_sim.model.names import SHA_JOINTS, SHA_LINKS
from aca_sim.motion.urdf_model import Shape, UrdfModel

HELD_TUBE = "held_tube"
HELD_TOUCH_LINKS = ("sha_fore",)  # what a held tube may touch (MoveIt's touch_links)


@dataclass(frozen=True)
class Contact:
    """Two parts in collision: an arm part and what it touches (a world part or arm part)."""

    arm: str
    other: str


def _geometry(shape: Shape, padding: float) -> fcl.CollisionGeometry:
    if shape.kind == "box":
        return fcl.Box(*(s + 2 * padding for s in shape.size))
    if shape.kind == "cylinder":
        return fcl.Cylinder(shape.size[0] + padding, shape.size[1] + 2 * padding)
    if shape.kind == "sphere":
        return fcl.Sphere(shape.size[0] + padding)
    raise ValueError(f"unsupported shape kind {shape.kind!r}")


def _transform(matrix: np.ndarray) -> fcl.Transform:
    return fcl.Transform(matrix[:3, :3], matrix[:3, 3])


class _Part:
    """One collision object and where it sits on its link (4x4)."""

    def __init__(self, name: str, shape: Shape, padding: float) -> None:
        self.name = name
        self.offset = shape.origin
        self.geometry = _geometry(shape, padding)
        self.object = fcl.CollisionObject(self.geometry, fcl.Transform())

    def place(self, link_pose: np.ndarray) -> None:
        self.object.setTransform(_transform(link_pose @ self.offset))


class CollisionModel:
    """FCL objects of the arm and of the world, and queries on arm joint values."""

    def __init__(
        self,
        urdf: UrdfModel,
        padding_m: float = 0.002,
        disabled: Iterable[tuple[str, str]] = (),
    ) -> None:
        """disabled: link pairs never checked against each other (the SRDF's); among the
        arm's parts only those pairs matter, the world's parts are never checked against
        each other (the planner moves only the arm)."""
        self.urdf, self.padding = urdf, padding_m
        self.allowed = {frozenset(pair) for pair in disabled}
        self.allowed |= {frozenset({HELD_TUBE, link}) for link in HELD_TOUCH_LINKS}
        self._arm = [
            _Part(link, shape, padding_m) for link in SHA_LINKS for shape in urdf.shapes[link]
        ]
        self._held: _Part | None = None
        self._placed_at: tuple[float, ...] | None = None  # q the arm's parts sit at now
        self._held_on: np.ndarray | None = None
        self._world: dict[str, list[_Part]] = {}
        self._world_links = [
            link for link, shapes in urdf.shapes.items() if shapes and link not in SHA_LINKS
        ]
        self._values: dict[str, float] = {}
        self._chain = [urdf.joints[name] for name in SHA_JOINTS]
        self._arm_base = urdf.link_transforms({})[self._chain[0].parent]
        self._radii = self._sweep_radii()
        self._manager = fcl.DynamicAABBTreeCollisionManager()
        self.set_joint_values({})

    # ------------------------------------------------------------------ the world
    def set_joint_values(self, values: Mapping[str, float]) -> None:
        """Pose the world's links for the values of the joints that are not the arm's."""
        self._values = {k: v for k, v in values.items() if k not in SHA_JOINTS}
        poses = self.urdf.link_transforms(self._values)
        for link in self._world_links:
            parts = self._world.get(link)
            if parts is None:
                parts = [_Part(link, s, self.padding) for s in self.urdf.shapes[link]]
                self._world[link] = parts
            for part in parts:
                part.place(poses[link])
        self._rebuild()

    def set_objects(self, objects: Mapping[str, tuple[Sequence[Shape], np.ndarray]]) -> None:
        """Replace the world's loose objects (tubes, named objects): name -> (shapes in the
        object's frame, the object's 4x4 pose in the root frame)."""
        for name in [n for n in self._world if n not in self._world_links]:
            del self._world[name]
        for name, (shapes, pose) in objects.items():
            parts = [_Part(name, shape, self.padding) for shape in shapes]
            for part in parts:
                part.place(pose)
            self._world[name] = parts
        self._rebuild()

    def set_held(self, shape: Shape | None) -> None:
        """Attach a held object to the fork (shape in the sha_fore frame), or None."""
        self._held = None if shape is None else _Part(HELD_TUBE, shape, self.padding)
        self._placed_at = None
        self._radii = self._sweep_radii()

    def _rebuild(self) -> None:
        self._manager = fcl.DynamicAABBTreeCollisionManager()
        objects = [part.object for parts in self._world.values() for part in parts]
        self._manager.registerObjects(objects)
        self._manager.setup()

    @property
    def object_names(self) -> list[str]:
        """Names of the world's parts (links and loose objects)."""
        return sorted(self._world)

    # ------------------------------------------------------------------ queries
    def arm_poses(self, q: Sequence[float]) -> dict[str, np.ndarray]:
        """The 4x4 poses of the arm's links at joint values q (z m, shoulder rad, elbow rad)."""
        poses, pose = {}, self._arm_base
        for joint, value in zip(self._chain, q, strict=True):
            pose = pose @ joint.origin @ joint.motion(value)
            poses[joint.child] = pose
        return poses

    def _arm_parts(self, q: Sequence[float]) -> list[_Part]:
        """The arm's parts (and the held tube's) placed at q; placed again only when q
        differs from the last call's (a plan asks about its start and goal several times)."""
        parts = list(self._arm)
        if self._held is not None:
            parts.append(self._held)
        at = tuple(float(v) for v in q)
        if at != self._placed_at:
            poses = self.arm_poses(at)
            for part in self._arm:
                part.place(poses[part.name])
            if self._held is not None:
                self._held.place(poses["sha_fore"])
            self._placed_at = at
        return parts

    def contacts(self, q: Sequence[float], first_only: bool = True) -> list[Contact]:
        """What the arm touches at joint values q (z m, shoulder rad, elbow rad): the
        empty list when the state is free."""
        return list(self._contacts(q, first_only, named=True))

    def is_free(self, q: Sequence[float]) -> bool:
        """True when the arm touches nothing at joint values q (no naming: faster)."""
        return not any(True for _ in self._contacts(q, True, named=False))

    def _contacts(self, q: Sequence[float], first_only: bool, named: bool) -> Iterator[Contact]:
        parts = self._arm_parts(q)
        request = fcl.CollisionRequest(num_max_contacts=1, enable_contact=False)
        for part in parts:
            data = fcl.CollisionData(request, fcl.CollisionResult())
            self._manager.collide(part.object, data, fcl.defaultCollisionCallback)
            if data.result.is_collision:
                yield Contact(part.name, self._touched(part.object) if named else "")
                if first_only:
                    return
        for i, a in enumerate(parts):
            for b in parts[i + 1 :]:
                if a.name == b.name or frozenset({a.name, b.name}) in self.allowed:
                    continue
                if fcl.collide(a.object, b.object, request, fcl.CollisionResult()):
                    yield Contact(a.name, b.name)
                    if first_only:
                        return

    def _touched(self, arm_object: fcl.CollisionObject) -> str:
        """Which world part an arm object touches (called only after a collision)."""
        request = fcl.CollisionRequest(num_max_contacts=1, enable_contact=False)
        for name, parts in self._world.items():
            for part in parts:
                if fcl.collide(arm_object, part.object, request, fcl.CollisionResult()):
                    return name
        return "?"

    def clearance(self, q: Sequence[float]) -> float:
        """The smallest distance at q between the (padded) arm and the (padded) world or
        another arm part it may not touch, m; <= 0 when in collision."""
        parts = self._arm_parts(q)
        nearest = np.inf
        for part in parts:
            data = fcl.DistanceData(fcl.DistanceRequest(), fcl.DistanceResult())
            self._manager.distance(part.object, data, fcl.defaultDistanceCallback)
            nearest = min(nearest, data.result.min_distance)
        for i, a in enumerate(parts):
            for b in parts[i + 1 :]:
                if a.name != b.name and frozenset({a.name, b.name}) not in self.allowed:
                    gap = fcl.distance(
                        a.object, b.object, fcl.DistanceRequest(), fcl.DistanceResult()
                    )
                    nearest = min(nearest, gap)
        return float(nearest)

    def sweep_bound(self, dq: Sequence[float]) -> float:
        """An upper bound on how far any point of the arm (and a held tube) moves when the
        joints change by dq along a straight line in joint space, m: |dz| + r_s |d shoulder|
        + r_e |d elbow|, with r_s, r_e the parts' largest distances from the shoulder and
        elbow axes (both vertical, so a point moves at most its radius times the angle)."""
        r_shoulder, r_elbow = self._radii
        return abs(dq[0]) + r_shoulder * abs(dq[1]) + r_elbow * abs(dq[2])

    def _sweep_radii(self) -> tuple[float, float]:
        upper, fore = [], []
        for part in self._arm + ([self._held] if self._held is not None else []):
            corners = _corners(part) @ part.offset.T
            reach = float(np.max(np.hypot(corners[:, 0], corners[:, 1])))
            (upper if part.name == "sha_upper" else fore).append(reach)
        elbow_offset = float(np.hypot(*self._chain[2].origin[:2, 3]))
        r_elbow = max(fore, default=0.0)
        return max([*upper, elbow_offset + r_elbow]), r_elbow


def _corners(part: _Part) -> np.ndarray:
    """The corners (homogeneous, 8 x 4) of a part's padded bounding box in its shape frame."""
    geometry = part.geometry
    if isinstance(geometry, fcl.Box):
        half = np.asarray(geometry.side) / 2
    elif isinstance(geometry, fcl.Cylinder):
        half = np.array([geometry.radius, geometry.radius, geometry.lz / 2])
    else:
        half = np.full(3, geometry.radius)
    signs = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)])
    return np.hstack([signs * half, np.ones((8, 1))])


def touching_links(
    urdf: UrdfModel, values: Mapping[str, float], pairs: Sequence[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which of the given link pairs touch (unpadded shapes) at the joint values."""
    poses = urdf.link_transforms(values)
    parts: dict[str, list[_Part]] = {}
    for link in {name for pair in pairs for name in pair}:
        parts[link] = [_Part(link, shape, 0.0) for shape in urdf.shapes[link]]
        for part in parts[link]:
            part.place(poses[link])
    request = fcl.CollisionRequest(num_max_contacts=1, enable_contact=False)
    return {
        (a, b)
        for a, b in pairs
        if any(
            fcl.collide(pa.object, pb.object, request, fcl.CollisionResult())
            for pa in parts[a]
            for pb in parts[b]
        )
    }
