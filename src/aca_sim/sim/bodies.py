"""Creation of the loose bodies (ground, tubes, cores, seals, pebbles) and the frame math of
the constraints that hold them. Pure functions of a PyBullet client; no records.

Frames: PyBullet places bodies and constraints by their centre-of-mass frames; the model
speaks of URDF origins (a tube's origin is on its axis at its bottom face). com_point converts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from aca_sim.model.config import ModelConfig
from aca_sim.sim.quiet import BulletClient, c_stdout_silenced

Pose = Sequence[Any]  # [position, orientation (x, y, z, w), linear velocity, angular velocity]
SEAL_RGBA = [0.93, 0.93, 0.95, 1]
PEBBLE_RGBA = [0.5, 0.35, 0.25, 1]
ROCK_CORE_RGBA = [0.45, 0.42, 0.38, 1]
REGOLITH_RGBA = [0.62, 0.45, 0.33, 1]


def create_ground(p: BulletClient, top_z: float) -> int:
    """A 6 m x 6 m slab whose top face is at top_z; return its body id."""
    shape = p.createCollisionShape(p.GEOM_BOX, halfExtents=[3, 3, 0.05])
    visual = p.createVisualShape(
        p.GEOM_BOX, halfExtents=[3, 3, 0.05], rgbaColor=[0.6, 0.4, 0.3, 1]
    )
    return p.createMultiBody(0, shape, visual, [0, 0, top_z - 0.05])


def load_tube(p: BulletClient, urdf_path: str, pose: Pose, exact: bool) -> int:
    """Load a tube body at a pose (exact: the pose is PyBullet's centre-of-mass frame, as
    described worlds store it; else the URDF origin) with its velocities; its body id."""
    pos, orn, lin, ang = pose
    with c_stdout_silenced():
        body = p.loadURDF(urdf_path, pos, orn, flags=p.URDF_MERGE_FIXED_LINKS)
    if exact:
        p.resetBasePositionAndOrientation(body, pos, orn)
    p.resetBaseVelocity(body, lin, ang)
    return body


def create_core(
    p: BulletClient, config: ModelConfig, height_m: float, rock: bool, pose: Pose
) -> int:
    """A sample column (rock core or regolith) of height_m at a pose; its body id."""
    core = config.core
    shape = p.createCollisionShape(p.GEOM_CYLINDER, radius=core.radius_m, height=height_m)
    visual = p.createVisualShape(
        p.GEOM_CYLINDER,
        radius=core.radius_m,
        length=height_m,
        rgbaColor=ROCK_CORE_RGBA if rock else REGOLITH_RGBA,
    )
    mass = core.density_kgpm3 * math.pi * core.radius_m**2 * height_m
    body = p.createMultiBody(mass, shape, visual, pose[0], pose[1])
    p.resetBaseVelocity(body, pose[2], pose[3])
    return body


def create_seal(p: BulletClient, config: ModelConfig, pose: Pose) -> int:
    """A seal (a plug with a cap on top; origin at the plug's bottom face); its body id."""
    seal = config.seal
    geometry = {
        "shapeTypes": [p.GEOM_CYLINDER, p.GEOM_CYLINDER],
        "radii": [seal.plug_radius_m, seal.cap_radius_m],
        "lengths": [seal.plug_length_m, seal.cap_thickness_m],
    }
    frames = [
        [0, 0, seal.plug_length_m / 2],
        [0, 0, seal.plug_length_m + seal.cap_thickness_m / 2],
    ]
    shape = p.createCollisionShapeArray(**geometry, collisionFramePositions=frames)
    visual = p.createVisualShapeArray(**geometry, visualFramePositions=frames)
    body = p.createMultiBody(seal.mass_kg, shape, visual, pose[0], pose[1])
    p.changeVisualShape(body, -1, rgbaColor=SEAL_RGBA)
    p.resetBaseVelocity(body, pose[2], pose[3])
    return body


def create_pebble(p: BulletClient, config: ModelConfig, pose: Pose) -> int:
    """A pebble (debris sphere) at a pose; its body id."""
    bc = config.bit_carousel
    shape = p.createCollisionShape(p.GEOM_SPHERE, radius=bc.pebble_radius_m)
    visual = p.createVisualShape(p.GEOM_SPHERE, radius=bc.pebble_radius_m, rgbaColor=PEBBLE_RGBA)
    body = p.createMultiBody(bc.pebble_mass_kg, shape, visual, pose[0], pose[1])
    p.resetBaseVelocity(body, pose[2], pose[3])
    p.changeDynamics(body, -1, lateralFriction=0.8, rollingFriction=0.001)
    return body


def body_state(p: BulletClient, body: int) -> list[list[float]]:
    """[position, orientation, linear velocity, angular velocity] of a body (COM frame)."""
    pos, orn = p.getBasePositionAndOrientation(body)
    lin, ang = p.getBaseVelocity(body)
    return [list(pos), list(orn), list(lin), list(ang)]


def com_point(p: BulletClient, body: int, link: int, point: Sequence[float]) -> list[float]:
    """A point given in a body's URDF frame (base or link), expressed in its centre-of-mass
    frame, which is the frame PyBullet uses for constraints and base poses."""
    offset = p.getDynamicsInfo(body, link)[3]
    return [point[0] - offset[0], point[1] - offset[1], point[2] - offset[2]]


def relative_orientation(
    p: BulletClient, frame_orientation: Sequence[float], orientation: Sequence[float]
) -> list[float]:
    """An orientation expressed in a frame with the given world orientation (x, y, z, w)."""
    inverse = p.invertTransform([0, 0, 0], frame_orientation)[1]
    return list(p.multiplyTransforms([0, 0, 0], inverse, [0, 0, 0], orientation)[1])


def make_static(p: BulletClient, body: int) -> None:
    """Give a body zero mass (it stays where it is, like a tube held by ball locks)."""
    p.changeDynamics(body, -1, mass=0)
    p.resetBaseVelocity(body, [0, 0, 0], [0, 0, 0])


def make_dynamic(p: BulletClient, body: int, mass_kg: float) -> None:
    """Give a body its mass back."""
    p.changeDynamics(body, -1, mass=mass_kg)
