"""Tube-processing stations: sealing ram, bore sweeping tool, volume probe, drop port.

Each operation assumes the SHA holds the tube engaged at the station (the procedures move
the arm) and measures what the hardware would: contact forces, strokes, depths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from aca_sim.model.codes import Code
from aca_sim.model.kinds import SealState
from aca_sim.model.locations import GROUND
from aca_sim.sim import rest_coast
from aca_sim.sim.device import Device
from aca_sim.sim.errors import StepError
from aca_sim.sim.operation import Feedback, Leap, Operation, step_budget
from aca_sim.sim.spin_coast import SpinCoast
from aca_sim.sim.tool_coast import ToolCoaster, go_home


@dataclass(frozen=True)
class ActivationResult:
    hermetic: bool
    peak_force_n: float
    stroke_m: float  # ram travel past first contact, relative to the tube rim


class SealingStation(Device):
    """A ram (`seal_ram_z`, pushing down) that presses the inserted seal into the tube; the
    tube becomes hermetic when both the activation force and the minimum stroke are reached."""

    name = "sealing_station"

    def activate(self, tube_id: int) -> Operation[ActivationResult]:
        """Lower the ram onto the seal, ramp its force, activate, retract; the SHA holds the
        tube engaged meanwhile. Stroke is ram travel past the first contact."""
        world, mech, cfg = self.world, self.mech, self.world.config.sealing_station
        peak, contact_q = 0.0, None
        activation_steps = max(1, round(0.25 / world.dt))
        with self.operating():
            try:
                mech.command_joint(
                    "seal_ram_z",
                    "position",
                    cfg.ram_stroke_m,
                    cfg.ram_velocity_mps,
                    cfg.ram_effort_n,
                )
                for _ in range(
                    step_budget(world.dt, cfg.ram_stroke_m / cfg.ram_velocity_mps, slack_s=1.0)
                ):
                    force = world.seal_force(tube_id, "seal_ram")
                    if force > 0.2:
                        contact_q = mech.joint_position("seal_ram_z")
                        break
                    yield Feedback("lower_ram", 0.1, force, mech.joint_position("seal_ram_z"))
                if contact_q is None:
                    return ActivationResult(False, 0.0, 0.0)
                gap_at_contact = self._ram_to_rim(tube_id)
                done, command = 0, 0.0
                for step in range(
                    step_budget(world.dt, cfg.ram_effort_n / cfg.ram_force_rate_nps, slack_s=1.0)
                ):
                    if done == 0:  # ramp until activation starts, then hold the force
                        command = min(
                            cfg.ram_effort_n, cfg.ram_force_rate_nps * (step + 1) * world.dt
                        )
                    mech.command_joint(
                        "seal_ram_z", "force", command, cfg.ram_velocity_mps, cfg.ram_effort_n
                    )
                    force = world.seal_force(tube_id, "seal_ram")
                    peak = max(peak, force)
                    if peak >= cfg.activation_force_n:
                        done += 1
                        world.activate_seal(tube_id, done / activation_steps)
                        if done >= activation_steps:
                            break
                    yield Feedback(
                        "press",
                        min(1.0, peak / cfg.activation_force_n),
                        force,
                        mech.joint_position("seal_ram_z"),
                    )
                for _ in range(round(0.2 / world.dt)):
                    yield Feedback("press", 1.0, world.seal_force(tube_id, "seal_ram"))
                stroke = gap_at_contact - self._ram_to_rim(tube_id)
            finally:
                mech.command_joint(
                    "seal_ram_z", "position", 0.0, cfg.ram_velocity_mps, cfg.ram_effort_n
                )
            yield from go_home(
                world, "seal_ram_z", cfg.ram_stroke_m, cfg.ram_velocity_mps, "retract_ram"
            )
        tube = world.tubes[tube_id]
        hermetic = (
            tube.seal_state == SealState.ACTIVATED
            and peak >= cfg.activation_force_n
            and stroke >= cfg.activation_stroke_min_m
        )
        return ActivationResult(hermetic, peak, stroke)

    def _ram_to_rim(self, tube_id: int) -> float:
        """Height of the ram face above the tube's rim, m (stroke is measured on this)."""
        cfg = self.world.config.sealing_station
        face = cfg.engage_z_m + cfg.ram_home_gap_m - self.mech.joint_position("seal_ram_z")
        return face - float(self.world.holds.tube_rim_position(tube_id)[2])


@dataclass(frozen=True)
class SweepResult:
    sweeps_done: int
    rim_dust: float
    bore_dust: float
    predicted_insertion_force_n: float


