"""A coast: some of the SHA's joints stepped kinematically instead of by PyBullet, the bodies
it carries riding rigidly with a link, while nothing else in the world moves.

What a coast is allowed and how its joints move is decided elsewhere (sim.coasting: when and
for how many steps; the subclass: the law of its joints). This module holds what every coast
shares: writing the joints each step, carrying the held tube lazily, and ending at once, before
the step, when anything else changes (a joint command, a body or a constraint added or
removed: World.signature), so that PyBullet takes that step instead.

Thread rule: the physics thread. Units: m, rad, s; frame: aca_frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aca_sim.model.locations import GRIPPER
from aca_sim.model.names import ACA_JOINTS
from aca_sim.sim.contact_memory import body_parts, forget_contacts

if TYPE_CHECKING:
    from aca_sim.sim.world import World

STILL_SPEED = 1e-3  # m/s or rad/s: a joint or a body slower than this is at rest
STILL_SPIN = 1e-2  # rad/s: a body spinning slower than this is at rest
ON_TARGET = 1e-3  # m or rad: a position-controlled joint this close to its target holds


def unrest(world: World, joints: Sequence[str], carried: Sequence[int]) -> str | None:
    """Why the world outside the given joints and carried bodies is not at rest (None: it
    is): a force-controlled joint, a joint moving or off its target (a held joint that turns
    a symmetric link excepted: Mechanism.axisymmetric), a loose body moving, a held tube also
    held by something else."""
    mech, p = world.mech, world.p
    if world.held_tube and world.tubes[world.held_tube].location != GRIPPER:
        return f"tube {world.held_tube} is held by more than the gripper"
    for name in ACA_JOINTS:
        if name in joints:
            continue
        command = mech.commands.get(name)
        if name in mech.axisymmetric and command is not None and command.mode == "position":
            continue  # held, its settling changes no contact geometry (sim.symmetry)
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
    """Kinematic stepping of some joints, carrying bodies rigidly with a link. A subclass
    gives the joints' next state (`_next_state`) and what PyBullet's motors must hold when
    the coast ends (`_hand_over`). World.step() calls advance()."""

    def __init__(self, world: World, joints: Sequence[str], carrier: str, carried: Sequence[int]):
        p, mech = world.p, world.mech
        self.world = world
        self.joints = tuple(joints)
        self._indices = [mech.joint_index[name] for name in joints]
        self._q = [s[0] for s in p.getJointStates(mech.body, self._indices) or ()]
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
        # the coasted joints' (positions, velocities) after each step advance_many was asked
        # to mark, in order (its last call's)
        self.marked: list[tuple[list[float], list[float]]] = []

    def advance(self) -> bool:
        """One step of the coast, or (its steps spent, or the world changed) its end: False,
        and the caller steps PyBullet instead."""
        if self.advance_many(1):
            return True
        self.finish(world_changed=self.world.signature() != self._signature)
        return False

    def advance_many(self, limit: int, marks: Sequence[int] = ()) -> int:
        """Up to `limit` steps of the coast at once, for a driver whose operation does not look
        at the world in between (a Leap): the same states advance() gives step by step,
        without its per-step checks (nothing but this loop runs in between, so the world
        cannot change), the joints written once, at the last state (PyBullet keeps only the
        last reset: trials 0-5 of mageik_dust give the same rows as writing every step).
        marks: step counts (increasing, from 1) after which the coasted joints' state is
        kept in self.marked (a fast runner's ticks, read without PyBullet). Returns the
        steps taken; 0 when the world changed or the coast has no steps left (the caller
        then steps singly, and advance() ends it)."""
        self.marked = []
        if self.world.signature() != self._signature:
            return 0
        limit = min(limit, self.steps_left)
        taken = 0
        for mark in (m for m in marks if m <= limit):
            taken += self._take_states(mark - taken)
            if taken < mark:
                break  # the law has no further state
            self.marked.append((list(self._q), list(self._v)))
        else:
            if limit > taken:
                taken += self._take_states(limit - taken)
        if taken:
            if self._indices:  # a rest coast has none
                self.world.p.resetJointStatesMultiDof(
                    self.world.mech.body,
                    self._indices,
                    [[q] for q in self._q],
                    [[v] for v in self._v],
                )
            self._carry_due = bool(self._carried)
            self.steps_left -= taken
            self.steps_done += taken
        return taken

    def _take_states(self, limit: int) -> int:
        """Move the coast's state (self._q, self._v) on by up to `limit` >= 1 steps of its law;
        return the steps taken (fewer: the coast has no further state and ends there). By
        default one _next_state() a step; a law that can take many steps at once overrides
        this (sim.motor_law)."""
        taken = 0
        while taken < limit:
            state = self._next_state()
            if state is None:
                break
            self._q, self._v = state
            taken += 1
        return taken

    def _next_state(self) -> tuple[list[float], list[float]] | None:
        """The joints' positions and velocities after the step being taken (None: the coast
        has no next state and ends)."""
        raise NotImplementedError

    def _hand_over(self, world_changed: bool) -> None:
        """Give PyBullet's motors the commands that full physics would hold now (nothing, for
        a coast that follows constant commands)."""

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

    def finish(self, world_changed: bool = False) -> None:
        """End the coast: PyBullet continues from the coasted state (joints and carried
        bodies at their positions and velocities, the motors holding what full physics would
        hold), with Bullet's stored contacts of every part the coast moved forgotten (they
        did not move with it: sim.contact_memory). Ending twice does nothing."""
        world = self.world
        if world.coast is not self:
            return
        world.coast = None
        self.settle()
        if self.steps_done:
            mech = world.mech
            moved = [(mech.body, link) for link in mech.links_moved_by(self._indices)]
            for body, _relative in self._carried:
                moved.extend(body_parts(world.p, body))
            forget_contacts(world.p, moved)
        self._hand_over(world_changed)
