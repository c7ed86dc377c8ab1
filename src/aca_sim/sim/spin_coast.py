"""Coasting a spinning symmetric link: a velocity-commanded joint whose link looks the same at
every angle (Mechanism.axisymmetric: the bore-sweeping brush) turned kinematically while the
rest of the world is at rest (the fast path of a brush turn).

A velocity motor asks for its target velocity each step and, its effort dwarfing the link's
inertia and the rubbing it meets, reaches it within the step, so the turn is q += v * dt. The
turn changes no contact geometry (sim.symmetry), so it limits no steps. The SHA may still be
settling onto its last position targets (a guarded move ends within its tolerance, still
moving): its joints then coast along by the position law (sim.coasting), carrying the held
tube, when the clearance lets them reach their targets (coasting.grant); otherwise the turn
runs on full physics. The coast lasts until the command changes (the turn is stopped and
held) or anything else changes.

Switched off by the model's `physics.fidelity: full`. Thread rule: the physics thread.
Units: m, rad, m/s, rad/s, s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aca_sim.model.names import SHA_JOINTS
from aca_sim.sim import coasting
from aca_sim.sim.coast import Coast, unrest
from aca_sim.sim.coasting import PositionCoast
from aca_sim.sim.motor_law import JointTrack, PositionTracks

if TYPE_CHECKING:
    from aca_sim.sim.world import World


class SpinCoast(Coast):
    """The kinematic turn of one velocity-commanded symmetric joint (first in `joints`), and
    the SHA settling by the position law (the rest of `joints`, if any)."""

    def __init__(
        self, world: World, joints: tuple[str, ...], carrier: str, carried: tuple[int, ...]
    ) -> None:
        super().__init__(world, joints, carrier, carried)
        commands = [world.mech.commands[name] for name in joints]
        dt = world.dt
        self._spin = JointTrack.turning(self._q[0], commands[0].target, dt)
        self._settling = PositionTracks(
            self._q[1:],
            [c.target for c in commands[1:]],
            [c.max_velocity for c in commands[1:]],
            dt,
        )
        self.steps_left = coasting.UNLIMITED_STEPS

    @classmethod
    def start(cls, world: World, joint: str) -> SpinCoast | None:
        """A spin of `joint` under its velocity command, made the world's coast; None (full
        physics) under `physics.fidelity: full`, for a joint that is not symmetric or not
        velocity-commanded, with another coast running, or the rest of the world (the SHA
        settling within its clearance excepted) not at rest."""
        command = world.mech.commands.get(joint)
        if (
            not world.config.physics.coasts
            or world.coast is not None
            or joint not in world.mech.axisymmetric
            or command is None
            or command.mode != "velocity"
        ):
            return None
        carrier = world.p.getJointInfo(world.mech.body, world.mech.joint_index[joint])[12]
        coast: SpinCoast | None = None
        if unrest(world, (joint,), ()) is None:
            coast = cls(world, (joint,), carrier.decode(), ())
        else:
            carried = world.held_bodies()
            joints = (joint, *SHA_JOINTS)
            if (
                PositionCoast.applicable(world, SHA_JOINTS)
                and unrest(world, joints, carried) is None
                and coasting.grant(world, SHA_JOINTS, carried, None) == coasting.UNLIMITED_STEPS
            ):
                coast = cls(world, joints, "sha_fore", carried)
        if coast is not None:
            world.coast = coast
        return coast

    def running(self) -> bool:
        """Whether this spin is still the world's coast."""
        return self.world.coast is self

    def _take_states(self, limit: int) -> int:
        spin_q, spin_v = self._spin.take(limit)
        positions, velocities = self._settling.take(limit)
        self._q, self._v = [spin_q, *positions], [spin_v, *velocities]
        return limit
