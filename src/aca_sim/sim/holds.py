"""Holds: the loose bodies (tubes, cores, seals, pebbles) and what holds them.

A tube latched in storage is static (its ball locks); a gripped tube is fixed to the fork by
a constraint that keeps its yaw, and while it is gripped it and the fork share their mass
equally in the solver (GRIP below); a tube in a bit is fixed to the rotating carousel; a core or
seal is fixed on its tube's axis; seals waiting in a dispenser are static and moved with the
carousel. No records here: the World decides what happens and keeps the books.

Thread rule: the physics thread only. Frames: aca_frame; a tube's origin is on its axis at its
bottom face (see bodies.com_point for PyBullet's centre-of-mass frames).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from aca_sim.model.config import ModelConfig
from aca_sim.sim import bodies
from aca_sim.sim.mechanism import ANY_LINK, Mechanism
from aca_sim.sim.quiet import BulletClient

DUST_RGB = np.array([0.66, 0.40, 0.24])  # Martian dust
CLEAN_RIM_RGB = np.array([0.72, 0.72, 0.75])  # titanium
BodyLinks = list[tuple[int, int]]
Orientation = list[float]

# GRIP: a tube in the fork's grasp and the fork are one rigid unit, but Bullet solves the grasp
# as a constraint between the fork (a link of the ACA's multibody, link_mass_kg) and a body
# eleven times lighter; pressed between the fork and a station (a seal press, the ram), its
# iterative solver then leaves the grasp a 27 N/mm spring, so a press stretched it by
# millimetres and the unload had to give them back. Splitting the unit's mass equally between
# the two while the tube is held (a mass ratio of 1, which the iterative solve converges on
# best) makes the same grasp about 140 N/mm. The unit's mass, its weight on the Z motor and
# (the SHA's joint axes being vertical) every gravity load are unchanged; the forearm's inertia
# about the elbow grows by what moving 0.27 kg 0.1 m outward gives (a coasting arm still stops
# at an obstacle where full physics stops it: tests/unit/test_coasting.py). A larger share
# for the tube stiffens the grasp further but moves the forearm's dynamics more.


class Holds:
    """The loose bodies of one world and their constraints, by tube, seal and bit slot id."""

    def __init__(self, client: BulletClient, config: ModelConfig, mech: Mechanism) -> None:
        self._p, self.config, self.mech = client, config, mech
        self._tubes: dict[int, int] = {}
        self._rim_shapes: list[int] | None = None
        self._grip: int | None = None
        self.grip_orientation: Orientation = [0.0, 0.0, 0.0, 1.0]
        self._bit_latches: dict[int, int] = {}
        self.bit_orientations: dict[int, Orientation] = {}
        self._cores: dict[int, int] = {}
        self._core_holds: dict[int, int] = {}
        self._seals: dict[int, int] = {}
        self._seal_tube: dict[int, int] = {}  # seal id -> tube id
        self._seal_holds: dict[int, int] = {}
        self.pebbles: list[tuple[int, int]] = []  # (bit slot, body)

    def describe(self) -> dict[str, Any]:
        """Every loose body's pose and velocities (PyBullet frames) and the hold frames."""
        p = self._p
        return {
            "grip_orientation": list(self.grip_orientation),
            "bit_orientations": {
                str(k): list(v) for k, v in sorted(self.bit_orientations.items())
            },
            "tube_pose_frame": "com",
            "tube_bodies": {
                str(t): bodies.body_state(p, b) for t, b in sorted(self._tubes.items())
            },
            "cores": {str(t): bodies.body_state(p, b) for t, b in sorted(self._cores.items())},
            "seals": [
                {
                    "seal_id": s,
                    "tube_id": self._seal_tube.get(s, 0),
                    "pose": bodies.body_state(p, b),
                }
                for s, b in sorted(self._seals.items())
            ],
            "pebbles": [
                {"bit_slot": slot, "pose": bodies.body_state(p, b)} for slot, b in self.pebbles
            ],
        }

    # ------------------------------------------------------------------ tubes
    def load_tube(self, tube_id: int, urdf: str, pose: bodies.Pose, exact: bool) -> None:
        """Load a tube body (exact: pose in PyBullet's frame, as described worlds store it)."""
        self._tubes[tube_id] = bodies.load_tube(self._p, urdf, pose, exact)

    def tube_body(self, tube_id: int) -> int:
        return self._tubes[tube_id]

    def set_rim_colour(self, tube_id: int, dust: float) -> None:
        """Colour a tube's rim from clean titanium (0) to Martian dust (1)."""
        rgb = (1 - dust) * CLEAN_RIM_RGB + dust * DUST_RGB
        body = self._tubes[tube_id]
        if self._rim_shapes is None:  # the thin boxes on top of the wall
            top = self.config.tube.length_m
            shapes = self._p.getVisualShapeData(body)
            self._rim_shapes = [i for i, s in enumerate(shapes) if s[5][2] > top - 1e-6]
        for index in self._rim_shapes:
            self._p.changeVisualShape(body, -1, shapeIndex=index, rgbaColor=[*rgb, 1.0])

    def assembly(self, tube_id: int, seal_id: int) -> BodyLinks:
        """(body, ANY_LINK) of what moves with a tube: the tube, its core and its seal."""
        found = [self._tubes[tube_id]]
        if tube_id in self._cores:
            found.append(self._cores[tube_id])
        if seal_id:
            found.append(self._seals[seal_id])
        return [(body, ANY_LINK) for body in found]

    def tube_pose(self, tube_id: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """World pose of a tube's origin (axis at the bottom face)."""
        body = self._tubes[tube_id]
        com, orn = self._p.getBasePositionAndOrientation(body)
        offset = self._p.getDynamicsInfo(body, -1)[3]
        origin, _ = self._p.multiplyTransforms(com, orn, [-v for v in offset], [0, 0, 0, 1])
        return origin, orn

    def tube_rim_position(self, tube_id: int) -> np.ndarray:
        """World position of a tube's rim centre (open end), m."""
        pos, orn = self.tube_pose(tube_id)
        rim, _ = self._p.multiplyTransforms(
            pos, orn, [0, 0, self.config.tube.length_m], [0, 0, 0, 1]
        )
        return np.array(rim)

    def tube_tilt(self, tube_id: int) -> float:
        """Angle between a tube's axis and the vertical, rad."""
        axis = self._p.getMatrixFromQuaternion(self.tube_pose(tube_id)[1])[6:9]
        return math.acos(max(-1.0, min(1.0, axis[2])))

    def set_tube_pose(
        self, tube_id: int, position: Sequence[float], orientation: Sequence[float]
    ) -> None:
        """Place a tube by its origin (axis at the bottom face)."""
        body = self._tubes[tube_id]
        offset = self._p.getDynamicsInfo(body, -1)[3]
        com, _ = self._p.multiplyTransforms(position, orientation, offset, [0, 0, 0, 1])
        self._p.resetBasePositionAndOrientation(body, com, orientation)

    def fix_tube(self, tube_id: int) -> None:
        """Make a tube static where it is (ball locks)."""
        bodies.make_static(self._p, self._tubes[tube_id])

    def free_tube(self, tube_id: int) -> None:
        """Give a tube its mass back (it moves again)."""
        bodies.make_dynamic(self._p, self._tubes[tube_id], self.config.tube.mass_kg)

    def spin_tube(self, tube_id: int, spin_radps: Sequence[float]) -> None:
        """Stop a tube and give it a tumble about X and Y, rad/s (a release)."""
        self._p.resetBaseVelocity(
            self._tubes[tube_id], [0, 0, 0], [float(spin_radps[0]), float(spin_radps[1]), 0.0]
        )

    # ------------------------------------------------------------------ grip and bit latch
    def grip(self, tube_id: int, orientation: Orientation | None = None) -> None:
        """Fix a tube to the fork's tool point, keeping `orientation` (default: its present
        one) in the forearm frame; the jaws no longer collide with it."""
        if orientation is None:
            orientation = self._orientation_in("sha_fore", tube_id)
        self.grip_orientation = orientation
        sha = self.config.sha
        bottom_above_tool = sha.tube_top_above_tool_m - self.config.tube.length_m
        self._grip = self._fix_to_link(
            tube_id, "sha_fore", [sha.link2_m, 0, bottom_above_tool], orientation
        )
        fore = self.mech.link_index["sha_fore"]
        self._p.setCollisionFilterPair(self._tubes[tube_id], self.mech.body, -1, fore, 0)
        share = (sha.link_mass_kg + self.config.tube.mass_kg) / 2  # GRIP
        self._p.changeDynamics(self._tubes[tube_id], -1, mass=share)
        self._p.changeDynamics(self.mech.body, fore, mass=share)

    def ungrip(self, tube_id: int) -> None:
        """Remove the grasp of a gripped tube."""
        if self._grip is not None:
            fore = self.mech.link_index["sha_fore"]
            self._p.removeConstraint(self._grip)
            self._p.setCollisionFilterPair(self._tubes[tube_id], self.mech.body, -1, fore, 1)
            self._p.changeDynamics(self.mech.body, fore, mass=self.config.sha.link_mass_kg)
            self._p.changeDynamics(self._tubes[tube_id], -1, mass=self.config.tube.mass_kg)
        self._grip = None

    def latch_bit(
        self, tube_id: int, bit_slot: int, orientation: Orientation | None = None
    ) -> None:
        """Fix a tube into a bit of the bit carousel (default: keeping its present yaw)."""
        if orientation is None:
            orientation = self._orientation_in("bit_carousel", tube_id)
        self.bit_orientations[bit_slot] = orientation
        bc = self.config.bit_carousel
        angle = (bit_slot - 1) * 2 * math.pi / len(bc.bits)
        point = [
            bc.radius_m * math.cos(angle),
            bc.radius_m * math.sin(angle),
            -self.config.tube.length_m,
        ]
        self._bit_latches[bit_slot] = self._fix_to_link(
            tube_id, "bit_carousel", point, orientation
        )

    def unlatch_bit(self, bit_slot: int) -> None:
        """Remove a bit's latch."""
        self._p.removeConstraint(self._bit_latches.pop(bit_slot))
        self.bit_orientations.pop(bit_slot, None)

    def _orientation_in(self, link: str, tube_id: int) -> Orientation:
        return bodies.relative_orientation(
            self._p, self.mech.link_pose(link)[1], self.tube_pose(tube_id)[1]
        )

    def _fix_to_link(
        self, tube_id: int, link: str, point: list[float], orientation: Orientation
    ) -> int:
        """Make the tube dynamic and fix its origin to `point` of an ACA link (link frame),
        keeping `orientation` (the tube in the link frame); the constraint id."""
        p, body = self._p, self._tubes[tube_id]
        bodies.make_dynamic(p, body, self.config.tube.mass_kg)
        aca, index = self.mech.link_pair(link)
        cid = p.createConstraint(
            aca,
            index,
            body,
            -1,
            p.JOINT_FIXED,
            [0, 0, 0],
            bodies.com_point(p, aca, index, point),
            bodies.com_point(p, body, -1, [0, 0, 0]),
            parentFrameOrientation=orientation,
        )
        p.changeConstraint(cid, maxForce=self.config.holds.grip_n)
        return cid

    # ------------------------------------------------------------------ in a tube
    def _fix_in_tube(self, tube_id: int, body: int, offset_z: float, max_force: float) -> int:
        """Fix a body on a tube's axis, offset_z above its origin; the two no longer collide."""
        p, tube_body = self._p, self._tubes[tube_id]
        p.setCollisionFilterPair(body, tube_body, -1, -1, 0)
        cid = p.createConstraint(
            tube_body,
            -1,
            body,
            -1,
            p.JOINT_FIXED,
            [0, 0, 0],
            bodies.com_point(p, tube_body, -1, [0, 0, offset_z]),
            [0, 0, 0],
        )
        p.changeConstraint(cid, maxForce=max_force)
        return cid

    def _place_in_tube(self, tube_id: int, body: int, offset_z: float) -> None:
        """Move a body onto a tube's axis, offset_z above its origin, moving with the tube."""
        tube_pos, tube_orn = self.tube_pose(tube_id)
        pos, orn = self._p.multiplyTransforms(tube_pos, tube_orn, [0, 0, offset_z], [0, 0, 0, 1])
        self._p.resetBasePositionAndOrientation(body, pos, orn)
        self._p.resetBaseVelocity(body, *self._p.getBaseVelocity(self._tubes[tube_id]))

    def add_core(
        self, tube_id: int, height_m: float, rock: bool, offset_z: float, pose: bodies.Pose | None
    ) -> None:
        """Create a tube's sample column with its centre offset_z above the tube origin (at
        `pose` when rebuilding a described world)."""
        if pose is None:
            tube_pos, tube_orn = self.tube_pose(tube_id)
            pos, orn = self._p.multiplyTransforms(
                tube_pos, tube_orn, [0, 0, offset_z], [0, 0, 0, 1]
            )
            pose = [list(pos), list(orn), [0, 0, 0], [0, 0, 0]]
        body = bodies.create_core(self._p, self.config, height_m, rock, pose)
        self._cores[tube_id] = body
        self._core_holds[tube_id] = self._fix_in_tube(
            tube_id, body, offset_z, self.config.holds.core_n
        )

    def has_core(self, tube_id: int) -> bool:
        return tube_id in self._cores

    def remove_core(self, tube_id: int) -> None:
        """Take a tube's sample column out of the world (it was dumped)."""
        self._p.removeConstraint(self._core_holds.pop(tube_id))
        self._p.removeBody(self._cores.pop(tube_id))

    def move_core(self, tube_id: int, offset_z: float) -> None:
        """Slide a tube's sample column so its centre is offset_z above the tube origin."""
        self._p.removeConstraint(self._core_holds[tube_id])
        body = self._cores[tube_id]
        self._place_in_tube(tube_id, body, offset_z)
        self._core_holds[tube_id] = self._fix_in_tube(
            tube_id, body, offset_z, self.config.holds.core_n
        )

    def add_seal(self, seal_id: int, pose: bodies.Pose) -> None:
        """Create a seal body; it does not collide with the carousel it rides on."""
        body = bodies.create_seal(self._p, self.config, pose)
        aca, carousel = self.mech.link_pair("seal_carousel")
        self._p.setCollisionFilterPair(body, aca, -1, carousel, 0)
        self._seals[seal_id] = body

    def has_seal(self, seal_id: int) -> bool:
        return seal_id in self._seals

    def park_seal(self, seal_id: int) -> None:
        """A seal waiting in its dispenser: static."""
        bodies.make_static(self._p, self._seals[seal_id])

    def place_seal(self, seal_id: int, pose: tuple[Sequence[float], Sequence[float]]) -> None:
        """Move a waiting seal (kinematically, with the carousel)."""
        self._p.resetBasePositionAndOrientation(self._seals[seal_id], *pose)

    def seal_in_tube(self, seal_id: int, tube_id: int, offset_z: float) -> None:
        """The seal goes into the tube's bore, its origin offset_z above the tube origin."""
        bodies.make_dynamic(self._p, self._seals[seal_id], self.config.seal.mass_kg)
        self._seal_holds[seal_id] = self._fix_in_tube(
            tube_id, self._seals[seal_id], offset_z, self.config.holds.seal_n
        )
        self._seal_tube[seal_id] = tube_id

    def move_seal(self, seal_id: int, tube_id: int, offset_z: float) -> None:
        """Slide a seal along its tube's bore to offset_z above the tube origin."""
        self._p.removeConstraint(self._seal_holds[seal_id])
        body = self._seals[seal_id]
        self._place_in_tube(tube_id, body, offset_z)
        self._seal_holds[seal_id] = self._fix_in_tube(
            tube_id, body, offset_z, self.config.holds.seal_n
        )

    def seal_position(self, seal_id: int) -> np.ndarray:
        """World position of a seal's origin (the plug's bottom face), m."""
        return np.array(self._p.getBasePositionAndOrientation(self._seals[seal_id])[0])

    def seal_link(self, seal_id: int) -> BodyLinks:
        return [(self._seals[seal_id], ANY_LINK)]

    def add_pebble(self, bit_slot: int, pose: bodies.Pose) -> None:
        """Create a pebble (debris) counted against a bit slot."""
        self.pebbles.append((bit_slot, bodies.create_pebble(self._p, self.config, pose)))

    def remove_pebbles(self) -> int:
        """Take every pebble out of the world (shed from the carousel); how many."""
        for _slot, body in self.pebbles:
            self._p.removeBody(body)
        count, self.pebbles = len(self.pebbles), []
        return count
