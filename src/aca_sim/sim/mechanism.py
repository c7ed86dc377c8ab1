"""The ACA multibody (the expanded URDF) in a PyBullet client: joints, their motor commands,
link frames and the contacts of its own links.

Thread rule: the physics thread only (like everything that holds the client). Units: m, rad,
N, N m; frame: aca_frame (PyBullet's world frame).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from aca_sim.model.names import ACA_JOINTS
from aca_sim.sim.quiet import BulletClient, c_stdout_silenced
from aca_sim.sim.symmetry import turns_symmetric_link

ANY_LINK = -2  # in (body, link) pairs: every link of the body


@dataclass(frozen=True)
class JointCommand:
    """The motor command a joint holds: "position", "velocity" or "force" control. A
    position command may carry a velocity feed-forward and a position gain (trajectory
    tracking); None leaves PyBullet's defaults."""

    mode: str
    target: float
    max_velocity: float
    force: float
    target_velocity: float | None = None
    position_gain: float | None = None

    def described(self) -> dict[str, Any]:
        """As plain data, without the optional fields that are not set."""
        return {k: v for k, v in asdict(self).items() if v is not None}


class Mechanism:
    """The ACA URDF loaded with self-collision; owns the motor commands of its joints."""

    def __init__(self, client: BulletClient, urdf_path: str) -> None:
        self._p = p = client
        with c_stdout_silenced():
            self.body = p.loadURDF(
                urdf_path,
                useFixedBase=True,
                flags=p.URDF_MERGE_FIXED_LINKS
                | p.URDF_USE_SELF_COLLISION
                | p.URDF_USE_SELF_COLLISION_EXCLUDE_PARENT,
            )
        self.joint_index: dict[str, int] = {}
        self.link_index: dict[str, int] = {}
        self._parent: dict[int, int] = {}
        for j in range(p.getNumJoints(self.body)):
            info = p.getJointInfo(self.body, j)
            self.joint_index[info[1].decode()] = j
            self.link_index[info[12].decode()] = j
            self._parent[j] = info[16]
        missing = [name for name in ACA_JOINTS if name not in self.joint_index]
        if missing:
            raise RuntimeError(f"aca URDF lacks joints {missing}")
        self._indices = [self.joint_index[name] for name in ACA_JOINTS]
        self.commands: dict[str, JointCommand] = {}
        self.command_version = 0  # counts command_joint calls (a coast ends when it changes)
        self._force_joints: set[str] = set()
        # joints whose angle changes no contact geometry (within symmetry.SYMMETRY_TOLERANCE_M)
        self.axisymmetric: frozenset[str] = frozenset(
            name for name in ACA_JOINTS if self._turns_symmetric_leaf(self.joint_index[name])
        )

    def set_state(
        self, joints: Mapping[str, Sequence[float]], commands: Mapping[str, Mapping[str, Any]]
    ) -> None:
        """Put every joint at its (position, velocity) and give it its command (a described
        one, or holding where it is)."""
        for name in ACA_JOINTS:
            q, v = joints[name]
            self._p.resetJointState(self.body, self.joint_index[name], q, v)
            command = commands.get(name)
            if command:
                self.command_joint(name, **command)
            else:
                self.hold_joint(name, q)

    def describe(self) -> dict[str, Any]:
        """Joint positions and velocities, and the motor commands, as plain data."""
        return {
            "joints": {
                name: list(self._p.getJointState(self.body, self.joint_index[name])[:2])
                for name in ACA_JOINTS
            },
            "commands": {name: cmd.described() for name, cmd in sorted(self.commands.items())},
        }

    def apply_force_commands(self) -> None:
        """Before a physics step: apply the force of every force-controlled joint."""
        for name in self._force_joints:
            self._p.setJointMotorControl2(
                self.body,
                self.joint_index[name],
                self._p.TORQUE_CONTROL,
                force=self.commands[name].target,
            )

    # ------------------------------------------------------------------ joints
    def joint_state(self, name: str) -> tuple[float, float, float]:
        """Position, velocity and applied motor force/torque of an ACA joint."""
        q, v, _reaction, applied = self._p.getJointState(self.body, self.joint_index[name])
        return q, v, applied

    def joint_states(self) -> list[tuple[float, float, float]]:
        """(position, velocity, applied effort) of every joint in ACA_JOINTS, in one call."""
        return [(s[0], s[1], s[3]) for s in self._p.getJointStates(self.body, self._indices)]

    def positions_and_velocities(self, names: Sequence[str]) -> tuple[list[float], list[float]]:
        """Positions and velocities of the named joints, in one call."""
        indices = [self.joint_index[name] for name in names]
        states = self._p.getJointStates(self.body, indices)
        return [s[0] for s in states], [s[1] for s in states]

    def joint_position(self, name: str) -> float:
        """Position of an ACA joint (m or rad)."""
        return self._p.getJointState(self.body, self.joint_index[name])[0]

    def command_joint(
        self,
        name: str,
        mode: str,
        target: float,
        max_velocity: float,
        force: float,
        target_velocity: float | None = None,
        position_gain: float | None = None,
    ) -> None:
        """Set and remember a joint's motor command: "position" or "velocity" control, or
        "force" (motor off; `target` N or N m applied every step). A position command with
        target_velocity and position_gain tracks: the motor asks for target_velocity +
        position_gain * (target - position) / dt, within max_velocity and force."""
        p, j = self._p, self.joint_index[name]
        self.command_version += 1
        self._force_joints.discard(name)
        if mode == "force":
            p.setJointMotorControl2(self.body, j, p.VELOCITY_CONTROL, targetVelocity=0, force=0)
            self._force_joints.add(name)
        elif mode == "position" and position_gain is not None:
            p.setJointMotorControl2(
                self.body,
                j,
                p.POSITION_CONTROL,
                targetPosition=target,
                targetVelocity=target_velocity or 0.0,
                positionGain=position_gain,
                velocityGain=1.0,
                maxVelocity=max_velocity,
                force=force,
            )
        elif mode == "position":
            p.setJointMotorControl2(
                self.body,
                j,
                p.POSITION_CONTROL,
                targetPosition=target,
                maxVelocity=max_velocity,
                force=force,
            )
        elif mode == "velocity":
            p.setJointMotorControl2(
                self.body, j, p.VELOCITY_CONTROL, targetVelocity=target, force=force
            )
        else:
            raise ValueError(f"unknown joint command mode {mode!r}")
        self.commands[name] = JointCommand(
            mode, target, max_velocity, force, target_velocity, position_gain
        )

    def hold_joint(self, name: str, position: float | None = None) -> None:
        """Hold a joint at `position` (default: where it is) with its full effort."""
        info = self._p.getJointInfo(self.body, self.joint_index[name])
        effort, velocity = info[10], info[11]
        target = self.joint_position(name) if position is None else position
        self.command_joint(name, "position", target, velocity, effort)

    def hold_all(self, joints: Sequence[str] = ACA_JOINTS) -> None:
        """Stop the given joints where they are (the state a cancel or fault leaves)."""
        for name in joints:
            self.hold_joint(name)

    # ------------------------------------------------------------------ links
    def links_moved_by(self, joints: Sequence[int]) -> list[int]:
        """The links (indices) that joints (indices) move: their own and every descendant."""
        moved = set(joints)
        for link in sorted(self._parent):  # PyBullet numbers a parent before its children
            if self._parent[link] in moved:
                moved.add(link)
        return sorted(moved)

    def _turns_symmetric_leaf(self, joint: int) -> bool:
        """Whether a joint turns a link with no children that is symmetric about its axis."""
        return self.links_moved_by([joint]) == [joint] and turns_symmetric_link(
            self._p, self.body, joint
        )

    def link_pose(self, link: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """World position and orientation (x, y, z, w) of an ACA link frame."""
        state = self._p.getLinkState(
            self.body, self.link_index[link], computeForwardKinematics=True
        )
        return state[4], state[5]

    def link_point(
        self, link: str, point: Sequence[float]
    ) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """World position (m) of a point given in a link's frame, and the link's world
        orientation (x, y, z, w)."""
        pos, orn = self.link_pose(link)
        return self._p.multiplyTransforms(pos, orn, list(point), [0, 0, 0, 1])

    def link_pair(self, link: str) -> tuple[int, int]:
        """The (body, link index) pair of an ACA link, for contact queries."""
        return self.body, self.link_index[link]

    def self_contact_force(self, link: str) -> float:
        """Normal force on one link from the ACA's other links (self-collisions are reported
        with the link as either link A or link B), N."""
        index, total = self.link_index[link], 0.0
        for contact in self._p.getContactPoints(bodyA=self.body):
            if contact[3] == index or (contact[2] == self.body and contact[4] == index):
                total += contact[9]
        return total
