"""Caching steps at the tube-processing stations: volume probe, CacheCam, seal dispenser,
sealing station, bore sweeping tool. The arm moves the tube; the station measures or acts."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from aca_sim.model.codes import Code
from aca_sim.model.kinds import SealState
from aca_sim.model.steps import MAX_SWEEPS
from aca_sim.sim.aca import Aca
from aca_sim.sim.cachecam import Image
from aca_sim.sim.errors import StepError
from aca_sim.sim.operation import Feedback, Operation, step_budget, with_progress
from aca_sim.sim.procedures.common import held_tube, safely, visit
from aca_sim.sim.seal_carousel import DispenseResult
from aca_sim.sim.stations import ActivationResult, ProbeResult, SweepResult


def assess_volume(aca: Aca, tube_id: int = 0) -> Operation[ProbeResult]:
    """Measure the sample height with the volume probe."""
    tube = held_tube(aca, tube_id)
    if tube.seal_state != SealState.NONE:
        raise StepError(
            Code.INVALID_GOAL, f"tube {tube.tube_id} is sealed; the probe cannot enter"
        )
    probe = aca.devices.volume_probe

    def steps() -> Generator[Any, Any, ProbeResult]:
        return (yield from visit(aca, "station_volume_probe", probe.measure(tube.tube_id)))

    return (yield from safely(aca, steps()))


def capture_image(aca: Aca, tube_id: int = 0) -> Operation[Image]:
    """Take a CacheCam image down the bore of the held tube."""
    held_tube(aca, tube_id)  # the precondition: the arm holds that tube
    camera = aca.devices.cachecam

    def steps() -> Generator[Any, Any, Image]:
        return (yield from visit(aca, "station_cachecam", camera.capture(), (0.45, 0.55)))

    return (yield from safely(aca, steps()))


def next_dispenser_with_seals(aca: Aca) -> int:
    """The lowest-numbered dispenser that still has seals (0 if all are empty)."""
    return next((k for k, d in sorted(aca.world.dispensers.items()) if d.seals_remaining > 0), 0)


def dispense_seal(aca: Aca, tube_id: int = 0, dispenser: int = 0) -> Operation[DispenseResult]:
    """Press the held tube onto a dispenser's seal; SEAL_NOT_RELEASED if it stays there."""
    tube = held_tube(aca, tube_id)
    if tube.seal_state != SealState.NONE:
        raise StepError(
            Code.TUBE_ALREADY_SEALED,
            f"tube {tube.tube_id} already has a seal ({tube.seal_state.name})",
        )
    count = len(aca.world.dispensers)
    if dispenser == 0:
        dispenser = next_dispenser_with_seals(aca)
        if not dispenser:
            raise StepError(Code.NO_SEALS_LEFT, "every seal dispenser is empty")
    elif not 1 <= dispenser <= count:
        raise StepError(Code.INVALID_GOAL, f"dispenser {dispenser} is not in 1..{count}")
    if aca.world.dispensers[dispenser].seals_remaining == 0:
        raise StepError(Code.DISPENSER_EMPTY, f"dispenser {dispenser} has no seals left")
    sha, carousel = aca.devices.sha, aca.devices.seal_carousel
    station = aca.stations["station_seal_dispenser"]

    def steps() -> Generator[Any, Any, DispenseResult]:
        yield from with_progress(carousel.rotate_to(dispenser), 0.0, 0.15)
        approach = station.engage_z - station.guard_dz
        yield from with_progress(sha.go_to_station(station, engage=False), 0.15, 0.4)
        yield from with_progress(
            sha.guarded_z(
                sha.station_joints(station, approach).z, sha.cfg.guard_force_n, "approach"
            ),
            0.4,
            0.5,
        )
        result = yield from with_progress(_press_seal(aca, tube.tube_id, dispenser), 0.5, 1.0)
        if not result.seal_present:
            raise StepError(
                Code.SEAL_NOT_RELEASED,
                f"the seal stayed in dispenser {dispenser}: insertion force reached "
                f"{result.peak_force_n:.1f} N against a release limit of "
                f"{result.release_limit_n:.1f} N (needed {result.insertion_force_needed_n:.1f} N)",
                peak_force_n=result.peak_force_n,
                release_limit_n=result.release_limit_n,
                dispenser=dispenser,
            )
        return result

    return (yield from safely(aca, steps()))


