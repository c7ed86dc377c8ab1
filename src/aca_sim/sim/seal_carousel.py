"""The seal-dispenser carousel: seven dispensers on a revolute joint, each a stack of seals.

The bottom seal of every non-empty dispenser is a body that rides on the carousel (kinematic,
moved with the carousel link); the seals above it are counted. Dispensing (ASSUMPTION B5/B9)
is done by the dispense_seal procedure: the SHA presses the tube's open end against the
dispenser face with a ramping force; the seal goes into the bore once the rim contact force
reaches the insertion force (F0 + k * rim dust), and stays in the dispenser if the force
reaches the release limit first. The seal sensor then checks whether a seal sits in the bore.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from aca_sim.model.codes import Code
from aca_sim.model.kinds import SealState
from aca_sim.sim.device import Device
from aca_sim.sim.errors import StepError
from aca_sim.sim.mechanism import ANY_LINK
from aca_sim.sim.operation import Operation
from aca_sim.sim.turning import turn_and_hold
from aca_sim.sim.world import World

SEAL_SYNC_RAD = 1e-5  # the seals follow turns larger than this (0.5 um at the dispensers)


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

    def __init__(self, world: World) -> None:
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

    def seal_pose(self, dispenser: int) -> tuple[list[float], list[float]]:
        """World pose of a dispenser's bottom seal (origin = plug bottom)."""
        world = self.world
        a = self.local_angle(dispenser)
        # The seal sits where it will be inside a tube whose rim touches the dispenser face.
        z = world.seal_offset_in_tube(False) - world.config.tube.length_m
        local = [self.cfg.radius_m * math.cos(a), self.cfg.radius_m * math.sin(a), z]
        position, orientation = self.mech.link_point("seal_carousel", local)
        return list(position), list(orientation)

    def seal_id(self, dispenser: int) -> int:
        """Id of a dispenser's bottom seal: 100 * dispenser + its index in the stack."""
        used = self.cfg.seals_per_dispenser - self.world.dispensers[dispenser].seals_remaining
        return 100 * dispenser + used + 1

    # ------------------------------------------------------------------ device hooks
    def on_rebuild(self) -> None:
        """Make sure every non-empty dispenser has its bottom seal body."""
        self._synced_angle = None
        for k in sorted(self.world.dispensers):
            if self.world.dispensers[k].seals_remaining > 0 and not self.world.holds.has_seal(
                self.seal_id(k)
            ):
                self.world.new_seal(self.seal_id(k), self.seal_pose(k))

    def pre_step(self) -> None:
        """Carry the dispensers' seals with the carousel when it turns (by more than
        SEAL_SYNC_RAD since they were placed: a press on a dispenser rocks the held carousel
        by microradians at every step, which is not a turn)."""
        q = self.mech.joint_position("seal_carousel_rot")
        if self._synced_angle is not None and abs(q - self._synced_angle) < SEAL_SYNC_RAD:
            return
        holds = self.world.holds
        for k, state in self.world.dispensers.items():
            seal_id = self.seal_id(k)
            if state.seals_remaining > 0 and holds.has_seal(seal_id):
                holds.place_seal(seal_id, self.seal_pose(k))
        self._synced_angle = q

    # ------------------------------------------------------------------ operations
    def rotate_to(self, dispenser: int) -> Operation[None]:
        """Turn the carousel until `dispenser` is at the port."""
        if not 1 <= dispenser <= self.cfg.dispensers:
            raise StepError(
                Code.INVALID_GOAL, f"dispenser {dispenser} is not in 1..{self.cfg.dispensers}"
            )
        with self.operating():
            settled = yield from turn_and_hold(
                self.world,
                "seal_carousel_rot",
                self.joint_angle_for(dispenser),
                self.cfg.velocity_radps,
                self.cfg.effort_nm,
                "rotate_carousel",
            )
            if not settled:
                raise StepError(Code.TIMEOUT, f"seal carousel did not reach dispenser {dispenser}")

    def insertion_force_n(self, tube_id: int) -> float:
        """Force needed to push a seal into this tube's bore (its rim dust), N."""
        return self.world.config.dust.insertion_force_n(self.world.tubes[tube_id].rim_dust)

    def rim_force(self, tube_id: int) -> float:
        """Contact force between a tube's rim and the dispenser face, N."""
        return self.world.force_between(
            [(self.world.holds.tube_body(tube_id), ANY_LINK)], "seal_carousel"
        )

    def release_into(self, dispenser: int, tube_id: int) -> None:
        """The dispenser's bottom seal leaves it and goes into the tube's bore."""
        self.world.insert_seal(self.seal_id(dispenser), tube_id)

    def count_released(self, dispenser: int) -> None:
        """Count the seal that left a dispenser (after the press)."""
        self.world.take_seal(dispenser)

    def refill(self, dispenser: int) -> None:
        """Bring the next seal of a non-empty dispenser down (its bottom seal body)."""
        if self.world.dispensers[dispenser].seals_remaining > 0:
            self.world.new_seal(self.seal_id(dispenser), self.seal_pose(dispenser))

    def seal_sensor(self, tube_id: int) -> bool:
        """True when a seal body sits on the tube's axis inside its bore (a proximity check)."""
        world = self.world
        tube = world.tubes[tube_id]
        if not tube.seal_id:
            return False
        rim = world.holds.tube_rim_position(tube_id)
        seal_pos = world.holds.seal_position(tube.seal_id)
        plug = world.config.seal.plug_length_m
        return (
            bool(
                np.hypot(*(seal_pos - rim)[:2]) < 0.001
                and -plug - 0.002 < seal_pos[2] - rim[2] < 0
            )
            and tube.seal_state != SealState.NONE
        )
