"""Coasting: the SHA's free-space moves without contact dynamics (the fast path).

PyBullet's position motor with its default gains (position gain 0.1, velocity gain 1) asks at
each step for the joint velocity clip(0.1 (target - q) / dt, +-max_velocity) and the SHA's
motors reach it within the step (their efforts dwarf the arm's weight). Far from any contact
nothing else acts on the arm, so a move there is that law applied to the joints directly: no
collision detection, no constraint solve. While a Coast runs, World.step() advances it instead
of stepping PyBullet, and the held tube's assembly rides rigidly with the forearm.

A coast is granted a number of steps from the clearance (sim.clearance): the closest distance
to anything the arm could touch, less a margin, over the largest speed any point of the arm
can have; the arm asks again when they are spent and goes back to full physics when the gap
is under the margin. A coast starts only while the rest of the world is at rest (no other joint
moving or off its position target, no force-controlled joint, no loose body moving, the held
tube held by the gripper alone) and ends at once, before the next step, when anything else
changes: a joint command, a body or a constraint added or removed.

A followed trajectory coasts the same way under its own law (sim.tracking_coast: the trajectory
controller's servo), its steps granted from the servo's velocity limits.

Switched off by the model's `physics.fidelity: full` (every step is a PyBullet step).
Thread rule: the physics thread. Units: m, rad, s; frame: aca_frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from aca_sim.sim.clearance import ArmClearance
from aca_sim.sim.coast import Coast, unrest
from aca_sim.sim.motor_law import POSITION_GAIN, PositionTracks
from aca_sim.sim.tracking_coast import ServoCommand, TrackingCoast

if TYPE_CHECKING:
    from aca_sim.sim.world import World

HORIZON_M = 0.03  # clearance asked for; a coast is granted at most (horizon - margin) of travel
FAR_HORIZON_M = 0.15  # ... asked again out to this when nothing is within HORIZON_M (open space)
MARGIN_STEPS = 3  # full physics within this many steps' travel at the move's top speed ...
MIN_MARGIN_M = 0.0001  # ... and never nearer than this to anything
MIN_STEPS = 4  # a grant shorter than this is not worth a coast
RETRY_STEPS = 12  # after a refusal, steps of full physics before asking again
UNLIMITED_STEPS = 1 << 40  # a grant for the rest of a move
Z_ONLY_M = 1e-5  # a move whose planar joints move its points less than this is a move of Z


class PositionCoast(Coast):
    """A coast of joints under plain position commands (PyBullet's motor law, default gains)
    toward their targets: the SHA's point-to-point moves."""

    def __init__(self, world: World, joints: Sequence[str], carrier: str, carried: Sequence[int]):
        super().__init__(world, joints, carrier, carried)
        commands = [world.mech.commands[name] for name in joints]
        self._tracks = PositionTracks(
            self._q, [c.target for c in commands], [c.max_velocity for c in commands], world.dt
        )

    @staticmethod
    def applicable(world: World, joints: Sequence[str]) -> bool:
        """Whether the joints' commands are plain position commands (what a coast follows)."""
        commands = [world.mech.commands.get(name) for name in joints]
        return all(
            c is not None and c.mode == "position" and c.position_gain is None for c in commands
        )

    def _take_states(self, limit: int) -> int:
        self._q, self._v = self._tracks.take(limit)
        return limit

    def blind_steps(self, goal: Sequence[float], tolerances: Sequence[float], limit: int) -> int:
        """How many steps (1..limit, and no more than granted) the coast can take before a
        move has to look again: the first after which every joint is within its tolerance of
        the goal (the move ends there, exactly as if it had looked at every step)."""
        limit = min(limit, self.steps_left)
        if limit <= 0:
            return 1
        near = np.abs(np.asarray(goal) - self._tracks.positions_ahead(limit)) <= tolerances
        arrived = near.all(axis=1)
        return int(np.argmax(arrived)) + 1 if arrived.any() else limit


class Coaster:
    """The SHA's side of coasting: asks for and renews coasts during its moves (a position
    coast for point-to-point moves, a tracking coast for followed trajectories)."""

    def __init__(self, world: World, joints: Sequence[str], carrier: str) -> None:
        self.world, self.joints, self.carrier = world, tuple(joints), carrier
        self._retry_at = -1
        self._coast: Coast | None = None

    def coasting(self) -> bool:
        """Whether the next step coasts (call before every yield of a move whose commands
        are given): keeps a running coast, renews a spent one or starts one when the
        clearance and the world allow it."""
        return self._renewed(PositionCoast, None) is not None

    def granted(self) -> bool:
        """Whether a coast of this move runs and has steps left (no clearance asked)."""
        coast = self._coast
        return coast is not None and self.world.coast is coast and coast.steps_left > 0

    def tracking(
        self, command: ServoCommand, speed_limits: Sequence[float]
    ) -> TrackingCoast | None:
        """The coast a trajectory follower queues its servo steps on for the next steps (a
        running one, renewed or new), or None: full physics, and the follower commands the
        motors (any coast of the move has ended and handed them over). speed_limits: the
        servo's velocity limits (m/s, rad/s), which its coasted steps never exceed."""
        running = self._coast
        if isinstance(running, TrackingCoast) and not running.serves(command):
            running.finish()  # another follower's (one preempted without ending its coast)
            self._coast = None
        coast = self._renewed(TrackingCoast, list(speed_limits), command)
        return coast if isinstance(coast, TrackingCoast) else None

    def _renewed(
        self, kind: type, speed_limits: list[float] | None, *extra: object
    ) -> Coast | None:
        world = self.world
        coast = self._coast if world.coast is self._coast else None  # None: it ended
        if coast is not None and not isinstance(coast, kind):
            coast.finish()
            coast = None
        if coast is not None and coast.steps_left > 0:
            return coast
        if not world.config.physics.coasts or world.step_count < self._retry_at:
            return None
        carried = self._carried()
        startable = coast is not None or (
            (kind is not PositionCoast or PositionCoast.applicable(world, self.joints))
            and unrest(world, self.joints, carried) is None
        )
        steps = self._grant(carried, speed_limits) if startable else 0
        if steps < MIN_STEPS:
            if coast is not None:
                coast.finish()
            self._retry_at = world.step_count + RETRY_STEPS
            return None
        if coast is None:
            coast = kind(world, self.joints, self.carrier, carried, *extra)
            self._coast = world.coast = coast
        coast.steps_left = steps
        return coast

    def leap(self, goal: Sequence[float], tolerances: Sequence[float]) -> int:
        """Steps a coasting point-to-point move may take without looking (see
        PositionCoast.blind_steps), at most World.leap_steps; 1 when not coasting."""
        coast = self._coast
        if not isinstance(coast, PositionCoast) or self.world.coast is not coast:
            return 1
        return coast.blind_steps(goal, tolerances, self.world.leap_steps)

    def pause(self) -> None:
        """End the coast for now; ask again after RETRY_STEPS of full physics."""
        if self._coast is not None:
            self._coast.finish()
        self._retry_at = self.world.step_count + RETRY_STEPS

    def stop(self) -> None:
        """End the coast of the move that ends (the next move asks afresh)."""
        if self._coast is not None:
            self._coast.finish()
            self._coast = None
        self._retry_at = -1

    def _carried(self) -> tuple[int, ...]:
        """The bodies the coasting link carries: the held tube's assembly."""
        return self.world.held_bodies()

    def _grant(self, carried: Sequence[int], speed_limits: list[float] | None) -> int:
        return grant(self.world, self.joints, carried, speed_limits)


def margin_m(per_step_m: float) -> float:
    """How near anything a coast ends (m) for a move whose fastest point goes per_step_m a
    step: MARGIN_STEPS steps of its travel (the steps that find a contact on full physics),
    at least MIN_MARGIN_M. A Z move at 5 mm/s gets 0.1 mm, a planar move at top speed with
    a tube 0.93 mm."""
    return max(MIN_MARGIN_M, MARGIN_STEPS * per_step_m)


def grant(
    world: World, joints: Sequence[str], carried: Sequence[int], speed_limits: list[float] | None
) -> int:
    """Steps the SHA (`joints`: sha_z, shoulder, elbow) may coast carrying `carried`: the
    travel to the margin at the largest point speed (the tracking servo's velocity limits,
    or the position law's speeds); for the position law, all that are left of the move
    (UNLIMITED_STEPS) when no point of the arm can reach the margin before the joints reach
    their targets (the law never overshoots). A position move of sha_z alone (the planar
    joints within Z_ONLY_M of their targets) may slide along a contact whose normal is
    horizontal (ArmClearance.gap, z_only). The clearance is asked within HORIZON_M (a
    query's cost grows with what its boxes overlap), and again out to FAR_HORIZON_M when
    nothing is that near and a fast move would spend its grant before a Leap's steps (a
    transit at top speed: 120 steps instead of 51, the same states)."""
    mech = world.mech
    clearance = ArmClearance(world.p, mech, carried)
    errors: list[float] = []
    if speed_limits is None:
        commands = [mech.commands[name] for name in joints]
        positions, _ = mech.positions_and_velocities(joints)
        errors = [abs(c.target - q) for c, q in zip(commands, positions, strict=True)]
    lateral = clearance.point_bound(0.0, *errors[1:]) if errors else math.inf
    z_only = lateral <= Z_ONLY_M
    if speed_limits is None:
        speeds = [
            min(c.max_velocity, POSITION_GAIN * error / world.dt)
            for c, error in zip(commands, errors, strict=True)
        ]
    else:
        speeds = speed_limits
    per_step = clearance.point_bound(*speeds) * world.dt
    margin = margin_m(per_step)
    gap = clearance.gap(HORIZON_M, z_only)
    far = min(FAR_HORIZON_M, world.leap_steps * per_step + margin)
    if min(gap.external, gap.internal) >= HORIZON_M and far > HORIZON_M:
        gap = clearance.gap(far, z_only)  # open space: room for up to a Leap's steps
    external = gap.external - margin - (lateral if z_only else 0.0)
    room = min(external, (gap.internal - margin) / 2)
    if room <= 0:
        return 0
    if speed_limits is None and clearance.point_bound(*errors) < room:
        return UNLIMITED_STEPS
    return int(room / per_step) if per_step > 0 else UNLIMITED_STEPS