def _press_seal(aca: Aca, tube_id: int, dispenser: int) -> Operation[DispenseResult]:
    """With the tube under the port, the arm rises until the rim meets the dispenser face (a
    guarded move that stops at the model's seal_carousel.press_contact_n; free space coasts),
    then presses with a motor force that ramps from there at the carousel's press rate until
    the rim force reaches the insertion force (the seal goes in) or the release limit (it
    stays), whichever is the lower; then it unloads and retracts. A load-cell step may pass
    both thresholds (the ramp gains about 3 N a step): the lower one is met first, and a seal
    that goes in does so at its insertion force, which is then the peak."""
    world, sha, carousel = aca.world, aca.devices.sha, aca.devices.seal_carousel
    limit_n = world.dispensers[dispenser].release_limit_n
    needed = carousel.insertion_force_n(tube_id)
    cfg = carousel.cfg
    press_z = sha.station_joints(aca.stations["station_seal_dispenser"]).z + cfg.press_overshoot_m
    seated = yield from sha.guarded_z(press_z, cfg.press_contact_n, "seat")
    peak, inserted = carousel.rim_force(tube_id), False
    if seated.stopped_on_force:
        threshold = min(needed, limit_n)
        start_n = sha.moving_weight_n() + seated.force_n
        limit_steps = step_budget(world.dt, limit_n / cfg.press_force_rate_npm, slack_s=5.0)
        with carousel.operating():
            try:
                for steps in range(1, limit_steps + 1):
                    ramp = start_n + cfg.press_force_rate_npm * steps * world.dt
                    sha.push_up(press_z, min(sha.cfg.z.effort, ramp))
                    force = carousel.rim_force(tube_id)
                    if force >= threshold:
                        inserted = needed < limit_n
                        # a seal gave way at `needed` within this step (the reading is one
                        # step late): the rim force peaked there
                        peak = max(peak, needed if inserted else force)
                        if inserted:
                            carousel.release_into(dispenser, tube_id)
                        break
                    peak = max(peak, force)
                    yield Feedback("press", min(1.0, force / limit_n), force)
            finally:
                sha.hold()
    if inserted:
        carousel.count_released(dispenser)
    yield from sha.unload()
    yield from sha.retract()
    present = carousel.seal_sensor(tube_id)
    if inserted:
        carousel.refill(dispenser)
    return DispenseResult(dispenser, present, peak, needed, limit_n)


def activate_seal(aca: Aca, tube_id: int = 0) -> Operation[ActivationResult]:
    """Press the inserted seal at the sealing station until the tube is hermetic."""
    tube = held_tube(aca, tube_id)
    if tube.seal_state == SealState.NONE:
        raise StepError(Code.NO_SEAL_IN_TUBE, f"tube {tube.tube_id} has no seal")
    if tube.seal_state == SealState.ACTIVATED:
        raise StepError(
            Code.ALREADY_ACTIVATED, f"tube {tube.tube_id} is already hermetically sealed"
        )
    station = aca.devices.sealing_station

    def steps() -> Generator[Any, Any, ActivationResult]:
        result = yield from visit(aca, "station_sealing", station.activate(tube.tube_id))
        if not result.hermetic:
            raise StepError(
                Code.ACTIVATION_FAILED,
                f"ram force {result.peak_force_n:.0f} N, stroke {result.stroke_m * 1000:.2f} mm: "
                "not hermetic",
                peak_force_n=result.peak_force_n,
            )
        return result

    return (yield from safely(aca, steps()))


def sweep_bore(aca: Aca, sweeps: int, tube_id: int = 0) -> Operation[SweepResult]:
    """Run the bore sweeping tool `sweeps` times on the held, unsealed tube."""
    tube = held_tube(aca, tube_id)
    if not 1 <= sweeps <= MAX_SWEEPS:
        raise StepError(Code.INVALID_GOAL, f"sweeps must be in 1..{MAX_SWEEPS}, got {sweeps}")
    if tube.seal_state != SealState.NONE:
        raise StepError(
            Code.TUBE_SEALED, f"tube {tube.tube_id} has a seal; the brush cannot enter"
        )
    sha = aca.devices.sha
    station = aca.stations["station_bst"]

    def steps() -> Generator[Any, Any, SweepResult]:
        yield from with_progress(sha.go_to_station(station, engage=False), 0.0, 0.2)
        below = sha.station_joints(station, station.engage_z - station.guard_dz).z
        yield from with_progress(sha.guarded_z(below, sha.cfg.guard_force_n, "approach"), 0.2, 0.3)
        result = yield from with_progress(_sweeps(aca, tube.tube_id, sweeps), 0.3, 0.9)
        yield from with_progress(sha.retract(), 0.9, 1.0)
        return result

    return (yield from safely(aca, steps()))


def _sweeps(aca: Aca, tube_id: int, count: int) -> Operation[SweepResult]:
    """`count` sweeps: the arm raises the tube onto the brush (pushing a sample that sits too
    high clear), the brush turns once, the arm lowers the tube."""
    sha, tool = aca.devices.sha, aca.devices.bore_sweep_tool
    station = aca.stations["station_bst"]
    below = sha.station_joints(station, station.engage_z - station.guard_dz).z
    engaged = sha.station_joints(station).z
    done = 0
    with tool.operating():
        for sweep in range(count):
            guard = yield from sha.guarded_z(engaged, sha.cfg.guard_force_n, "insert_brush")
            if guard.stopped_on_force:
                tool.push_sample_clear(tube_id)
                yield from sha.guarded_z(engaged, sha.cfg.guard_force_n, "insert_brush")
            yield from tool.turn(tube_id, sweep, count)
            tool.move_dust(tube_id)
            done += 1
            yield from sha.move_z(below, "withdraw_brush")
            rim_dust = aca.world.tubes[tube_id].rim_dust
            yield Feedback("sweep", done / count, 0.0, rim_dust)
    return tool.result(tube_id, done)
