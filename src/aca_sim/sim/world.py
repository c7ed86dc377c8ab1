"""World: the ACA and everything it handles in one PyBullet client, and the logical records.

It holds the Mechanism (the ACA multibody and its joints), the ground, the Holds (tubes with
their cores and seals, seals in the dispensers, debris, and the constraints between them), and
the records the hardware's sensors and the operators' bookkeeping would know: tubes,
dispensers, bit slots, the held tube, whether caching is halted. Records are read through
read-only mappings and changed through the methods below, which keep bodies and records
together.

The world is built from a description (aca_sim.sim.snapshot makes the initial one) and can
describe itself; the same description rebuilds it exactly.

Thread rule: a World belongs to one thread (the physics thread). Frame: aca_frame is
PyBullet's world frame. Time: `time_s` is sim time, advanced only by step().
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np

from aca_sim.model.config import ModelConfig
from aca_sim.model.kinds import BitType, Contents, SealState, TubeKind
from aca_sim.model.locations import GRIPPER, Location
from aca_sim.model.records import BitSlot, Dispenser, Tube
from aca_sim.model.urdf import urdf_file
from aca_sim.sim import bodies
from aca_sim.sim.holds import BodyLinks, Holds
from aca_sim.sim.mechanism import ANY_LINK, Mechanism
from aca_sim.sim.obstacles import Obstacles
from aca_sim.sim.operation import LEAP_STEPS
from aca_sim.sim.quiet import BulletClient, c_stdout_silenced
from aca_sim.sim.renderers import renderer_of
from aca_sim.sim.tube_codec import tube_from_dict, tube_to_dict


class KinematicStep(Protocol):
    """What steps the world instead of PyBullet for a while (sim.coasting.Coast)."""

    def advance(self) -> bool:
        """Take one step; False (having ended itself) when PyBullet must step instead."""
        ...

    joints: tuple[str, ...]  # the joints it moves
    marked: list[tuple[list[float], list[float]]]  # their states at advance_many's marks

    def advance_many(self, limit: int, marks: Sequence[int] = ()) -> int:
        """Take up to `limit` steps at once (nothing looks in between); how many were taken.
        The joints' (positions, velocities) after each step counted in marks go to marked."""
        ...

    def finish(self) -> None:
        """End: PyBullet continues from the state reached."""
        ...

    def settle(self) -> None:
        """Bring what it moves lazily up to date."""
        ...


