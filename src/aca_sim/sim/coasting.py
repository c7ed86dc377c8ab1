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

Switched off by the model's `physics.fidelity: full` (every step is a PyBullet step).
Thread rule: the physics thread. Units: m, rad, s; frame: aca_frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aca_sim.model.locations import GRIPPER
from aca_sim.sim.clearance import ArmClearance
from aca_sim.sim.mechanism import ACA_JOINTS

if TYPE_CHECKING:
    from aca_sim.sim.world import World

POSITION_GAIN = 0.1  # PyBullet's default position gain of a position motor
HORIZON_M = 0.03  # clearance asked for; a coast is granted at most (horizon - margin) of travel
MARGIN_M = 0.001  # full physics within this distance of anything (3 steps at top speed)
MIN_STEPS = 4  # a grant shorter than this is not worth a coast
RETRY_STEPS = 12  # after a refusal, steps of full physics before asking again
STILL_SPEED = 1e-3  # m/s or rad/s: a joint or a body slower than this is at rest
STILL_SPIN = 1e-2  # rad/s: a body spinning slower than this is at rest
ON_TARGET = 1e-3  # m or rad: a position-controlled joint this close to its target holds
UNLIMITED_STEPS = 1 << 40  # a grant for the rest of a move
LEAP_STEPS = 60  # at most this many steps without a look (0.25 s: feedback, cancel latency)


def unrest(world: World, joints: Sequence[str], carried: Sequence[int]) -> str | None:
    """Why the world outside the given joints and carried bodies is not at rest (None: it
    is): a force-controlled joint, a joint moving or off its target, a loose body moving, a
    held tube also held by something else."""
    mech, p = world.mech, world.p
    if world.held_tube and world.tubes[world.held_tube].location != GRIPPER:
        return f"tube {world.held_tube} is held by more than the gripper"
    for name in ACA_JOINTS:
        if name in joints:
            continue
        command = mech.commands.get(name)
        q, v, _effort = mech.joint_state(name)
        if command is not None and command.mode == "force":
            return f"{name} is force-controlled"
        if abs(v) > STILL_SPEED:
            return f"{name} moves"
        if (
            command is not None
            and command.mode == "position"
            and abs(command.target - q) > ON_TARGET
        ):
            return f"{name} is off its target"
    skip = {mech.body, *carried}
    for index in range(p.getNumBodies()):
        body = p.getBodyUniqueId(index)
        if body in skip or p.getDynamicsInfo(body, -1)[0] == 0.0:
            continue
        linear, angular = p.getBaseVelocity(body)
        if math.hypot(*linear) > STILL_SPEED or math.hypot(*angular) > STILL_SPIN:
            return f"body {body} moves"
    return None


class Coast:
    """Kinematic stepping of some joints toward their position commands, carrying bodies
    rigidly with a link. Created by Coaster; World.step() calls advance()."""

    def __init__(self, world: World, joints: Sequence[str], carrier: str, carried: Sequence[int]):
        p, mech = world.p, world.mech
        self.world = world
        self._indices = [mech.joint_index[name] for name in joints]
        commands = [mech.commands[name] for name in joints]
        self._targets = [c.target for c in commands]
        self._limits = [c.max_velocity for c in commands]
        self._q = [s[0] for s in p.getJointStates(mech.body, self._indices)]
        self._v = [0.0] * len(joints)
        self._carrier = mech.link_index[carrier]
        link = p.getLinkState(mech.body, self._carrier, computeForwardKinematics=True)
        inverse = p.invertTransform(link[4], link[5])
        self._carried = []
        for body in carried:
            position, orientation = p.getBasePositionAndOrientation(body)
            relative = p.multiplyTransforms(*inverse, position, orientation)
            self._carried.append((body, relative))
        self._signature = world.signature()
        self._carry_due = False
        self.steps_left = 0
        self.steps_done = 0

    @staticmethod
    def applicable(world: World, joints: Sequence[str]) -> bool:
        """Whether the joints' commands are plain position commands (what a coast follows)."""
        commands = [world.mech.commands.get(name) for name in joints]
        return all(
            c is not None and c.mode == "position" and c.position_gain is None for c in commands
        )

    def advance(self) -> bool:
        """One step of the coast, or (its steps spent, or the world changed) its end: False,
        and the caller steps PyBullet instead."""
        if self.steps_left <= 0 or self.world.signature() != self._signature:
            self.finish()
            return False
        self._q, self._v = self._law(self._q)
        p, body = self.world.p, self.world.mech.body
        p.resetJointStatesMultiDof(
            body, self._indices, [[q] for q in self._q], [[v] for v in self._v]
        )
        self._carry_due = bool(self._carried)
        self.steps_left -= 1
        self.steps_done += 1
        return True

    def _law(self, q: Sequence[float]) -> tuple[list[float], list[float]]:
        """One step of the position motors' law from positions q: (positions, velocities)."""
        dt = self.world.dt
        positions, velocities = [], []
        for q_i, target, limit in zip(q, self._targets, self._limits, strict=True):
            v = max(-limit, min(limit, POSITION_GAIN * (target - q_i) / dt))
            positions.append(q_i + v * dt)
            velocities.append(v)
        return positions, velocities

    def blind_steps(self, goal: Sequence[float], tolerances: Sequence[float], limit: int) -> int:
        """How many steps (1..limit, and no more than granted) the coast can take before a
        move has to look again: the first after which every joint is within its tolerance of
        the goal (the move ends there, exactly as if it had looked at every step)."""
        steps, q = 0, self._q
        limit = min(limit, self.steps_left)
        while steps < limit:
            q, _ = self._law(q)
            steps += 1
            if all(abs(g - x) <= t for g, x, t in zip(goal, q, tolerances, strict=True)):
                break
        return max(1, steps)

    def settle(self) -> None:
        """Put the carried bodies where the carrier link now is (they are moved lazily: only
        the joints are written at every step)."""
        if self._carry_due:
            self._carry_due = False
            self._carry()

    def _carry(self) -> None:
        p, aca = self.world.p, self.world.mech.body
        link = p.getLinkState(
            aca, self._carrier, computeLinkVelocity=1, computeForwardKinematics=True
        )
        com, frame, orientation = link[0], link[4], link[5]
        linear, angular = link[6], link[7]
        for body, (rel_pos, rel_orn) in self._carried:
            position, body_orn = p.multiplyTransforms(frame, orientation, rel_pos, rel_orn)
            p.resetBasePositionAndOrientation(body, position, body_orn)
            arm = [position[k] - com[k] for k in range(3)]
            velocity = [
                linear[0] + angular[1] * arm[2] - angular[2] * arm[1],
                linear[1] + angular[2] * arm[0] - angular[0] * arm[2],
                linear[2] + angular[0] * arm[1] - angular[1] * arm[0],
            ]
            p.resetBaseVelocity(body, velocity, angular)

    def finish(self) -> None:
        """End the coast: PyBullet continues from the coasted state (joints and carried
        bodies at their positions and velocities)."""
        self.settle()
        if self.world.coast is self:
            self.world.coast = None


