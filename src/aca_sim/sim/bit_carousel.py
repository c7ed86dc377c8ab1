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

from aca_sim.sim.device import Device
from aca_sim.sim.errors import StepError
from aca_sim.sim.state import BitType, Contents
from aca_sim.sim.world import Feedback, Operation


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


class BitCarousel(Device):
    """The bit carousel and, on its drill side, the simulated drill."""

    name = "bit_carousel"

    def __init__(self, world) -> None:  # noqa: ANN001 - AcaWorld (import cycle)
        super().__init__(world)
        self.cfg = world.config.bit_carousel

    def joint_angle_for(self, bit_slot: int, port: Port) -> float:
        """Carousel angle that puts a bit slot at a port, wrapped to (-pi, pi]."""
        local = (bit_slot - 1) * 2 * math.pi / len(self.cfg.bits)
        a = (math.pi - local) if port == Port.HAND_OFF else -local
        return math.atan2(math.sin(a), math.cos(a))

    def slot_at(self, port: Port) -> int:
        """The bit slot at a port (0 when between slots)."""
        q = self.world.joint_position("bit_carousel_rot")
        for k in range(1, len(self.cfg.bits) + 1):
            if abs(math.remainder(q - self.joint_angle_for(k, port), 2 * math.pi)) < 1e-3:
                return k
        return 0

    def rotate_to(self, bit_slot: int, port: Port) -> Operation[None]:
        """Turn the carousel until bit_slot is at the port."""
        if not 1 <= bit_slot <= len(self.cfg.bits):
            raise StepError(
                "INVALID_GOAL", f"bit slot {bit_slot} is not in 1..{len(self.cfg.bits)}"
            )
        world = self.world
        target = self.joint_angle_for(bit_slot, port)
        start = world.joint_position("bit_carousel_rot")
        span = abs(target - start) or 1e-9
        world.command_joint(
            "bit_carousel_rot", "position", target, self.cfg.velocity_radps, self.cfg.effort_nm
        )
        for _ in range(int((span / self.cfg.velocity_radps * 3 + 2) / world.dt)):
            q, v, _ = world.joint_state("bit_carousel_rot")
            if abs(q - target) < 2e-4 and abs(v) < 1e-3:
                world.hold_joint("bit_carousel_rot", target)
                return
            yield Feedback("rotate_bit_carousel", min(1.0, 1 - abs(target - q) / span))
        raise StepError(
            "TIMEOUT", f"bit carousel did not bring slot {bit_slot} to the {port.value} port"
        )

    def core(self, bit_slot: int, contents: Contents) -> Operation[CoringResult]:
        """Simulated drill: core (or scoop regolith) into the tube in bit_slot, percuss to
        ingest, then drop the bit off with drag monitoring. Faults pending in the world
        (empty core, rim dust, carousel debris) apply here."""
        world, cfg = self.world, self.cfg
        slot = world.bit_slots[bit_slot]
        if slot.bit_type == BitType.ABRADING or not slot.tube_id:
            raise StepError("NO_TUBE_IN_BIT", f"bit slot {bit_slot} holds no tube")
        tube_id = slot.tube_id
        with self.operating():
            yield from self.rotate_to(bit_slot, Port.DRILL)
            yield from world.wait(cfg.coring_duration_s, "coring")
            faults = world.take_faults("empty_core", "rim_dust", "carousel_debris")
            if "empty_core" not in faults:
                self._fill(tube_id, contents, faults.get("rim_dust"))
            count, seconds = cfg.percuss_to_ingest
            for i in range(int(count)):
                yield from world.wait(seconds, f"percuss_to_ingest_{i + 1}")
            if "carousel_debris" in faults:
                self._drop_pebbles(bit_slot, int(faults["carousel_debris"]))
                yield from world.wait(0.5, "debris_settles")
            travel, peak = yield from self._dropoff()
            early = travel < cfg.dropoff_contact_travel_m - cfg.early_drag_margin_m
            result = CoringResult(bit_slot, world.tubes[tube_id].contents, travel, peak, early)
            if early:
                world.caching_halted = True
                raise StepError(
                    "EARLY_DRAG",
                    f"drag at {travel * 100:.1f} cm of drop-off travel, nominal "
                    f"{cfg.dropoff_contact_travel_m * 100:.1f} cm: debris in the bit carousel; "
                    "caching halted",
                    contact_travel_m=travel,
                    peak_drag_n=peak,
                )
            yield from self.rotate_to(bit_slot, Port.HAND_OFF)
        return result

    def _fill(self, tube_id: int, contents: Contents, rim_dust: float | None) -> None:
        from dataclasses import replace

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
        world.set_tube(replace(world.tubes[tube_id], rim_dust=float(dust)))

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
        world, cfg = self.world, self.cfg
        bit = world.link_index["drill_bit"]
        full = cfg.dropoff_contact_travel_m + 0.01
        world.command_joint(
            "drill_feed", "position", full, cfg.dropoff_velocity_mps, cfg.dropoff_effort_n
        )
        first, peak, stall = None, 0.0, 0
        try:
            for _ in range(int((full / cfg.dropoff_velocity_mps * 2 + 2) / world.dt)):
                q = world.joint_position("drill_feed")
                drag = self._drag(bit)
                peak = max(peak, drag)
                if first is None and drag > cfg.dropoff_drag_threshold_n:
                    first = q
                if first is not None:
                    stall += 1
                    if stall > round(0.5 / world.dt):
                        break
                yield Feedback(
                    "coring_bit_dropoff", min(1.0, q / cfg.dropoff_contact_travel_m), drag, q
                )
        finally:
            world.command_joint(
                "drill_feed", "position", 0.0, cfg.dropoff_velocity_mps * 5, cfg.dropoff_effort_n
            )
        yield from world.wait_home(
            "drill_feed", full, cfg.dropoff_velocity_mps * 5, "retract_drill"
        )
        if first is None:
            raise StepError("TIMEOUT", "the bit never met the carousel seat at drop-off")
        return first, peak

    def _drag(self, bit_link: int) -> float:
        """Contact force on the returning bit, N. Seat contacts are self-collisions of the
        ACA multibody, reported with the bit as either link A or link B."""
        world = self.world
        total = 0.0
        for contact in world.p.getContactPoints(bodyA=world.aca):
            if contact[3] == bit_link or (contact[2] == world.aca and contact[4] == bit_link):
                total += contact[9]
        return total
