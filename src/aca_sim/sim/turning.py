"""Turn a carousel's joint to an angle and hold it there: the one rotate-and-settle loop of the
seal carousel and the bit carousel.

The turn ends when the joint is within SETTLED_RAD of its target and slower than STILL_RADPS;
it waits at most three times the nominal time (span / velocity) plus 2 s. Angles in rad.
"""

from __future__ import annotations

from collections.abc import Callable

from aca_sim.sim.coasting import Coaster
from aca_sim.sim.motor_law import POSITION_GAIN
from aca_sim.sim.operation import Feedback, Leap, Operation, step_budget
from aca_sim.sim.world import World

SETTLED_RAD = 2e-4  # a turn has ended this close to its target angle
STILL_RADPS = 1e-3  # and this slow


def turn_and_hold(
    world: World,
    joint: str,
    target: float,
    velocity_radps: float,
    effort_nm: float,
    phase: str,
    coaster_for: Callable[[World], Coaster] | None = None,
) -> Operation[bool]:
    """Command `joint` to `target` and wait for it to settle there, then hold it: True; False
    when it did not settle in time (the caller names the failure). Feedback progress is the
    share of the angle covered. With coaster_for (a Coaster made once the joint is commanded),
    the turn coasts where nothing is near: a Leap over the steps it needs no look at."""
    mech = world.mech
    span = abs(target - mech.joint_position(joint)) or 1e-9
    mech.command_joint(joint, "position", target, velocity_radps, effort_nm)
    coaster = coaster_for(world) if coaster_for is not None else None
    # the motor law's velocity is under STILL_RADPS only this close to the target
    settle = min(SETTLED_RAD, STILL_RADPS * world.dt / POSITION_GAIN)
    limit, taken = step_budget(world.dt, span / velocity_radps, 3, 2), 0
    try:
        while taken < limit:
            if coaster is not None:
                coaster.coasting()
            q, v, _ = mech.joint_state(joint)
            if abs(q - target) < SETTLED_RAD and abs(v) < STILL_RADPS:
                mech.hold_joint(joint, target)
                return True
            progress = min(1.0, 1 - abs(target - q) / span)
            if coaster is None:
                yield Feedback(phase, progress)
                taken += 1
            else:
                steps = min(coaster.leap((target,), (settle,)), limit - taken)
                yield Leap(phase, progress, steps=steps)
                taken += steps
    finally:
        if coaster is not None:
            coaster.stop()
    return False
