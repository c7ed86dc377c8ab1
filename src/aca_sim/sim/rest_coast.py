"""Waiting: a wait (coring, percussion, a dwell) lets sim time pass, and once its world has
come to a numerical standstill it leaps to its end instead of stepping PyBullet.

A world at rest is a fixed point of the physics step: every joint's position motor holds its
target, every loose body lies still in its contacts, and a step gives back the very state it
was given (measured in the mageik_dust trials: after the first settling steps of a wait the
largest change a step makes falls to 1e-18). A wait looks every CHECK_EVERY steps at the
state before and after one step (ACA joint positions and velocities, every dynamic body's pose
and velocity); when nothing changed by more than STILL (1e-10 m, rad, m/s, rad/s: if that
were a creep it would add up to 2e-8 m over the longest wait, 208 s of percussion), it takes
the rest of the wait on a RestCoast, which moves nothing. Anything that changes the world (a
joint command, a body or a constraint added or removed) ends the coast before the next step,
as for every coast (sim.coast), and the wait goes on stepping and looking.

Switched off by the model's `physics.fidelity: full`. Thread rule: the physics thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from aca_sim.sim.coast import Coast
from aca_sim.sim.operation import Feedback, Leap, Operation

if TYPE_CHECKING:
    from aca_sim.sim.world import World

CHECK_EVERY = 12  # steps between two looks at whether the world stands still
STILL = 1e-10  # largest change over one step of a world at rest (m, rad, m/s, rad/s)


class RestCoast(Coast):
    """A coast of nothing: the world stands still while time passes."""

    def __init__(self, world: World) -> None:
        super().__init__(world, (), "sha_fore", ())

    def _take_states(self, limit: int) -> int:
        return limit


def world_state(world: World) -> np.ndarray:
    """What a step of a world at rest leaves unchanged: the ACA's joint positions and
    velocities and every dynamic body's pose and velocity, as one vector."""
    p, mech = world.p, world.mech
    values: list[float] = []
    for position, velocity, _effort in mech.joint_states():
        values += (position, velocity)
    for index in range(p.getNumBodies()):
        body = p.getBodyUniqueId(index)
        if body == mech.body or p.getDynamicsInfo(body, -1)[0] == 0.0:
            continue
        position, orientation = p.getBasePositionAndOrientation(body)
        linear, angular = p.getBaseVelocity(body)
        values += (*position, *orientation, *linear, *angular)
    return np.asarray(values)


class RestWatch:
    """A wait's look at the world: says, step by step, how many steps the wait may take at
    once (1 while the world moves or is not looked at, more on a RestCoast once it stands
    still). Call steps() before each yield of the wait and stop() when it ends."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._fast = world.config.physics.coasts
        self._coast: RestCoast | None = None
        self._before: np.ndarray | None = None
        self._count = 0

    def steps(self, remaining: int, most: int) -> int:
        """Steps the wait's next yield may cover (1..min(remaining, most))."""
        world = self.world
        if not self._fast or remaining <= 1:
            return 1
        if self._coast is not None and world.coast is self._coast:
            self._coast.steps_left = min(remaining, most)
            return self._coast.steps_left
        self._coast = None
        if world.coast is not None:  # another coast runs (it steps the world its own way)
            return 1
        self._count += 1
        if self._before is not None:
            before, self._before = self._before, None
            after = world_state(world)
            if (
                before.shape == after.shape
                and np.max(np.abs(after - before), initial=0.0) <= STILL
            ):
                self._coast = RestCoast(world)
                world.coast = self._coast
                self._coast.steps_left = min(remaining, most)
                return self._coast.steps_left
        elif self._count % CHECK_EVERY == 0:
            self._before = world_state(world)
        return 1

    def stop(self) -> None:
        """End the wait's rest coast, if it runs."""
        if self._coast is not None:
            self._coast.finish()
            self._coast = None


def wait(world: World, duration_s: float, phase: str = "wait") -> Operation[None]:
    """Let sim time pass (devices hold their commands); once the world stands still, the
    rest of the wait leaps (RestWatch)."""
    steps = max(1, round(duration_s / world.dt))
    watch, done = RestWatch(world), 0
    try:
        while done < steps:
            leap = watch.steps(steps - done, world.leap_steps)
            done += leap
            progress = done / steps
            yield Leap(phase, progress, steps=leap) if leap > 1 else Feedback(phase, progress)
    finally:
        watch.stop()