class Coaster:
    """The SHA's side of coasting: asks for and renews coasts during its moves."""

    def __init__(self, world: World, joints: Sequence[str], carrier: str) -> None:
        self.world, self.joints, self.carrier = world, tuple(joints), carrier
        self._retry_at = -1
        self._coast: Coast | None = None

    def coasting(self) -> bool:
        """Whether the next step coasts (call before every yield of a move whose commands
        are given): keeps a running coast, renews a spent one or starts one when the
        clearance and the world allow it."""
        world = self.world
        coast = self._coast if world.coast is self._coast else None  # None: it ended
        if coast is not None and coast.steps_left > 0:
            return True
        if world.config.physics.fidelity != "fast" or world.step_count < self._retry_at:
            return False
        carried = (
            [body for body, _ in world.tube_assembly(world.held_tube)] if world.held_tube else []
        )
        startable = coast is not None or (
            Coast.applicable(world, self.joints) and unrest(world, self.joints, carried) is None
        )
        steps = self._grant(carried) if startable else 0
        if steps < MIN_STEPS:
            if coast is not None:
                coast.finish()
            self._retry_at = world.step_count + RETRY_STEPS
            return False
        if coast is None:
            coast = Coast(world, self.joints, self.carrier, carried)
            self._coast = world.coast = coast
        coast.steps_left = steps
        return True

    def leap(self, goal: Sequence[float], tolerances: Sequence[float]) -> int:
        """Steps a coasting move may take without looking (see Coast.blind_steps), at most
        LEAP_STEPS; 1 when not coasting."""
        coast = self._coast
        if coast is None or self.world.coast is not coast:
            return 1
        return coast.blind_steps(goal, tolerances, LEAP_STEPS)

    def stop(self) -> None:
        """End the coast of the move that ends (the next move asks afresh)."""
        if self._coast is not None:
            self._coast.finish()
            self._coast = None
        self._retry_at = -1

    def _grant(self, carried: Sequence[int]) -> int:
        """Steps the arm may coast: all that are left of the move when no point of the arm
        can reach the margin before the joints reach their targets (the law never
        overshoots), else the travel to the margin at the largest point speed."""
        world = self.world
        mech = world.mech
        clearance = ArmClearance(world.p, mech, carried)
        gap = clearance.gap(HORIZON_M)
        room = min(gap.external - MARGIN_M, (gap.internal - MARGIN_M) / 2)
        if room <= 0:
            return 0
        commands = [mech.commands[name] for name in self.joints]
        positions, _ = mech.positions_and_velocities(self.joints)
        errors = [abs(c.target - q) for c, q in zip(commands, positions, strict=True)]
        if clearance.point_bound(*errors) < room:
            return UNLIMITED_STEPS
        speeds = [
            min(c.max_velocity, POSITION_GAIN * error / world.dt)
            for c, error in zip(commands, errors, strict=True)
        ]
        per_step = clearance.point_bound(*speeds) * world.dt
        return int(room / per_step) if per_step > 0 else UNLIMITED_STEPS