class World:
    """The ACA in PyBullet: the mechanism, the loose bodies and the logical records."""

    def __init__(self, client: BulletClient, config: ModelConfig, description: dict) -> None:
        self.p = client
        self.config = config
        self.dt = config.physics.time_step_s
        # at most this many steps a Leap covers (sim.operation.LEAP_STEPS: a look, feedback
        # and a cancel at least once a second); a headless run, which nobody watches or
        # cancels, raises it (campaign.headless). The states are the same either way.
        self.leap_steps = LEAP_STEPS
        self._aca_urdf = str(urdf_file("aca.urdf.xacro", config.source_path, config.source_sha256))
        self._tube_urdf = {
            kind: str(
                urdf_file(
                    "tube.urdf.xacro", config.source_path, config.source_sha256, kind=kind.value
                )
            )
            for kind in TubeKind
        }
        self.rebuild(description)

    def close(self) -> None:
        """Disconnect the PyBullet client."""
        with c_stdout_silenced():
            self.p.disconnect()

    # ------------------------------------------------------------------ construction
    def rebuild(self, desc: dict[str, Any]) -> None:
        """Reset the client and build everything from a description."""
        p, cfg = self.p, self.config
        self.coast: KinematicStep | None = None  # a coasting SHA move (sim.coasting)
        self.coasted_steps = 0  # steps advanced by coasts instead of PyBullet (a statistic)
        with c_stdout_silenced():
            p.resetSimulation()
        p.setGravity(0, 0, -cfg.physics.gravity_mps2)
        p.setTimeStep(self.dt)
        p.setPhysicsEngineParameter(
            numSolverIterations=cfg.physics.solver_iterations, deterministicOverlappingPairs=1
        )
        self.time_s: float = desc["time_s"]
        self.step_count: int = desc["step_count"]
        self.seed: int = desc["seed"]
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = desc["rng"]
        self.caching_halted: bool = desc["halted"]
        self._tubes = {t["tube_id"]: tube_from_dict(t) for t in desc["tubes"]}
        self._dispensers = {d["dispenser_id"]: Dispenser(**d) for d in desc["dispensers"]}
        self._bit_slots = {
            b["slot"]: replace(BitSlot(**b), bit_type=BitType(b["bit_type"]))
            for b in desc["bit_slots"]
        }
        self.held_tube: int = desc["held_tube"]
        drop = cfg.drop_port
        self.ground_z = drop.engage_z_m - cfg.tube.length_m - drop.ground_drop_m
        self.ground = bodies.create_ground(p, self.ground_z)
        self.mech = Mechanism(p, self._aca_urdf)
        self.mech.set_state(desc["joints"], desc["commands"])
        self.holds = holds = Holds(p, cfg, self.mech)
        holds.grip_orientation = list(desc["grip_orientation"])
        exact = desc["tube_pose_frame"] == "com"  # described worlds store PyBullet's frames
        for tube_id in sorted(self._tubes):
            tube = self._tubes[tube_id]
            pose = desc["tube_bodies"][str(tube_id)]
            holds.load_tube(tube_id, self._tube_urdf[tube.kind], pose, exact)
            holds.set_rim_colour(tube_id, tube.rim_dust)
            if tube.location.in_storage:
                holds.fix_tube(tube_id)
        if self.held_tube:
            holds.grip(self.held_tube, desc["grip_orientation"])
        orientations = {int(k): v for k, v in desc["bit_orientations"].items()}
        for slot in sorted(self._bit_slots):
            if self._bit_slots[slot].tube_id:
                holds.latch_bit(self._bit_slots[slot].tube_id, slot, orientations[slot])
        for key, pose in sorted(desc["cores"].items(), key=lambda kv: int(kv[0])):
            self._add_core(int(key), pose)
        for seal in sorted(desc["seals"], key=lambda s: s["seal_id"]):
            holds.add_seal(seal["seal_id"], seal["pose"])
            if seal["tube_id"]:
                self._seal_in_tube(seal["seal_id"], seal["tube_id"])
            else:
                holds.park_seal(seal["seal_id"])
        for pebble in desc["pebbles"]:
            holds.add_pebble(pebble["bit_slot"], pebble["pose"])
        self.obstacles = Obstacles(p, desc.get("obstacles", ()))

    def describe(self) -> dict[str, Any]:
        """The world's whole state as plain JSON-able data (what rebuild() takes)."""
        return {
            "time_s": self.time_s,
            "step_count": self.step_count,
            "seed": self.seed,
            "rng": self.rng.bit_generator.state,
            "halted": self.caching_halted,
            "held_tube": self.held_tube,
            **self.mech.describe(),
            "tubes": [tube_to_dict(self._tubes[t]) for t in sorted(self._tubes)],
            "dispensers": [asdict(self._dispensers[d]) for d in sorted(self._dispensers)],
            "bit_slots": [
                {**asdict(self._bit_slots[s]), "bit_type": self._bit_slots[s].bit_type.value}
                for s in sorted(self._bit_slots)
            ],
            **self.holds.describe(),
            **({"obstacles": obstacles} if (obstacles := self.obstacles.describe()) else {}),
        }

    # ------------------------------------------------------------------ time
    def step(self) -> None:
        """Advance the world by one physics step: a PyBullet step, or a step of the coast
        in progress (sim.coasting)."""
        if self.coast is not None and self.coast.advance():
            self.coasted_steps += 1
        else:
            self.mech.apply_force_commands()
            self.p.stepSimulation()
        self.step_count += 1
        self.time_s = self.step_count * self.dt

    def leap(self, steps: int, marks: Sequence[int] = ()) -> int:
        """Take up to `steps` steps of the running coast at once (Coast.advance_many: the
        same states as that many step() calls, nothing looking in between; the coasted
        joints' states after the steps counted in `marks` kept in the coast's `marked`);
        return how many were taken (0 without a coast: the caller steps singly)."""
        taken = self.coast.advance_many(steps, marks) if self.coast is not None else 0
        if taken:
            self.coasted_steps += taken
            self.step_count += taken
            self.time_s = self.step_count * self.dt
        return taken

    def settle(self) -> None:
        """Bring up to date what a coast moves lazily (the carried tube): the drivers call
        this before any code but the stepping looks at the world (an operation resuming,
        a call, a new job); devices' pre_step and the tick see the joints only."""
        if self.coast is not None:
            self.coast.settle()

    def signature(self) -> tuple[int, int, int]:
        """What a coast must not see change: joint commands given, bodies, constraints."""
        return self.mech.command_version, self.p.getNumBodies(), self.p.getNumConstraints()

    # ------------------------------------------------------------------ records
    @property
    def tubes(self) -> Mapping[int, Tube]:
        """Every tube's record, by id (read-only)."""
        return MappingProxyType(self._tubes)

    @property
    def dispensers(self) -> Mapping[int, Dispenser]:
        """Every seal dispenser's record, by id (read-only)."""
        return MappingProxyType(self._dispensers)

    @property
    def bit_slots(self) -> Mapping[int, BitSlot]:
        """Every bit slot's record, by slot (read-only)."""
        return MappingProxyType(self._bit_slots)

    def set_tube(self, tube: Tube) -> None:
        """Replace a tube's record (and refresh what shows it: the rim colour)."""
        self._tubes[tube.tube_id] = tube
        self.holds.set_rim_colour(tube.tube_id, tube.rim_dust)

    def update_tube(self, tube_id: int, **changes: Any) -> Tube:
        """Change fields of a tube's record; return the new record."""
        self.set_tube(replace(self._tubes[tube_id], **changes))
        return self._tubes[tube_id]

    def tube_at(self, location: Location) -> int:
        """Id of the tube at a location, 0 if there is none."""
        return next((t.tube_id for t in self._tubes.values() if t.location == location), 0)

    def take_seal(self, dispenser: int) -> None:
        """Count one seal less in a dispenser (its bottom seal left it)."""
        state = self._dispensers[dispenser]
        self._dispensers[dispenser] = replace(state, seals_remaining=state.seals_remaining - 1)

    def halt_caching(self) -> None:
        """Record a drop-off fault: caching waits for ground."""
        self.caching_halted = True

    # ------------------------------------------------------------------ sensing
    def tube_assembly(self, tube_id: int) -> BodyLinks:
        """(body, ANY_LINK) of what moves with a tube: the tube, its core and its seal."""
        return self.holds.assembly(tube_id, self._tubes[tube_id].seal_id)

    def held_bodies(self) -> tuple[int, ...]:
        """The bodies that move with the held tube (none when nothing is held)."""
        if not self.held_tube:
            return ()
        return tuple(body for body, _ in self.tube_assembly(self.held_tube))

    def contact_force(self, pairs: BodyLinks, exclude: set[tuple[int, int]], axial: bool) -> float:
        """Sum of contact forces on the (body, link) pairs from everything not in `exclude`
        (ANY_LINK: every link of a body), N: their |z| components (axial, like a load cell)
        or their full normal forces. Read after a step."""
        contacts = self.p.getContactPoints()  # one query, filtered here as bodyA= would be
        total = 0.0
        for body, link in pairs:
            for contact in contacts:
                if contact[1] == body and (link == ANY_LINK or contact[3] == link):
                    other = (contact[2], contact[4])
                elif contact[2] == body and (link == ANY_LINK or contact[4] == link):
                    other = (contact[1], contact[3])
                else:
                    continue
                if (other[0], ANY_LINK) in exclude or other in exclude:
                    continue
                total += contact[9] * abs(contact[7][2]) if axial else contact[9]
        return total

    def force_between(self, pairs: BodyLinks, link: str) -> float:
        """Total normal force between the given bodies and one ACA link, N."""
        aca, index = self.mech.link_pair(link)
        return sum(
            sum(c[9] for c in self.p.getContactPoints(bodyA=body, bodyB=aca, linkIndexB=index))
            for body, _ in pairs
        )

    def render(
        self, eye: Sequence[float], target: Sequence[float], fov_deg: float, size: tuple[int, int]
    ) -> np.ndarray:
        """An RGB image (height x width x 3, uint8) from a pinhole camera at `eye` looking at
        `target` (+X up in the image), rendered with TinyRenderer (or EGL: sim/renderers.py)."""
        p, (width, height) = self.p, size
        view = p.computeViewMatrix(list(eye), list(target), [1, 0, 0])
        proj = p.computeProjectionMatrixFOV(fov_deg, width / height, 0.005, 0.5)
        _, _, rgba, _, _ = p.getCameraImage(
            width,
            height,
            view,
            proj,
            renderer=renderer_of(p),
            lightDirection=[0.3, 0.2, 1.0],
            shadow=0,
        )
        return np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)[:, :, :3].copy()

    # ------------------------------------------------------------------ moving tubes
    def latch_in_slot(self, tube_id: int, slot: int) -> None:
        """Latch a tube in a storage slot: its ball locks hold it at the slot pose (static)."""
        self.holds.set_tube_pose(tube_id, *self.slot_tube_pose(slot))
        self.holds.fix_tube(tube_id)
        self.update_tube(tube_id, location=Location.storage(slot))

    def unlatch_from_slot(self, tube_id: int) -> None:
        """Free a tube from its slot latch (it becomes a dynamic body)."""
        self.holds.free_tube(tube_id)

    def slot_tube_pose(self, slot: int) -> tuple[list[float], list[float]]:
        """Pose of a tube latched in a storage slot (open end at the slot's engage height)."""
        x, y = self.config.storage.slot_xy(slot)
        return [x, y, self.config.storage.engage_z_m - self.config.tube.length_m], [0, 0, 0, 1]

    def attach_to_gripper(self, tube_id: int) -> None:
        """Close the gripper on a tube (fixed to the tool point, keeping its present yaw)."""
        self.holds.grip(tube_id)
        self.held_tube = tube_id
        self.update_tube(tube_id, location=GRIPPER)

    def detach_from_gripper(self) -> int:
        """Open the gripper; return the tube id it held."""
        tube_id = self.held_tube
        self.holds.ungrip(tube_id)
        self.held_tube = 0
        return tube_id

    def latch_in_bit(self, tube_id: int, bit_slot: int) -> None:
        """Latch a tube into a bit of the bit carousel (it rotates with the carousel)."""
        self.holds.latch_bit(tube_id, bit_slot)
        self._bit_slots[bit_slot] = replace(self._bit_slots[bit_slot], tube_id=tube_id)
        self.update_tube(tube_id, location=Location.bit(bit_slot))

    def unlatch_from_bit(self, bit_slot: int) -> int:
        """Release the tube latched in a bit; return its id."""
        tube_id = self._bit_slots[bit_slot].tube_id
        self.holds.unlatch_bit(bit_slot)
        self._bit_slots[bit_slot] = replace(self._bit_slots[bit_slot], tube_id=0)
        return tube_id

    # ------------------------------------------------------------------ cores, seals, debris
    def _core_offset(self, tube_id: int) -> float:
        """Height of the core's centre above the tube origin, m."""
        tube = self._tubes[tube_id]
        return self.config.tube.length_m - tube.core_top_depth_m - tube.sample_height_m / 2

    def _add_core(self, tube_id: int, pose: bodies.Pose | None = None) -> None:
        tube = self._tubes[tube_id]
        rock = tube.contents == Contents.ROCK_CORE
        offset = self._core_offset(tube_id)
        self.holds.add_core(tube_id, tube.sample_height_m, rock, offset, pose)

    def fill_tube(
        self, tube_id: int, contents: Contents, height_m: float, top_depth_m: float
    ) -> None:
        """Put a sample column of height_m into a tube, its top top_depth_m below the rim."""
        self.update_tube(
            tube_id, contents=contents, sample_height_m=height_m, core_top_depth_m=top_depth_m
        )
        self._add_core(tube_id)

    def dump_core(self, tube_id: int) -> bool:
        """Empty a tube of its sample (percussion with the open end down); False when it
        held none."""
        if not self.holds.has_core(tube_id):
            return False
        self.holds.remove_core(tube_id)
        self.update_tube(
            tube_id, contents=Contents.EMPTY, sample_height_m=0.0, core_top_depth_m=0.0
        )
        return True

    def clear_debris(self) -> int:
        """The pebbles leave the bit carousel, the debris counts go to 0 and caching is no
        longer halted; how many pebbles there were."""
        removed = self.holds.remove_pebbles()
        for slot, state in list(self._bit_slots.items()):
            self._bit_slots[slot] = replace(state, debris_count=0)
        self.caching_halted = False
        return removed

    def move_core(self, tube_id: int, top_depth_m: float) -> None:
        """Slide a tube's sample column so its top is top_depth_m below the rim."""
        self.update_tube(tube_id, core_top_depth_m=top_depth_m)
        self.holds.move_core(tube_id, self._core_offset(tube_id))

    def seal_offset_in_tube(self, activated: bool) -> float:
        """Height of a seal's origin (plug bottom) above the tube origin when inserted, m."""
        seal, tube = self.config.seal, self.config.tube
        inserted = tube.length_m - seal.plug_length_m + seal.activation_stroke_m
        return inserted - seal.activation_stroke_m if activated else inserted

    def _seal_in_tube(self, seal_id: int, tube_id: int) -> None:
        activated = self._tubes[tube_id].seal_state == SealState.ACTIVATED
        self.holds.seal_in_tube(seal_id, tube_id, self.seal_offset_in_tube(activated))

    def new_seal(self, seal_id: int, pose: tuple[list[float], list[float]]) -> None:
        """Create a seal body waiting at a dispenser pose (static until inserted)."""
        self.holds.add_seal(seal_id, [pose[0], pose[1], [0, 0, 0], [0, 0, 0]])
        self.holds.park_seal(seal_id)

    def insert_seal(self, seal_id: int, tube_id: int) -> None:
        """The seal leaves its dispenser and sits in the tube's bore (inserted, not hermetic)."""
        self.update_tube(tube_id, seal_state=SealState.INSERTED, seal_id=seal_id)
        self._seal_in_tube(seal_id, tube_id)

    def activate_seal(self, tube_id: int, fraction: float) -> None:
        """Press the tube's seal `fraction` (0..1) of its activation stroke deeper."""
        tube = self._tubes[tube_id]
        offset = self.seal_offset_in_tube(False) - fraction * self.config.seal.activation_stroke_m
        self.holds.move_seal(tube.seal_id, tube_id, offset)
        if fraction >= 1.0:
            self.update_tube(tube_id, seal_state=SealState.ACTIVATED)

    def seal_force(self, tube_id: int, link: str) -> float:
        """Normal force between a tube's seal and one ACA link, N."""
        return self.force_between(self.holds.seal_link(self._tubes[tube_id].seal_id), link)

    def add_pebble(self, bit_slot: int, position: list[float]) -> None:
        """Drop a pebble (debris) at a world position; it is counted against bit_slot."""
        self.holds.add_pebble(bit_slot, [position, [0, 0, 0, 1], [0, 0, 0], [0, 0, 0]])
        slot = self._bit_slots[bit_slot]
        self._bit_slots[bit_slot] = replace(slot, debris_count=slot.debris_count + 1)


__all__ = ["ANY_LINK", "World"]