class BoreSweepTool(Device):
    """A brush (`bst_rot`) reaching insertion_depth into the bore. Each sweep (one turn of
    the brush, with the tube raised onto it by the arm) moves a part of the rim dust deeper
    into the bore; a sample that sits that high is pushed down."""

    name = "bore_sweep_tool"

    def turn(self, tube_id: int, sweep: int, count: int) -> Operation[None]:
        """Turn the brush once (sweep number `sweep` of `count`, for the progress). Under
        `physics.fidelity: fast` with the rest of the world at rest the turn coasts
        (sim.spin_coast), a Leap to each next look."""
        world, mech, cfg = self.world, self.mech, self.world.config.bore_sweep_tool
        start = mech.joint_position("bst_rot")
        mech.command_joint(
            "bst_rot", "velocity", cfg.velocity_radps, cfg.velocity_radps, cfg.effort_nm
        )
        limit = step_budget(world.dt, cfg.rotation_per_sweep_rad / cfg.velocity_radps, 3, 1)
        spin = SpinCoast.start(world, "bst_rot")
        per_step = cfg.velocity_radps * world.dt
        taken = 0
        try:
            while taken < limit:
                turned = mech.joint_position("bst_rot") - start
                if turned >= cfg.rotation_per_sweep_rad:
                    return
                steps = 1
                if spin is not None and spin.running():
                    # the steps until the turn is complete: a look after each Leap
                    left = math.ceil((cfg.rotation_per_sweep_rad - turned) / per_step - 1e-9)
                    steps = max(1, min(left, world.leap_steps, limit - taken))
                yield Leap(
                    "sweep",
                    (sweep + turned / cfg.rotation_per_sweep_rad) / count,
                    0.0,
                    world.tubes[tube_id].rim_dust,
                    steps,
                )
                taken += steps
            raise StepError(Code.TIMEOUT, "the bore sweeping tool did not complete a turn")
        finally:
            if spin is not None:
                spin.finish()
            mech.hold_joint("bst_rot")

    def move_dust(self, tube_id: int) -> None:
        """After a turn: a part of the rim dust (seeded jitter) goes deeper into the bore."""
        world, dust = self.world, self.world.config.dust
        tube = world.tubes[tube_id]
        fraction = dust.sweep_transfer_fraction + world.rng.uniform(
            -dust.sweep_transfer_jitter, dust.sweep_transfer_jitter
        )
        moved = tube.rim_dust * max(0.0, fraction)
        world.update_tube(
            tube_id, rim_dust=tube.rim_dust - moved, bore_dust=min(1.0, tube.bore_dust + moved)
        )

    def push_sample_clear(self, tube_id: int) -> None:
        """The brush met the sample: slide the sample down below the brush's reach."""
        world, cfg = self.world, self.world.config.bore_sweep_tool
        tube = world.tubes[tube_id]
        if not world.holds.has_core(tube_id):
            raise StepError(Code.MOTION_FAILED, "the brush met an obstacle in an empty bore")
        deepest = world.config.tube.bore_depth_m - tube.sample_height_m
        world.move_core(tube_id, min(deepest, cfg.insertion_depth_m + 0.001))

    def result(self, tube_id: int, sweeps_done: int) -> SweepResult:
        """What the sweeps left: dust on the rim and in the bore, the predicted force."""
        tube = self.world.tubes[tube_id]
        predicted = self.world.config.dust.insertion_force_n(tube.rim_dust)
        return SweepResult(sweeps_done, tube.rim_dust, tube.bore_dust, predicted)


@dataclass(frozen=True)
class ProbeResult:
    contact: bool
    travel_m: float  # probe travel at contact (or full travel)
    depth_m: float  # depth of the contact below the rim
    sample_height_m: float  # bore depth - contact depth; 0 without contact


class VolumeProbe(Device):
    """A rod (`volume_probe_z`, pushing down) that enters the bore until it touches the sample.
    No contact within the full travel means the tube is empty (Roubion)."""

    name = "volume_probe"

    def measure(self, tube_id: int) -> Operation[ProbeResult]:
        """Lower the probe until contact or full travel; retract it; report the height."""
        world, mech, cfg = self.world, self.mech, self.world.config.volume_probe
        assembly = world.tube_assembly(tube_id)
        contact, travel = False, cfg.travel_m
        with self.operating():
            mech.command_joint(
                "volume_probe_z", "position", cfg.travel_m, cfg.velocity_mps, cfg.effort_n
            )
            coaster = ToolCoaster(world, "volume_probe_z")
            limit, taken = step_budget(world.dt, cfg.travel_m / cfg.velocity_mps, 2, 2), 0
            try:
                while taken < limit:
                    q = mech.joint_position("volume_probe_z")
                    coasting = coaster.coasting()  # nothing within reach: no contact
                    force = 0.0 if coasting else world.force_between(assembly, "volume_probe_rod")
                    if force > cfg.contact_force_n:
                        contact, travel = True, q
                        break
                    if q >= cfg.travel_m - 1e-4:
                        break
                    steps = min(coaster.leap((cfg.travel_m,), (1e-4,)), limit - taken)
                    yield Leap("probe", q / cfg.travel_m, force, q, steps)
                    taken += steps
            finally:
                coaster.stop()
                mech.command_joint(
                    "volume_probe_z", "position", 0.0, cfg.velocity_mps, cfg.effort_n
                )
            yield from go_home(
                world, "volume_probe_z", cfg.travel_m, cfg.velocity_mps, "retract_probe"
            )
        depth = travel - cfg.home_gap_m  # the tip rests home_gap_m above the rim at home
        height = world.config.tube.bore_depth_m - depth if contact else 0.0
        return ProbeResult(contact, travel, depth, height)


@dataclass(frozen=True)
class DropResult:
    landed_on_end: bool
    tilt_rad: float
    fall_m: float


class DropPort(Device):
    """The floor opening: a tube released above it falls to the ground below."""

    name = "drop_port"

    def fall(self, tube_id: int) -> Operation[DropResult]:
        """A just-released tube falls (with a seeded small tumble) and settles on the ground."""
        world, cfg = self.world, self.world.config.drop_port
        with self.operating():
            start_z = world.holds.tube_pose(tube_id)[0][2]
            spin = world.rng.uniform(-cfg.release_spin_radps, cfg.release_spin_radps, size=2)
            world.holds.spin_tube(tube_id, spin)
            world.update_tube(tube_id, location=GROUND)
            yield from rest_coast.wait(world, cfg.settle_time_s, "fall")
        tilt = world.holds.tube_tilt(tube_id)
        fall = start_z - world.holds.tube_pose(tube_id)[0][2]
        return DropResult(tilt < cfg.on_end_tilt_rad, tilt, fall)
