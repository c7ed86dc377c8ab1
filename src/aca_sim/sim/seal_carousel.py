"""The seal-dispenser carousel: seven dispensers on a revolute joint, each a stack of seals.

The bottom seal of every non-empty dispenser is a body that rides on the carousel (kinematic,
moved with the carousel link); the seals above it are counted. Dispensing (ASSUMPTION B5/B9):
the SHA presses the tube's open end against the dispenser face with a force that ramps up;
the seal goes into the bore once the contact force reaches the insertion force (F0 + k *
rim dust); if the force reaches the dispenser's release limit first, the press stops and the
seal stays in the dispenser. The seal sensor then checks whether a seal sits in the bore.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from aca_sim.sim.device import Device
from aca_sim.sim.errors import StepError
from aca_sim.sim.sha import Sha
from aca_sim.sim.state import SealState
from aca_sim.sim.world import Feedback, Operation


@dataclass(frozen=True)
class DispenseResult:
    """Outcome of one dispense attempt; forces in N."""

    dispenser: int
    seal_present: bool
    peak_force_n: float
    insertion_force_needed_n: float
    release_limit_n: float


class SealCarousel(Device):
    """Seven dispensers on the `seal_carousel_rot` joint; dispenser k is at local angle
    pi + (k-1) 2 pi / n, so at joint angle 0 dispenser 1 faces the port."""

    name = "seal_carousel"

    def __init__(self, world) -> None:  # noqa: ANN001 - AcaWorld (import cycle)
        super().__init__(world)
        self.cfg = world.config.seal_carousel
        self._synced_angle: float | None = None

    # ------------------------------------------------------------------ geometry
    def local_angle(self, dispenser: int) -> float:
        """Angle of a dispenser in the carousel link frame, rad."""
        return math.pi + (dispenser - 1) * 2 * math.pi / self.cfg.dispensers

    def joint_angle_for(self, dispenser: int) -> float:
        """Carousel joint angle that puts a dispenser at the port, wrapped to (-pi, pi]."""
        a = -(dispenser - 1) * 2 * math.pi / self.cfg.dispensers
        return math.atan2(math.sin(a), math.cos(a))

    def at_port(self) -> int:
        """The dispenser at the port (0 if the carousel is between dispensers)."""
        q = self.world.joint_position("seal_carousel_rot")
        for k in range(1, self.cfg.dispensers + 1):
            if abs(math.remainder(q - self.joint_angle_for(k), 2 * math.pi)) < 1e-3:
                return k
        return 0

    def seal_pose(self, dispenser: int) -> tuple[list[float], list[float]]:
        """World pose of a dispenser's bottom seal (origin = plug bottom)."""
        world = self.world
        pos, orn = world.link_pose("seal_carousel")
        a = self.local_angle(dispenser)
        # The seal sits where it will be inside a tube whose rim touches the dispenser face.
        z = world.seal_offset_in_tube(False) - world.config.tube.length_m
        local = [self.cfg.radius_m * math.cos(a), self.cfg.radius_m * math.sin(a), z]
        p, o = world.p.multiplyTransforms(pos, orn, local, [0, 0, 0, 1])
        return list(p), list(o)

    def seal_id(self, dispenser: int) -> int:
        """Id of a dispenser's bottom seal: 100 * dispenser + its index in the stack."""
        used = self.cfg.seals_per_dispenser - self.world.dispensers[dispenser].seals_remaining
        return 100 * dispenser + used + 1

    # ------------------------------------------------------------------ device hooks
    def on_rebuild(self) -> None:
        """Make sure every non-empty dispenser has its bottom seal body."""
        self._synced_angle = None
        for k in sorted(self.world.dispensers):
            if (
                self.world.dispensers[k].seals_remaining > 0
                and self.seal_id(k) not in self.world.seal_bodies
            ):
                self.world.new_seal(self.seal_id(k), self.seal_pose(k))

    def pre_step(self) -> None:
        """Carry the dispensers' seals with the carousel when it turns."""
        q = self.world.joint_position("seal_carousel_rot")
        if self._synced_angle is not None and abs(q - self._synced_angle) < 1e-9:
            return
        for k, state in self.world.dispensers.items():
            seal_id = self.seal_id(k)
            if state.seals_remaining > 0 and seal_id in self.world.seal_bodies:
                pos, orn = self.seal_pose(k)
                self.world.p.resetBasePositionAndOrientation(
                    self.world.seal_bodies[seal_id], pos, orn
                )
        self._synced_angle = q

    # ------------------------------------------------------------------ operations
    def rotate_to(self, dispenser: int) -> Operation[None]:
        """Turn the carousel until `dispenser` is at the port."""
        if not 1 <= dispenser <= self.cfg.dispensers:
            raise StepError(
                "INVALID_GOAL", f"dispenser {dispenser} is not in 1..{self.cfg.dispensers}"
            )
        with self.operating():
            target = self.joint_angle_for(dispenser)
            start = self.world.joint_position("seal_carousel_rot")
            span = abs(target - start) or 1e-9
            self.world.command_joint(
                "seal_carousel_rot",
                "position",
                target,
                self.cfg.velocity_radps,
                self.cfg.effort_nm,
            )
            limit = int((span / self.cfg.velocity_radps * 3 + 2) / self.world.dt)
            for _ in range(limit):
                q, v, _ = self.world.joint_state("seal_carousel_rot")
                if abs(q - target) < 2e-4 and abs(v) < 1e-3:
                    self.world.hold_joint("seal_carousel_rot", target)
                    return
                yield Feedback("rotate_carousel", min(1.0, 1 - abs(target - q) / span))
            raise StepError("TIMEOUT", f"seal carousel did not reach dispenser {dispenser}")

    def press(self, sha: Sha, tube_id: int, dispenser: int) -> Operation[DispenseResult]:
        """With the tube under the port, press up with a ramping force until the seal goes
        in or the release limit is reached; then retract to the transit height."""
        world = self.world
        state = world.dispensers[dispenser]
        tube = world.tubes[tube_id]
        needed = world.config.dust.insertion_force_n(tube.rim_dust)
        seal_id = self.seal_id(dispenser)
        z_cfg = sha.cfg.z
        # Quasi-static press: the Z motor pushes up with a force limit that ramps at
        # press_force_rate; the load cell reads the contact force on the tube's rim.
        moving_weight = world.config.physics.gravity_mps2 * (
            3 * sha.cfg.link_mass_kg + world.config.tube.mass_kg + 0.5
        )
        engaged_z = sha.station_joints(world.stations["station_seal_dispenser"]).z
        peak = 0.0
        inserted = False
        steps = 0
        limit_steps = int((state.release_limit_n / self.cfg.press_force_rate_npm + 5.0) / world.dt)
        with self.operating():
            try:
                while steps < limit_steps:
                    steps += 1
                    motor_force = min(
                        z_cfg.effort,
                        moving_weight + self.cfg.press_force_rate_npm * steps * world.dt,
                    )
                    world.command_joint(
                        "sha_z", "position", engaged_z + 0.01, z_cfg.velocity, motor_force
                    )
                    force = world.contacts_between(
                        world.tube_bodies[tube_id], world.aca, world.link_index["seal_carousel"]
                    )
                    peak = max(peak, force)
                    if force >= needed and force < state.release_limit_n:
                        world.insert_seal(seal_id, tube_id)
                        inserted = True
                        break
                    if force >= state.release_limit_n:
                        break
                    yield Feedback("press", min(1.0, force / state.release_limit_n), force)
            finally:
                sha.hold()
            if inserted:
                world.dispensers[dispenser] = replace(
                    state, seals_remaining=state.seals_remaining - 1
                )
            yield from sha.unload()
            yield from sha.retract()
            present = self.seal_sensor(tube_id)
            if inserted and world.dispensers[dispenser].seals_remaining > 0:
                world.new_seal(self.seal_id(dispenser), self.seal_pose(dispenser))
        return DispenseResult(dispenser, present, peak, needed, state.release_limit_n)

    def seal_sensor(self, tube_id: int) -> bool:
        """True when a seal body sits on the tube's axis inside its bore (a proximity check)."""
        world = self.world
        tube = world.tubes[tube_id]
        if not tube.seal_id:
            return False
        rim = world.tube_rim_position(tube_id)
        seal_pos = np.array(
            world.p.getBasePositionAndOrientation(world.seal_bodies[tube.seal_id])[0]
        )
        plug = world.config.seal.plug_length_m
        return (
            bool(
                np.hypot(*(seal_pos - rim)[:2]) < 0.001
                and -plug - 0.002 < seal_pos[2] - rim[2] < 0
            )
            and tube.seal_state != SealState.NONE
        )
