"""The bit carousel (nine bits on `bit_carousel_rot`) and the simulated drill outside the ACA.

Bit slot k sits at local angle (k-1) * 40 deg. At the hand-off port (toward the SHA, -X of the
carousel centre) the SHA hands tubes in and takes them back; at the drill port (+X) the drill
returns the bit at Coring Bit Dropoff, moving `drill_feed` down onto the slot's seat. The drag
on the bit is the contact force on it: nominally the first contact comes after 13.1 cm of
travel; pebbles on the seat make it come about 1 cm earlier (Issole).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from aca_sim.model.codes import Code
from aca_sim.model.kinds import BitType, Contents
from aca_sim.sim import rest_coast
from aca_sim.sim.carousel_coast import JOINT, CarouselCoaster
from aca_sim.sim.device import Device
from aca_sim.sim.errors import StepError
from aca_sim.sim.faults import FaultArming
from aca_sim.sim.operation import Leap, Operation, step_budget
from aca_sim.sim.tool_coast import ToolCoaster, go_home
from aca_sim.sim.turning import turn_and_hold
from aca_sim.sim.world import World


class Port(str, Enum):
    HAND_OFF = "hand_off"
    DRILL = "drill"


@dataclass(frozen=True)
class CoringResult:
    """Outcome of a simulated coring and drop-off. Travel in m, drag in N."""

    bit_slot: int
    contents: Contents
    contact_travel_m: float
    peak_drag_n: float
    early_drag: bool


@dataclass(frozen=True)
class DebrisResult:
    """What clearing the bit carousel did: pebbles removed, whether the core was dumped, and
    the drop-off travel at first contact afterwards (m)."""

    bit_slot: int
    pebbles_removed: int
    core_dumped: bool
    contact_travel_m: float


class BitCarousel(Device):
    """The bit carousel and, on its drill side, the simulated drill."""

    name = "bit_carousel"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.cfg = world.config.bit_carousel

    def joint_angle_for(self, bit_slot: int, port: Port) -> float:
        """Carousel angle that puts a bit slot at a port, wrapped to (-pi, pi]."""
        local = (bit_slot - 1) * 2 * math.pi / len(self.cfg.bits)
        a = (math.pi - local) if port == Port.HAND_OFF else -local
        return math.atan2(math.sin(a), math.cos(a))

    def rotate_to(self, bit_slot: int, port: Port) -> Operation[None]:
        """Turn the carousel until bit_slot is at the port."""
        if not 1 <= bit_slot <= len(self.cfg.bits):
            raise StepError(
                Code.INVALID_GOAL, f"bit slot {bit_slot} is not in 1..{len(self.cfg.bits)}"
            )
        yield from self._turn_to(
            self.joint_angle_for(bit_slot, port),
            "rotate_bit_carousel",
            f"bit carousel did not bring slot {bit_slot} to the {port.value} port",
        )

    def core(
        self, bit_slot: int, contents: Contents, faults: FaultArming
    ) -> Operation[CoringResult]:
        """Simulated drill: core (or scoop regolith) into the tube in bit_slot, percuss to
        ingest, then drop the bit off with drag monitoring. The armed faults of the coring
        (empty core, rim dust, carousel debris) are taken from `faults` when it happens."""
        world, cfg = self.world, self.cfg
        slot = world.bit_slots[bit_slot]
        if slot.bit_type == BitType.ABRADING or not slot.tube_id:
            raise StepError(Code.NO_TUBE_IN_BIT, f"bit slot {bit_slot} holds no tube")
        tube_id = slot.tube_id
        with self.operating():
            yield from self.rotate_to(bit_slot, Port.DRILL)
            yield from rest_coast.wait(world, cfg.coring_duration_s, "coring")
            armed = faults.take("empty_core", "rim_dust", "carousel_debris")
            if "empty_core" not in armed:
                self._fill(tube_id, contents, armed.get("rim_dust"))
            count, seconds = cfg.percuss_to_ingest
            for i in range(int(count)):
                yield from rest_coast.wait(world, seconds, f"percuss_to_ingest_{i + 1}")
            if "carousel_debris" in armed:
                self._drop_pebbles(bit_slot, int(armed["carousel_debris"]))
                yield from rest_coast.wait(world, 0.5, "debris_settles")
            travel, peak = yield from self._dropoff()
            early = travel < cfg.dropoff_contact_travel_m - cfg.early_drag_margin_m
            result = CoringResult(bit_slot, world.tubes[tube_id].contents, travel, peak, early)
            if early:
                world.halt_caching()
                raise StepError(
                    Code.EARLY_DRAG,
                    f"drag at {travel * 100:.1f} cm of drop-off travel, nominal "
                    f"{cfg.dropoff_contact_travel_m * 100:.1f} cm: debris in the bit carousel; "
                    "caching halted",
                    contact_travel_m=travel,
                    peak_drag_n=peak,
                )
            yield from self.rotate_to(bit_slot, Port.HAND_OFF)
        return result

    def clear_debris(self, bit_slot: int, dump_core: bool) -> Operation[DebrisResult]:
        """The ground's recovery after an early drag at drop-off (Issole, January 2022): dump
        the core of the tube in bit_slot if asked (percussion with its open end down), turn
        the carousel by clearing_rotation_deg and back so the pebbles fall out, then redo
        the drop-off (now nominal) and bring the bit to the hand-off port, where the arm can
        take the tube. Caching is no longer halted."""
        world, cfg, mech = self.world, self.cfg, self.mech
        slot = world.bit_slots[bit_slot]
        if not slot.tube_id:
            raise StepError(Code.NO_TUBE_IN_BIT, f"bit slot {bit_slot} holds no tube")
        with self.operating():
            yield from self.rotate_to(bit_slot, Port.DRILL)
            dumped = False
            if dump_core and world.tubes[slot.tube_id].sample_height_m > 0:
                yield from rest_coast.wait(world, cfg.dump_percussion_s, "dump_core")
                dumped = world.dump_core(slot.tube_id)
            start = mech.joint_position("bit_carousel_rot")
            turn = math.radians(cfg.clearing_rotation_deg)
            yield from self._turn_to(start + turn, "shed_pebbles")
            removed = world.clear_debris()
            yield from self._turn_to(start, "shed_pebbles_back")
            travel, _peak = yield from self._dropoff()
            early = travel < cfg.dropoff_contact_travel_m - cfg.early_drag_margin_m
            if early:  # something is still in the way: halted again, and say so
                world.halt_caching()
                raise StepError(
                    Code.EARLY_DRAG,
                    f"drag still at {travel * 100:.1f} cm of drop-off travel after clearing",
                )
            yield from self.rotate_to(bit_slot, Port.HAND_OFF)
        return DebrisResult(bit_slot, removed, dumped, travel)

    def _turn_to(self, target: float, phase: str, failure: str | None = None) -> Operation[None]:
        """Turn the carousel to an angle (rad) and hold it there, coasting where nothing is
        near (sim.carousel_coast); StepError TIMEOUT (`failure`, or the angle) if it does not
        settle in time (sim.turning)."""
        settled = yield from turn_and_hold(
            self.world,
            JOINT,
            target,
            self.cfg.velocity_radps,
            self.cfg.effort_nm,
            phase,
            CarouselCoaster,
        )
        if not settled:
            raise StepError(
                Code.TIMEOUT, failure or f"the bit carousel did not reach {target:.3f} rad"
            )

    def _fill(self, tube_id: int, contents: Contents, rim_dust: float | None) -> None:
        world, core = self.world, self.world.config.core
        rng = world.rng
        if contents == Contents.REGOLITH:
            height = core.regolith_height_m * rng.uniform(0.9, 1.1)
        else:
            height = float(
                min(
                    core.height_max_m,
                    max(core.height_min_m, rng.normal(core.height_mean_m, core.height_sd_m)),
                )
            )
        gap = rng.uniform(0.0, 2 * core.top_gap_mean_m)
        top_depth = world.config.tube.bore_depth_m - height - gap
        world.fill_tube(tube_id, contents, height, top_depth)
        dust = (
            rng.uniform(0.0, world.config.dust.nominal_rim_dust_max)
            if rim_dust is None
            else rim_dust
        )
        world.update_tube(tube_id, rim_dust=float(dust))

    def _drop_pebbles(self, bit_slot: int, count: int) -> None:
        world, cfg = self.world, self.cfg
        port = [cfg.center_xy_m[0] + cfg.radius_m, cfg.center_xy_m[1]]
        for i in range(count):
            a = 2 * math.pi * i / max(count, 1) + world.rng.uniform(0, 0.3)
            r = 0.006 if count > 1 else 0.0
            world.add_pebble(
                bit_slot,
                [
                    port[0] + r * math.cos(a),
                    port[1] + r * math.sin(a),
                    cfg.seat_z_m + cfg.pebble_radius_m + 0.001 + 0.011 * (i % 2),
                ],
            )

    def _dropoff(self) -> Operation[tuple[float, float]]:
        """Move the bit down onto the seat; return (travel at first drag, peak drag)."""
        world, mech, cfg = self.world, self.mech, self.cfg
        full = cfg.dropoff_contact_travel_m + cfg.dropoff_overtravel_m
        mech.command_joint(
            "drill_feed", "position", full, cfg.dropoff_velocity_mps, cfg.dropoff_effort_n
        )
        first, peak, stall = None, 0.0, 0
        coaster = ToolCoaster(world, "drill_feed")  # the bit's way down to the seat
        limit, taken = step_budget(world.dt, full / cfg.dropoff_velocity_mps, 2, 2), 0
        try:
            while taken < limit:
                q = mech.joint_position("drill_feed")
                coasting = first is None and coaster.coasting()  # no contact within reach
                drag = 0.0 if coasting else mech.self_contact_force("drill_bit")
                peak = max(peak, drag)
                if first is None and drag > cfg.dropoff_drag_threshold_n:
                    first = q
                if first is not None:
                    stall += 1
                    if stall > round(0.5 / world.dt):
                        break
                steps = min(coaster.leap((full,), (1e-4,)), limit - taken) if coasting else 1
                progress = min(1.0, q / cfg.dropoff_contact_travel_m)
                yield Leap("coring_bit_dropoff", progress, drag, q, steps)
                taken += steps
        finally:
            coaster.stop()
            mech.command_joint(
                "drill_feed", "position", 0.0, cfg.dropoff_velocity_mps * 5, cfg.dropoff_effort_n
            )
        yield from go_home(
            world, "drill_feed", full, cfg.dropoff_velocity_mps * 5, "retract_drill"
        )
        if first is None:
            raise StepError(Code.TIMEOUT, "the bit never met the carousel seat at drop-off")
        return first, peak
