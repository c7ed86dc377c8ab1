"""Coasting a station's tool in free space: a prismatic tool joint under a plain position
command (the volume probe's rod going down into the bore and back up, the drill bit's way down
to the carousel seat at drop-off, the sealing ram and the drill feed going home) moved by the
motor law (sim.coasting's PositionCoast) while the rest of the world is at rest.

A coast is granted the steps the tool link needs to close its closest distance to anything
(every other body and ACA link whose bounding box comes within HORIZON_M, its parent link
excepted: PyBullet never lets the two collide), less MARGIN_M, at its velocity limit (the law
never exceeds it); all that are left of the move when the move is shorter than that (the law
never overshoots). Within MARGIN_M of anything the tool goes on full physics, so a contact
(the probe meeting the sample, the bit meeting the seat or pebbles on it) is found as before.

Switched off by the model's `physics.fidelity: full`. Thread rule: the physics thread.
Units: m, m/s, s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aca_sim.sim.coasting import HORIZON_M, UNLIMITED_STEPS, Coaster
from aca_sim.sim.operation import Leap, Operation, step_budget

if TYPE_CHECKING:
    from aca_sim.sim.world import World

HOME_M = 1e-4  # a tool joint this close to 0 is home
# Full physics within this distance of anything. Wider than the SHA's margin
# (coasting.margin_m): full physics drives a tool a little off the motor law, a lag that takes
# a millimetre of steps to build up, and a tool's reading (the probe's travel at contact) is
# only as close to full physics as that lag (0.2 um with 1 mm; 2.7 um with 3 steps' travel).
MARGIN_M = 0.001


def joint_grant(world: World, joint: str, carried: Sequence[int], reach: float) -> int:
    """Steps one joint under a plain position command may coast toward its target, its link
    carrying `carried` (0: none): the moving set's closest distance to every other body and
    ACA link within HORIZON_M (the joint's parent link excepted: PyBullet never lets the two
    collide), less MARGIN_M, at the velocity limit times `reach` (the farthest a point of the
    set is from a revolute axis, m; 1 for a prismatic joint: its points move as it does)."""
    p, mech = world.p, world.mech
    index = mech.joint_index[joint]
    parent = (mech.body, p.getJointInfo(mech.body, index)[16])
    moving = {(mech.body, index)} | {(body, -1) for body in carried}
    distance = HORIZON_M
    for part in sorted(moving):
        low, high = p.getAABB(*part)
        nearby = p.getOverlappingObjects(
            [v - HORIZON_M for v in low], [v + HORIZON_M for v in high]
        )
        for other in sorted(set(nearby or ()) - moving - {parent}):
            points = p.getClosestPoints(
                part[0], other[0], HORIZON_M, linkIndexA=part[1], linkIndexB=other[1]
            )
            distance = min([distance, *(c[8] for c in points)])
    room = distance - MARGIN_M
    if room <= 0:
        return 0
    command = mech.commands[joint]
    if abs(command.target - mech.joint_position(joint)) * reach < room:
        return UNLIMITED_STEPS
    return int(room / (command.max_velocity * reach * world.dt))


class ToolCoaster(Coaster):
    """Coasts of one tool joint's moves (Coaster's protocol: coasting(), leap(), stop())."""

    def __init__(self, world: World, joint: str) -> None:
        link = world.p.getJointInfo(world.mech.body, world.mech.joint_index[joint])[12]
        super().__init__(world, (joint,), link.decode())

    def _carried(self) -> tuple[int, ...]:
        return ()

    def _grant(self, carried: Sequence[int], speed_limits: list[float] | None) -> int:
        return joint_grant(self.world, self.joints[0], (), 1.0)


def go_home(
    world: World, joint: str, travel: float, velocity: float, phase: str
) -> Operation[None]:
    """Wait (bounded by travel/velocity + 2 s) for a tool joint commanded to position 0 to be
    home, coasting where nothing is near."""
    coaster = ToolCoaster(world, joint)
    limit, taken = step_budget(world.dt, travel / velocity, slack_s=2.0), 0
    try:
        while taken < limit:
            coaster.coasting()
            if world.mech.joint_position(joint) < HOME_M:
                return
            steps = min(coaster.leap((0.0,), (HOME_M,)), limit - taken)
            yield Leap(phase, 1.0, steps=steps)
            taken += steps
    finally:
        coaster.stop()
