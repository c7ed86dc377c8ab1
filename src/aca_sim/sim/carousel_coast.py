"""Coasting the bit carousel's turns: `bit_carousel_rot` under a plain position command moved
by the motor law (sim.coasting's PositionCoast), the tubes latched in its bits (with their
cores and seals) riding rigidly with it, while the rest of the world is at rest.

A coast is granted the steps that close the moving set's closest distance to anything (the
carousel link and the carried bodies against every other body and ACA link within HORIZON_M;
the carousel's parent link excepted, which PyBullet never lets collide with it), less
MARGIN_M, at the largest speed any of its points can have (the velocity limit times the
farthest corner of the set's bounding boxes from the axis); all that are left of the turn
when the turn is shorter than that. No coast while a loose body that the carousel does not
carry touches it (pebbles on a seat ride or fall on full physics: the Issole recovery's
shedding turn), or while the arm holds one of its tubes (hand-off).

Switched off by the model's `physics.fidelity: full`. Thread rule: the physics thread.
Units: m, rad, rad/s, s; frame: aca_frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aca_sim.sim.coasting import Coaster
from aca_sim.sim.tool_coast import joint_grant

if TYPE_CHECKING:
    from aca_sim.sim.world import World

JOINT = "bit_carousel_rot"
LINK = "bit_carousel"


def carried_by_carousel(world: World) -> tuple[int, ...]:
    """The bodies latched in the carousel's bits: their tubes, cores and seals."""
    bodies: list[int] = []
    for slot in world.bit_slots.values():
        if slot.tube_id:
            bodies += [body for body, _ in world.tube_assembly(slot.tube_id)]
    return tuple(bodies)


def _touched_by_loose(world: World, moving: set[tuple[int, int]], carried: set[int]) -> bool:
    """Whether a dynamic body outside the carried set touches a moving part."""
    p = world.p
    for body, link in moving:
        for contact in p.getContactPoints(bodyA=body, linkIndexA=link):
            other = contact[2]
            loose = other not in carried and other != world.mech.body
            if loose and p.getDynamicsInfo(other, -1)[0] > 0.0:
                return True
    return False


def carousel_grant(world: World, carried: Sequence[int]) -> int:
    """Steps the carousel may coast toward its position target, carrying `carried` (0:
    none)."""
    p, mech = world.p, world.mech
    index = mech.joint_index[JOINT]
    if world.held_tube and any(
        body in carried for body, _ in world.tube_assembly(world.held_tube)
    ):
        return 0  # the arm holds one of its tubes
    moving = {(mech.body, index)} | {(body, -1) for body in carried}
    if _touched_by_loose(world, moving, set(carried)):
        return 0
    axis = p.getLinkState(mech.body, index)[4]
    reach = 0.0
    for part in moving:
        low, high = p.getAABB(*part)
        for x in (low[0], high[0]):
            for y in (low[1], high[1]):
                reach = max(reach, math.hypot(x - axis[0], y - axis[1]))
    return joint_grant(world, JOINT, carried, reach)


class CarouselCoaster(Coaster):
    """Coasts of the bit carousel's turns (Coaster's protocol: coasting(), leap(), stop())."""

    def __init__(self, world: World) -> None:
        super().__init__(world, (JOINT,), LINK)

    def _carried(self) -> tuple[int, ...]:
        return carried_by_carousel(self.world)

    def _grant(self, carried: Sequence[int], speed_limits: list[float] | None) -> int:
        return carousel_grant(self.world, carried)
