"""AcaWorld: the PyBullet model of the Adaptive Caching Assembly.

Thread rule: an AcaWorld and its devices belong to one thread (the physics thread); nothing
else calls into it. Frame: aca_frame is PyBullet's world frame. Time: `time_s` is sim time,
advanced only by step().

The whole state (bodies, poses, velocities, joints, constraints, logical records, RNG) can be
captured with describe() and rebuilt with restore(); the initial world is built the same way
from an initial description, so a seed fully determines it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass, replace
from typing import Any, TypeVar

import numpy as np

from aca_sim.sim.config import ModelConfig, load_model_config
from aca_sim.sim.errors import StepError
from aca_sim.sim.quiet import BulletClient, c_stdout_silenced, pybullet
from aca_sim.sim.state import (
    GRIPPER,
    BitSlotState,
    BitType,
    Contents,
    DispenserState,
    SealState,
    TubeKind,
    TubeState,
    bit_location,
    slot_location,
)
from aca_sim.sim.urdf import urdf_file

T = TypeVar("T")

ACA_JOINTS = (
    "sha_z",
    "sha_shoulder",
    "sha_elbow",
    "seal_carousel_rot",
    "seal_ram_z",
    "bst_rot",
    "volume_probe_z",
    "bit_carousel_rot",
    "drill_feed",
)
TUBE_SERIAL_OFFSET = 200  # tube id = 200 + home slot (the rover's serials are three-digit)
DUST_RGB = np.array([0.66, 0.40, 0.24])  # Martian dust
CLEAN_RIM_RGB = np.array([0.72, 0.72, 0.75])  # titanium


@dataclass(frozen=True)
class Feedback:
    """Progress of an operation: phase name, progress 0..1, force (N) and one more value."""

    phase: str
    progress: float
    force_n: float = 0.0
    value: float = 0.0


Operation = Generator["Feedback | None", None, T]
"""An operation yields once per physics step (Feedback or None) and returns its result."""


@dataclass(frozen=True)
class JointCommand:
    """The motor command a joint holds: position or velocity control."""

    mode: str  # "position" | "velocity"
    target: float
    max_velocity: float
    force: float


def tube_id_for_slot(slot: int) -> int:
    """Serial number of the tube whose home is storage slot `slot`."""
    return TUBE_SERIAL_OFFSET + slot


class AcaWorld:
    """The ACA in PyBullet: bodies, joints, constraints, logical records and devices."""

    def __init__(self, client: BulletClient, config: ModelConfig | None = None, seed: int = 0):
        self.p = client
        self.config = config or load_model_config()
        self.seed = seed
        cfg = self.config
        self.dt = cfg.physics.time_step_s
        self._aca_urdf = str(urdf_file("aca.urdf.xacro", cfg.source_path, cfg.sha256))
        self._tube_urdf = {
            kind: str(urdf_file("tube.urdf.xacro", cfg.source_path, cfg.sha256, kind=kind.value))
            for kind in TubeKind
        }
        # Imported here to keep device modules free to import world helpers.
        from aca_sim.sim.devices import build_devices
        from aca_sim.sim.layout import station_table

        self.stations = station_table(cfg)

        self._build(initial_description(cfg, seed))
        self.devices = build_devices(self)
        for device in self.devices.all():
            device.on_rebuild()

    # ------------------------------------------------------------------ construction
    @classmethod
    def create(
        cls, gui: bool = False, config: ModelConfig | None = None, seed: int = 0
    ) -> AcaWorld:
        """Connect a new PyBullet client (DIRECT, or GUI on request) and build the world."""
        with c_stdout_silenced():
            client = BulletClient(connection_mode=pybullet.GUI if gui else pybullet.DIRECT)
        return cls(client, config, seed)

    def close(self) -> None:
        """Disconnect the PyBullet client."""
        with c_stdout_silenced():
            self.p.disconnect()

    def _build(self, desc: dict[str, Any]) -> None:
        p, cfg = self.p, self.config
        with c_stdout_silenced():
            p.resetSimulation()
        p.setGravity(0, 0, -cfg.physics.gravity_mps2)
        p.setTimeStep(self.dt)
        p.setPhysicsEngineParameter(
            numSolverIterations=cfg.physics.solver_iterations, deterministicOverlappingPairs=1
        )
        self.time_s = desc["time_s"]
        self.step_count = desc["step_count"]
        self.seed = desc["seed"]
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = desc["rng"]
        self.caching_halted = desc["halted"]
        self.tubes = {t["tube_id"]: _tube_from_dict(t) for t in desc["tubes"]}
        self.dispensers = {d["dispenser_id"]: DispenserState(**d) for d in desc["dispensers"]}
        self.bit_slots = {
            b["slot"]: replace(BitSlotState(**b), bit_type=BitType(b["bit_type"]))
            for b in desc["bit_slots"]
        }
        self.held_tube = desc["held_tube"]
        self.pending_faults: dict[str, float] = dict(desc["faults"])

        ground_z = cfg.drop_port.engage_z_m - cfg.tube.length_m - cfg.drop_port.ground_drop_m
        shape = p.createCollisionShape(p.GEOM_BOX, halfExtents=[3, 3, 0.05])
        visual = p.createVisualShape(
            p.GEOM_BOX, halfExtents=[3, 3, 0.05], rgbaColor=[0.6, 0.4, 0.3, 1]
        )
        self.ground = p.createMultiBody(0, shape, visual, [0, 0, ground_z - 0.05])
        self.ground_z = ground_z

        with c_stdout_silenced():
            self.aca = p.loadURDF(
                self._aca_urdf,
                useFixedBase=True,
                flags=p.URDF_MERGE_FIXED_LINKS
                | p.URDF_USE_SELF_COLLISION
                | p.URDF_USE_SELF_COLLISION_EXCLUDE_PARENT,
            )
        self.joint_index: dict[str, int] = {}
        self.link_index: dict[str, int] = {}
        for j in range(p.getNumJoints(self.aca)):
            info = p.getJointInfo(self.aca, j)
            self.joint_index[info[1].decode()] = j
            self.link_index[info[12].decode()] = j
        missing = [name for name in ACA_JOINTS if name not in self.joint_index]
        if missing:
            raise RuntimeError(f"aca URDF lacks joints {missing}")
        self._joint_indices = [self.joint_index[name] for name in ACA_JOINTS]
        self.commands: dict[str, JointCommand] = {}
        self._force_joints: set[str] = set()
        for name in ACA_JOINTS:
            q, v = desc["joints"][name]
            p.resetJointState(self.aca, self.joint_index[name], q, v)
            cmd = desc["commands"].get(name)
            if cmd:
                self.command_joint(name, **cmd)
            else:
                self.hold_joint(name, q)

        self.tube_bodies: dict[int, int] = {}
        self._rim_shapes: list[int] | None = None
        for tube_id in sorted(self.tubes):
            tube = self.tubes[tube_id]
            pos, orn, lin, ang = desc["tube_bodies"][str(tube_id)]
            with c_stdout_silenced():
                body = p.loadURDF(
                    self._tube_urdf[tube.kind], pos, orn, flags=p.URDF_MERGE_FIXED_LINKS
                )
            if desc["tube_pose_frame"] == "com":  # a described world: exact base poses
                p.resetBasePositionAndOrientation(body, pos, orn)
            p.resetBaseVelocity(body, lin, ang)
            self.tube_bodies[tube_id] = body
            self._set_rim_colour(tube_id)
            if tube.location.startswith("slot_"):
                self._make_static(body)

        self.grip_constraint: int | None = None
        self.grip_orientation: list[float] = desc["grip_orientation"]
        if self.held_tube:
            self.grip_constraint = self._create_grip_constraint(
                self.held_tube, self.grip_orientation
            )
        self.bit_constraints: dict[int, int] = {}
        self.bit_orientations: dict[int, list[float]] = {
            int(k): v for k, v in desc["bit_orientations"].items()
        }
        for slot in sorted(self.bit_slots):
            if self.bit_slots[slot].tube_id:
                self._attach_tube_to_bit(
                    self.bit_slots[slot].tube_id, slot, self.bit_orientations[slot]
                )

        self.core_bodies: dict[int, int] = {}
        self.core_constraints: dict[int, int] = {}
        for key, pose in sorted(desc["cores"].items(), key=lambda kv: int(kv[0])):
            self._create_core(int(key), pose)

        self.seal_bodies: dict[int, int] = {}
        self.seal_in_tube: dict[int, int] = {}  # seal id -> tube id
        self.seal_constraints: dict[int, int] = {}
        for seal in sorted(desc["seals"], key=lambda s: s["seal_id"]):
            self._create_seal(seal["seal_id"], seal["tube_id"], seal["pose"])

        self.pebble_bodies: list[tuple[int, int]] = []  # (bit slot, body)
        for pebble in desc["pebbles"]:
            self._create_pebble(pebble["bit_slot"], pebble["pose"])

    # ------------------------------------------------------------------ stepping
    def step(self) -> None:
        """Advance the world by one physics step (devices first, then PyBullet)."""
        for device in self.devices.all():
            device.pre_step()
        for name in self._force_joints:
            cmd = self.commands[name]
            self.p.setJointMotorControl2(
                self.aca, self.joint_index[name], self.p.TORQUE_CONTROL, force=cmd.target
            )
        self.p.stepSimulation()
        self.step_count += 1
        self.time_s = self.step_count * self.dt

    def run(
        self,
        operation: Operation[T],
        on_feedback: Callable[[Feedback], None] | None = None,
    ) -> T:
        """Drive an operation to completion, stepping once per yield; return its result."""
        while True:
            try:
                feedback = next(operation)
            except StopIteration as done:
                return done.value
            if feedback is not None and on_feedback is not None:
                on_feedback(feedback)
            self.step()

    def wait(self, duration_s: float, phase: str = "wait") -> Operation[None]:
        """Let sim time pass (devices hold their commands)."""
        steps = max(1, round(duration_s / self.dt))
        for i in range(steps):
            yield Feedback(phase, (i + 1) / steps)

    def wait_home(self, joint: str, travel: float, velocity: float, phase: str) -> Operation[None]:
        """Wait (bounded by travel/velocity + 2 s) for a tool joint commanded to position 0."""
        for _ in range(int((travel / velocity + 2.0) / self.dt)):
            if self.joint_position(joint) < 1e-4:
                return
            yield Feedback(phase, 1.0)

    # ------------------------------------------------------------------ joints
    def joint_state(self, name: str) -> tuple[float, float, float]:
        """Position, velocity and applied motor force/torque of an ACA joint."""
        q, v, _reaction, applied = self.p.getJointState(self.aca, self.joint_index[name])
        return q, v, applied

    def joint_states(self) -> list[tuple[float, float, float]]:
        """(position, velocity, applied effort) of every joint in ACA_JOINTS, in one call."""
        return [(s[0], s[1], s[3]) for s in self.p.getJointStates(self.aca, self._joint_indices)]

    def joint_position(self, name: str) -> float:
        """Position of an ACA joint (m or rad)."""
        return self.p.getJointState(self.aca, self.joint_index[name])[0]

    def command_joint(
        self, name: str, mode: str, target: float, max_velocity: float, force: float
    ) -> None:
        """Set and remember a joint's motor command: "position" or "velocity" control, or
        "force" (motor off; `target` N or N m applied every step)."""
        j = self.joint_index[name]
        self._force_joints.discard(name)
        if mode == "force":
            self.p.setJointMotorControl2(
                self.aca, j, self.p.VELOCITY_CONTROL, targetVelocity=0, force=0
            )
            self._force_joints.add(name)
        elif mode == "position":
            self.p.setJointMotorControl2(
                self.aca,
                j,
                self.p.POSITION_CONTROL,
                targetPosition=target,
                maxVelocity=max_velocity,
                force=force,
            )
        elif mode == "velocity":
            self.p.setJointMotorControl2(
                self.aca, j, self.p.VELOCITY_CONTROL, targetVelocity=target, force=force
            )
        else:
            raise ValueError(f"unknown joint command mode {mode!r}")
        self.commands[name] = JointCommand(mode, target, max_velocity, force)

    def hold_joint(self, name: str, position: float | None = None) -> None:
        """Hold a joint at `position` (default: where it is) with its full effort."""
        info = self.p.getJointInfo(self.aca, self.joint_index[name])
        effort, velocity = info[10], info[11]
        target = self.joint_position(name) if position is None else position
        self.command_joint(name, "position", target, velocity, effort)

    def link_pose(self, link: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """World position and orientation (x, y, z, w) of an ACA link frame."""
        state = self.p.getLinkState(self.aca, self.link_index[link], computeForwardKinematics=True)
        return state[4], state[5]

    # ------------------------------------------------------------------ sensing
    def axial_contact_force(
        self, bodies: list[tuple[int, int]], exclude: set[tuple[int, int]]
    ) -> float:
        """Sum of |z| contact forces on the (body, link) pairs in `bodies` from everything not
        in `exclude`, N. Link -2 means every link of the body. Read after a step, like a load
        cell."""
        total = 0.0
        for body, link in bodies:
            kwargs = {"bodyA": body} if link == -2 else {"bodyA": body, "linkIndexA": link}
            for contact in self.p.getContactPoints(**kwargs):
                if (contact[2], -2) in exclude or (contact[2], contact[4]) in exclude:
                    continue
                total += contact[9] * abs(contact[7][2])
        return total

    def total_contact_force(
        self, bodies: list[tuple[int, int]], exclude: set[tuple[int, int]]
    ) -> float:
        """Like axial_contact_force, but the full normal force in any direction, N."""
        total = 0.0
        for body, link in bodies:
            kwargs = {"bodyA": body} if link == -2 else {"bodyA": body, "linkIndexA": link}
            for contact in self.p.getContactPoints(**kwargs):
                if (contact[2], -2) in exclude or (contact[2], contact[4]) in exclude:
                    continue
                total += contact[9]
        return total

    def contacts_between(self, body_a: int, body_b: int, link_b: int = -2) -> float:
        """Total normal force between body_a and body_b (one link of it, or -2 = all), N."""
        kwargs = {"bodyA": body_a, "bodyB": body_b}
        if link_b != -2:
            kwargs["linkIndexB"] = link_b
        return sum(c[9] for c in self.p.getContactPoints(**kwargs))

    def tube_assembly(self, tube_id: int) -> list[int]:
        """Bodies that move with a tube: the tube, its core and its seal."""
        bodies = [self.tube_bodies[tube_id]]
        if tube_id in self.core_bodies:
            bodies.append(self.core_bodies[tube_id])
        seal_id = self.tubes[tube_id].seal_id
        if seal_id:
            bodies.append(self.seal_bodies[seal_id])
        return bodies

    def tube_pose(self, tube_id: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """World pose of a tube's origin (axis at the bottom face)."""
        body = self.tube_bodies[tube_id]
        com, orn = self.p.getBasePositionAndOrientation(body)
        offset = self.p.getDynamicsInfo(body, -1)[3]
        origin, _ = self.p.multiplyTransforms(com, orn, [-v for v in offset], [0, 0, 0, 1])
        return origin, orn

    def tube_rim_position(self, tube_id: int) -> np.ndarray:
        """World position of a tube's rim centre (open end), m."""
        pos, orn = self.tube_pose(tube_id)
        rim, _ = self.p.multiplyTransforms(
            pos, orn, [0, 0, self.config.tube.length_m], [0, 0, 0, 1]
        )
        return np.array(rim)

    # ------------------------------------------------------------------ records
    def set_tube(self, tube: TubeState) -> None:
        """Replace a tube's record (and refresh what shows it, e.g. the rim colour)."""
        self.tubes[tube.tube_id] = tube
        self._set_rim_colour(tube.tube_id)

    def tube_in_slot(self, slot: int) -> int:
        """Id of the tube stored in a slot, 0 if the slot is empty."""
        location = slot_location(slot)
        for tube in self.tubes.values():
            if tube.location == location:
                return tube.tube_id
        return 0

    def _rim_shape_indices(self, body: int) -> list[int]:
        """Visual shape indices of a tube's rim (the thin boxes on top of the wall)."""
        top = self.config.tube.length_m
        shapes = self.p.getVisualShapeData(body)
        return [i for i, shape in enumerate(shapes) if shape[5][2] > top - 1e-6]

    def _set_rim_colour(self, tube_id: int) -> None:
        dust = self.tubes[tube_id].rim_dust
        rgb = (1 - dust) * CLEAN_RIM_RGB + dust * DUST_RGB
        body = self.tube_bodies[tube_id]
        if self._rim_shapes is None:
            self._rim_shapes = self._rim_shape_indices(body)
        for index in self._rim_shapes:
            self.p.changeVisualShape(body, -1, shapeIndex=index, rgbaColor=[*rgb, 1.0])

    # ------------------------------------------------------------------ frames
    def _com_point(self, body: int, link: int, point: list[float]) -> list[float]:
        """A point given in a body's URDF frame (base or link), expressed in its centre-of-mass
        frame, which is the frame PyBullet uses for constraints and base poses."""
        offset = self.p.getDynamicsInfo(body, link)[3]
        return [point[0] - offset[0], point[1] - offset[1], point[2] - offset[2]]

    def set_tube_pose(self, tube_id: int, position: list[float], orientation: list[float]) -> None:
        """Place a tube by its origin (axis at the bottom face)."""
        body = self.tube_bodies[tube_id]
        offset = self.p.getDynamicsInfo(body, -1)[3]
        com, _ = self.p.multiplyTransforms(position, orientation, offset, [0, 0, 0, 1])
        self.p.resetBasePositionAndOrientation(body, com, orientation)

    # ------------------------------------------------------------------ latches
    def _make_static(self, body: int) -> None:
        self.p.changeDynamics(body, -1, mass=0)
        self.p.resetBaseVelocity(body, [0, 0, 0], [0, 0, 0])

    def _make_dynamic(self, body: int, mass: float) -> None:
        self.p.changeDynamics(body, -1, mass=mass)

    def slot_tube_pose(self, slot: int) -> tuple[list[float], list[float]]:
        """Pose of a tube latched in a storage slot (open end at the slot's engage height)."""
        x, y = self.config.storage.slot_xy(slot)
        z = self.config.storage.engage_z_m - self.config.tube.length_m
        return [x, y, z], [0, 0, 0, 1]

    def latch_in_slot(self, tube_id: int, slot: int) -> None:
        """Latch a tube in a storage slot: its ball locks hold it at the slot pose (static)."""
        body = self.tube_bodies[tube_id]
        pos, orn = self.slot_tube_pose(slot)
        self.set_tube_pose(tube_id, pos, orn)
        self._make_static(body)
        self.set_tube(replace(self.tubes[tube_id], location=slot_location(slot)))

    def unlatch_from_slot(self, tube_id: int) -> None:
        """Free a tube from its slot latch (it becomes a dynamic body)."""
        self._make_dynamic(self.tube_bodies[tube_id], self.config.tube.mass_kg)

    def _relative_orientation(self, link: str, tube_id: int) -> list[float]:
        """Orientation of a tube in a link's frame (kept when the tube is latched to it)."""
        _, link_orn = self.link_pose(link)
        _, tube_orn = self.tube_pose(tube_id)
        inverse = self.p.invertTransform([0, 0, 0], link_orn)[1]
        return list(self.p.multiplyTransforms([0, 0, 0], inverse, [0, 0, 0], tube_orn)[1])

    def _fix_tube_to_link(
        self, tube_id: int, link: str, point: list[float], orientation: list[float]
    ) -> int:
        """Make the tube dynamic and fix its origin to `point` of an ACA link (link frame),
        keeping `orientation` (the tube in the link frame). Return the constraint id."""
        self._make_dynamic(self.tube_bodies[tube_id], self.config.tube.mass_kg)
        index, body = self.link_index[link], self.tube_bodies[tube_id]
        cid = self.p.createConstraint(
            self.aca,
            index,
            body,
            -1,
            self.p.JOINT_FIXED,
            [0, 0, 0],
            self._com_point(self.aca, index, point),
            self._com_point(body, -1, [0, 0, 0]),
            parentFrameOrientation=orientation,
        )
        self.p.changeConstraint(cid, maxForce=2000)
        return cid

    def _create_grip_constraint(self, tube_id: int, orientation: list[float]) -> int:
        sha = self.config.sha
        bottom_above_tool = sha.tube_top_above_tool_m - self.config.tube.length_m
        cid = self._fix_tube_to_link(
            tube_id, "sha_fore", [sha.link2_m, 0, bottom_above_tool], orientation
        )
        # The constraint is the grasp: the jaws hold the tube, they do not rub it.
        self.p.setCollisionFilterPair(
            self.tube_bodies[tube_id], self.aca, -1, self.link_index["sha_fore"], 0
        )
        return cid

    def attach_to_gripper(self, tube_id: int) -> None:
        """Close the gripper on a tube (a fixed constraint to the forearm's tool point that
        keeps the tube's current yaw)."""
        self.grip_orientation = self._relative_orientation("sha_fore", tube_id)
        self.grip_constraint = self._create_grip_constraint(tube_id, self.grip_orientation)
        self.held_tube = tube_id
        self.set_tube(replace(self.tubes[tube_id], location=GRIPPER))

    def detach_from_gripper(self) -> int:
        """Open the gripper; return the tube id it held."""
        tube_id = self.held_tube
        if self.grip_constraint is not None:
            self.p.removeConstraint(self.grip_constraint)
            self.p.setCollisionFilterPair(
                self.tube_bodies[tube_id], self.aca, -1, self.link_index["sha_fore"], 1
            )
        self.grip_constraint = None
        self.held_tube = 0
        return tube_id

    def _attach_tube_to_bit(self, tube_id: int, bit_slot: int, orientation: list[float]) -> None:
        bc = self.config.bit_carousel
        angle = (bit_slot - 1) * 2 * math.pi / len(bc.bits)
        point = [
            bc.radius_m * math.cos(angle),
            bc.radius_m * math.sin(angle),
            -self.config.tube.length_m,
        ]
        self.bit_constraints[bit_slot] = self._fix_tube_to_link(
            tube_id, "bit_carousel", point, orientation
        )

    def latch_in_bit(self, tube_id: int, bit_slot: int) -> None:
        """Latch a tube into a bit of the bit carousel (it rotates with the carousel)."""
        self.bit_orientations[bit_slot] = self._relative_orientation("bit_carousel", tube_id)
        self._attach_tube_to_bit(tube_id, bit_slot, self.bit_orientations[bit_slot])
        self.bit_slots[bit_slot] = replace(self.bit_slots[bit_slot], tube_id=tube_id)
        self.set_tube(replace(self.tubes[tube_id], location=bit_location(bit_slot)))

    def unlatch_from_bit(self, bit_slot: int) -> int:
        """Release the tube latched in a bit; return its id."""
        tube_id = self.bit_slots[bit_slot].tube_id
        self.p.removeConstraint(self.bit_constraints.pop(bit_slot))
        self.bit_orientations.pop(bit_slot, None)
        self.bit_slots[bit_slot] = replace(self.bit_slots[bit_slot], tube_id=0)
        return tube_id

    # ------------------------------------------------------------------ cores, seals, debris
    def _core_offset(self, tube_id: int) -> float:
        """Height of the core's centre above the tube origin, m."""
        tube = self.tubes[tube_id]
        return self.config.tube.length_m - tube.core_top_depth_m - tube.sample_height_m / 2

    def _create_core(self, tube_id: int, pose: list[Any] | None = None) -> None:
        tube, core = self.tubes[tube_id], self.config.core
        height = tube.sample_height_m
        shape = self.p.createCollisionShape(
            self.p.GEOM_CYLINDER, radius=core.radius_m, height=height
        )
        colour = (
            [0.45, 0.42, 0.38, 1] if tube.contents == Contents.ROCK_CORE else [0.62, 0.45, 0.33, 1]
        )
        visual = self.p.createVisualShape(
            self.p.GEOM_CYLINDER, radius=core.radius_m, length=height, rgbaColor=colour
        )
        mass = core.density_kgpm3 * math.pi * core.radius_m**2 * height
        if pose is None:
            tube_pos, tube_orn = self.tube_pose(tube_id)
            pos, orn = self.p.multiplyTransforms(
                tube_pos, tube_orn, [0, 0, self._core_offset(tube_id)], [0, 0, 0, 1]
            )
            pose = [list(pos), list(orn), [0, 0, 0], [0, 0, 0]]
        body = self.p.createMultiBody(mass, shape, visual, pose[0], pose[1])
        self.p.resetBaseVelocity(body, pose[2], pose[3])
        cid = self._fix_in_tube(tube_id, body, self._core_offset(tube_id), 500, place=False)
        self.core_bodies[tube_id] = body
        self.core_constraints[tube_id] = cid

    def fill_tube(
        self, tube_id: int, contents: Contents, height_m: float, top_depth_m: float
    ) -> None:
        """Put a sample column of height_m into a tube, its top top_depth_m below the rim."""
        self.set_tube(
            replace(
                self.tubes[tube_id],
                contents=contents,
                sample_height_m=height_m,
                core_top_depth_m=top_depth_m,
            )
        )
        self._create_core(tube_id)

    def move_core(self, tube_id: int, top_depth_m: float) -> None:
        """Slide a tube's sample column so its top is top_depth_m below the rim."""
        self.set_tube(replace(self.tubes[tube_id], core_top_depth_m=top_depth_m))
        self.p.removeConstraint(self.core_constraints[tube_id])
        self.core_constraints[tube_id] = self._fix_in_tube(
            tube_id, self.core_bodies[tube_id], self._core_offset(tube_id), 500
        )

    def _fix_in_tube(
        self, tube_id: int, body: int, offset_z: float, max_force: float, place: bool = True
    ) -> int:
        """Fix body on the tube's axis, offset_z above its origin (first moving it there when
        `place`); the two no longer collide. Return the constraint id."""
        tube_body = self.tube_bodies[tube_id]
        if place:
            tube_pos, tube_orn = self.tube_pose(tube_id)
            pos, orn = self.p.multiplyTransforms(
                tube_pos, tube_orn, [0, 0, offset_z], [0, 0, 0, 1]
            )
            self.p.resetBasePositionAndOrientation(body, pos, orn)
            self.p.resetBaseVelocity(body, *self.p.getBaseVelocity(tube_body))
        self.p.setCollisionFilterPair(body, tube_body, -1, -1, 0)
        cid = self.p.createConstraint(
            tube_body,
            -1,
            body,
            -1,
            self.p.JOINT_FIXED,
            [0, 0, 0],
            self._com_point(tube_body, -1, [0, 0, offset_z]),
            [0, 0, 0],
        )
        self.p.changeConstraint(cid, maxForce=max_force)
        return cid

    def seal_offset_in_tube(self, activated: bool) -> float:
        """Height of a seal's origin (plug bottom) above the tube origin when inserted, m."""
        seal, tube = self.config.seal, self.config.tube
        inserted = tube.length_m - seal.plug_length_m + seal.activation_stroke_m
        return inserted - seal.activation_stroke_m if activated else inserted

    def _create_seal(self, seal_id: int, tube_id: int, pose: list[Any]) -> None:
        seal = self.config.seal
        p = self.p
        geometry = {  # a plug with a cap on top; origin at the plug's bottom face
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
        p.changeVisualShape(body, -1, rgbaColor=[0.93, 0.93, 0.95, 1])
        p.resetBaseVelocity(body, pose[2], pose[3])
        p.setCollisionFilterPair(body, self.aca, -1, self.link_index["seal_carousel"], 0)
        self.seal_bodies[seal_id] = body
        if tube_id:
            self._attach_seal_to_tube(seal_id, tube_id)
        else:
            self._make_static(body)

    def _attach_seal_to_tube(self, seal_id: int, tube_id: int) -> None:
        body = self.seal_bodies[seal_id]
        self._make_dynamic(body, self.config.seal.mass_kg)
        activated = self.tubes[tube_id].seal_state == SealState.ACTIVATED
        offset = self.seal_offset_in_tube(activated)
        cid = self._fix_in_tube(tube_id, body, offset, 2000, place=False)
        self.seal_constraints[seal_id] = cid
        self.seal_in_tube[seal_id] = tube_id

    def insert_seal(self, seal_id: int, tube_id: int) -> None:
        """The seal leaves its dispenser and sits in the tube's bore (inserted, not hermetic)."""
        self.set_tube(replace(self.tubes[tube_id], seal_state=SealState.INSERTED, seal_id=seal_id))
        self._attach_seal_to_tube(seal_id, tube_id)

    def activate_seal(self, tube_id: int, fraction: float) -> None:
        """Press the tube's seal `fraction` (0..1) of its activation stroke deeper."""
        tube = self.tubes[tube_id]
        offset = self.seal_offset_in_tube(False) - fraction * self.config.seal.activation_stroke_m
        self.p.removeConstraint(self.seal_constraints[tube.seal_id])
        self.seal_constraints[tube.seal_id] = self._fix_in_tube(
            tube_id, self.seal_bodies[tube.seal_id], offset, 2000
        )
        if fraction >= 1.0:
            self.set_tube(replace(tube, seal_state=SealState.ACTIVATED))

    def new_seal(self, seal_id: int, pose: tuple[list[float], list[float]]) -> None:
        """Create a seal body at a dispenser pose (static until inserted)."""
        self._create_seal(seal_id, 0, [pose[0], pose[1], [0, 0, 0], [0, 0, 0]])

    def _create_pebble(self, bit_slot: int, pose: list[Any]) -> None:
        bc = self.config.bit_carousel
        shape = self.p.createCollisionShape(self.p.GEOM_SPHERE, radius=bc.pebble_radius_m)
        visual = self.p.createVisualShape(
            self.p.GEOM_SPHERE, radius=bc.pebble_radius_m, rgbaColor=[0.5, 0.35, 0.25, 1]
        )
        body = self.p.createMultiBody(bc.pebble_mass_kg, shape, visual, pose[0], pose[1])
        self.p.resetBaseVelocity(body, pose[2], pose[3])
        self.p.changeDynamics(body, -1, lateralFriction=0.8, rollingFriction=0.001)
        self.pebble_bodies.append((bit_slot, body))

    def add_pebble(self, bit_slot: int, position: list[float]) -> None:
        """Drop a pebble (debris) at a world position; it is counted against bit_slot."""
        self._create_pebble(bit_slot, [position, [0, 0, 0, 1], [0, 0, 0], [0, 0, 0]])
        slot = self.bit_slots[bit_slot]
        self.bit_slots[bit_slot] = replace(slot, debris_count=slot.debris_count + 1)

    # ------------------------------------------------------------------ faults
    FAULT_KINDS = ("empty_core", "rim_dust", "carousel_debris")

    def inject_fault(self, kind: str, value: float = 1.0) -> None:
        """Arm a fault for the next coring: empty_core, rim_dust (value = coverage 0..1) or
        carousel_debris (value = pebble count)."""
        if kind not in self.FAULT_KINDS:
            raise StepError(
                "INVALID_GOAL", f"unknown fault {kind!r}; known: {', '.join(self.FAULT_KINDS)}"
            )
        if kind == "rim_dust" and not 0.0 <= value <= 1.0:
            raise StepError("INVALID_GOAL", f"rim_dust must be in 0..1, got {value}")
        if kind == "carousel_debris" and not (value >= 1 and float(value).is_integer()):
            raise StepError(
                "INVALID_GOAL", f"carousel_debris needs a whole pebble count >= 1, got {value}"
            )
        self.pending_faults[kind] = float(value)

    def inject_scenario(self, path: str) -> list[str]:
        """Arm every fault of a scenario file (config/faults/*.yaml); return their kinds.
        All faults are checked before any is armed."""
        import yaml

        with open(path) as stream:
            data = yaml.safe_load(stream)
        if not isinstance(data, dict) or not isinstance(data.get("faults"), list):
            raise StepError("INVALID_GOAL", f"{path}: expected a mapping with a 'faults' list")
        armed = dict(self.pending_faults)
        try:
            for fault in data["faults"]:
                self.inject_fault(str(fault["kind"]), float(fault.get("value", 1.0)))
        except (KeyError, TypeError, ValueError, StepError) as error:
            self.pending_faults = armed
            detail = error.message if isinstance(error, StepError) else repr(error)
            raise StepError("INVALID_GOAL", f"{path}: bad fault entry: {detail}") from error
        return [str(f["kind"]) for f in data["faults"]]

    def take_faults(self, *kinds: str) -> dict[str, float]:
        """Remove and return the pending faults of the given kinds."""
        return {k: self.pending_faults.pop(k) for k in kinds if k in self.pending_faults}

    # ------------------------------------------------------------------ snapshot / restore
    def describe(self) -> dict[str, Any]:
        """The whole state as plain JSON-able data (poses, velocities, records, RNG)."""
        p = self.p

        def body_state(body: int) -> list[list[float]]:
            pos, orn = p.getBasePositionAndOrientation(body)
            lin, ang = p.getBaseVelocity(body)
            return [list(pos), list(orn), list(lin), list(ang)]

        return {
            "time_s": self.time_s,
            "step_count": self.step_count,
            "seed": self.seed,
            "rng": self.rng.bit_generator.state,
            "halted": self.caching_halted,
            "held_tube": self.held_tube,
            "faults": dict(sorted(self.pending_faults.items())),
            "grip_orientation": list(self.grip_orientation),
            "bit_orientations": {
                str(k): list(v) for k, v in sorted(self.bit_orientations.items())
            },
            "joints": {
                name: list(p.getJointState(self.aca, self.joint_index[name])[:2])
                for name in ACA_JOINTS
            },
            "commands": {name: asdict(cmd) for name, cmd in sorted(self.commands.items())},
            "tubes": [_tube_to_dict(self.tubes[t]) for t in sorted(self.tubes)],
            "tube_pose_frame": "com",
            "tube_bodies": {str(t): body_state(b) for t, b in sorted(self.tube_bodies.items())},
            "dispensers": [asdict(self.dispensers[d]) for d in sorted(self.dispensers)],
            "bit_slots": [
                {**asdict(self.bit_slots[s]), "bit_type": self.bit_slots[s].bit_type.value}
                for s in sorted(self.bit_slots)
            ],
            "cores": {str(t): body_state(b) for t, b in sorted(self.core_bodies.items())},
            "seals": [
                {"seal_id": s, "tube_id": self.seal_in_tube.get(s, 0), "pose": body_state(b)}
                for s, b in sorted(self.seal_bodies.items())
            ],
            "pebbles": [
                {"bit_slot": slot, "pose": body_state(b)} for slot, b in self.pebble_bodies
            ],
        }

    def restore(self, description: dict[str, Any]) -> None:
        """Rebuild the world from describe() output; devices must be idle."""
        for device in self.devices.all():
            if device.busy:
                raise StepError("BUSY", f"cannot restore while {device.name} is busy")
        self._build(json.loads(json.dumps(description)))
        for device in self.devices.all():
            device.on_rebuild()

    def state_hash(self) -> str:
        """SHA-256 of the whole state, floats to 12 significant digits (PyBullet renormalises
        quaternions when a pose is set, which changes the last bit on restore)."""
        blob = json.dumps(_quantised(self.describe()), sort_keys=True, default=_json_default)
        return hashlib.sha256(blob.encode()).hexdigest()


def initial_description(cfg: ModelConfig, seed: int) -> dict[str, Any]:
    """Description of a freshly built ACA: tubes in their slots, full dispensers, arm stowed."""
    storage = cfg.storage
    tubes, tube_bodies = [], {}
    for slot in range(1, storage.slot_count + 1):
        kind = TubeKind.SAMPLE if slot <= storage.sample_slots else TubeKind.WITNESS
        tube = TubeState(
            tube_id=tube_id_for_slot(slot),
            kind=kind,
            home_slot=slot,
            location=slot_location(slot),
            contents=Contents.WITNESS_MEDIA if kind == TubeKind.WITNESS else Contents.EMPTY,
        )
        tubes.append(_tube_to_dict(tube))
        x, y = storage.slot_xy(slot)
        tube_bodies[str(tube.tube_id)] = [
            [x, y, storage.engage_z_m - cfg.tube.length_m],
            [0, 0, 0, 1],
            [0, 0, 0],
            [0, 0, 0],
        ]
    from aca_sim.motion.kinematics import ScaraKinematics

    kin = ScaraKinematics(cfg.sha.link1_m, cfg.sha.link2_m, cfg.sha.tube_top_above_tool_m)
    stow = kin.inverse(*cfg.stow.xy_m, cfg.sha.transit_z_m + cfg.sha.tube_top_above_tool_m, 1)
    joints = {name: [0.0, 0.0] for name in ACA_JOINTS}
    joints["sha_z"], joints["sha_shoulder"], joints["sha_elbow"] = (
        [stow.z, 0.0],
        [stow.shoulder, 0.0],
        [stow.elbow, 0.0],
    )
    rng = np.random.default_rng(seed)
    return {
        "time_s": 0.0,
        "step_count": 0,
        "seed": seed,
        "rng": rng.bit_generator.state,
        "halted": False,
        "held_tube": 0,
        "faults": {},
        "grip_orientation": [0.0, 0.0, 0.0, 1.0],
        "bit_orientations": {},
        "joints": joints,
        "commands": {},
        "tubes": tubes,
        "tube_pose_frame": "origin",  # URDF origins; a described world stores PyBullet's frames
        "tube_bodies": tube_bodies,
        "dispensers": [
            asdict(
                DispenserState(
                    d, cfg.seal_carousel.seals_per_dispenser, cfg.seal_carousel.release_limit_n
                )
            )
            for d in range(1, cfg.seal_carousel.dispensers + 1)
        ],
        "bit_slots": [
            {"slot": i + 1, "bit_type": BitType(kind).value, "tube_id": 0, "debris_count": 0}
            for i, kind in enumerate(cfg.bit_carousel.bits)
        ],
        "cores": {},
        "seals": [],
        "pebbles": [],
    }


def _tube_to_dict(tube: TubeState) -> dict[str, Any]:
    data = asdict(tube)
    data["kind"], data["contents"], data["seal_state"] = (
        tube.kind.value,
        tube.contents.value,
        int(tube.seal_state),
    )
    return data


def _tube_from_dict(data: dict[str, Any]) -> TubeState:
    return TubeState(
        **{
            **data,
            "kind": TubeKind(data["kind"]),
            "contents": Contents(data["contents"]),
            "seal_state": SealState(data["seal_state"]),
        }
    )


def _quantised(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _quantised(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_quantised(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer | np.floating):
        return value.item()
    raise TypeError(f"cannot serialise {type(value)}")
