"""Tube-processing stations: sealing ram, bore sweeping tool, volume probe, CacheCam, drop port.

Each operation assumes the SHA already holds the tube engaged at the station (the procedures
do that) and measures what the hardware would: contact forces, strokes, depths, pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from aca_sim.sim.device import Device
from aca_sim.sim.errors import StepError
from aca_sim.sim.sha import Sha
from aca_sim.sim.state import GROUND, SealState
from aca_sim.sim.world import CLEAN_RIM_RGB, DUST_RGB, Feedback, Operation


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
        world, cfg = self.world, self.world.config.sealing_station
        seal_body = world.seal_bodies[world.tubes[tube_id].seal_id]
        ram_link = world.link_index["seal_ram"]
        peak, contact_q = 0.0, None
        activation_steps = max(1, round(0.25 / world.dt))
        with self.operating():
            try:
                world.command_joint(
                    "seal_ram_z",
                    "position",
                    cfg.ram_stroke_m,
                    cfg.ram_velocity_mps,
                    cfg.ram_effort_n,
                )
                for _ in range(int((cfg.ram_stroke_m / cfg.ram_velocity_mps + 1.0) / world.dt)):
                    force = world.contacts_between(seal_body, world.aca, ram_link)
                    if force > 0.2:
                        contact_q = world.joint_position("seal_ram_z")
                        break
                    yield Feedback("lower_ram", 0.1, force, world.joint_position("seal_ram_z"))
                if contact_q is None:
                    return ActivationResult(False, 0.0, 0.0)
                gap_at_contact = self._ram_to_rim(tube_id)
                done, command = 0, 0.0
                for step in range(
                    int((cfg.ram_effort_n / cfg.ram_force_rate_nps + 1.0) / world.dt)
                ):
                    if done == 0:  # ramp until activation starts, then hold the force
                        command = min(
                            cfg.ram_effort_n, cfg.ram_force_rate_nps * (step + 1) * world.dt
                        )
                    world.command_joint(
                        "seal_ram_z", "force", command, cfg.ram_velocity_mps, cfg.ram_effort_n
                    )
                    force = world.contacts_between(seal_body, world.aca, ram_link)
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
                        world.joint_position("seal_ram_z"),
                    )
                for _ in range(round(0.2 / world.dt)):
                    yield Feedback(
                        "press", 1.0, world.contacts_between(seal_body, world.aca, ram_link)
                    )
                stroke = gap_at_contact - self._ram_to_rim(tube_id)
            finally:
                world.command_joint(
                    "seal_ram_z", "position", 0.0, cfg.ram_velocity_mps, cfg.ram_effort_n
                )
            yield from world.wait_home(
                "seal_ram_z", cfg.ram_stroke_m, cfg.ram_velocity_mps, "retract_ram"
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
        world = self.world
        cfg = world.config.sealing_station
        face = cfg.engage_z_m + cfg.ram_home_gap_m - world.joint_position("seal_ram_z")
        return face - float(world.tube_rim_position(tube_id)[2])


@dataclass(frozen=True)
class SweepResult:
    sweeps_done: int
    rim_dust: float
    bore_dust: float
    predicted_insertion_force_n: float


class BoreSweepTool(Device):
    """A brush (`bst_rot`) reaching insertion_depth into the bore. Each sweep moves a part of
    the rim dust deeper into the bore and pushes the sample down if it sits that high."""

    name = "bore_sweep_tool"

    def sweep(self, sha: Sha, tube_id: int, count: int) -> Operation[SweepResult]:
        """Run `count` sweeps: raise the tube onto the brush, turn it once, lower the tube."""
        world, cfg = self.world, self.world.config.bore_sweep_tool
        station = world.stations["station_bst"]
        below = sha.station_joints(station, station.engage_z - station.guard_dz).z
        engaged = sha.station_joints(station).z
        done = 0
        with self.operating():
            for i in range(count):
                guard = yield from sha.guarded_z(engaged, sha.cfg.guard_force_n, "insert_brush")
                if guard.stopped_on_force:
                    self._push_sample_clear(tube_id)
                    yield from sha.guarded_z(engaged, sha.cfg.guard_force_n, "insert_brush")
                start = world.joint_position("bst_rot")
                world.command_joint(
                    "bst_rot", "velocity", cfg.velocity_radps, cfg.velocity_radps, cfg.effort_nm
                )
                limit = int((cfg.rotation_per_sweep_rad / cfg.velocity_radps * 3 + 1) / world.dt)
                try:
                    for _ in range(limit):
                        turned = world.joint_position("bst_rot") - start
                        if turned >= cfg.rotation_per_sweep_rad:
                            break
                        yield Feedback(
                            "sweep",
                            (i + turned / cfg.rotation_per_sweep_rad) / count,
                            0.0,
                            world.tubes[tube_id].rim_dust,
                        )
                    else:
                        raise StepError(
                            "TIMEOUT", "the bore sweeping tool did not complete a turn"
                        )
                finally:
                    world.hold_joint("bst_rot")
                self._move_dust(tube_id)
                done += 1
                yield from sha.move_z(below, "withdraw_brush")
                yield Feedback("sweep", done / count, 0.0, world.tubes[tube_id].rim_dust)
        tube = world.tubes[tube_id]
        return SweepResult(
            done, tube.rim_dust, tube.bore_dust, world.config.dust.insertion_force_n(tube.rim_dust)
        )

    def _move_dust(self, tube_id: int) -> None:
        from dataclasses import replace

        world, dust = self.world, self.world.config.dust
        tube = world.tubes[tube_id]
        fraction = dust.sweep_transfer_fraction + world.rng.uniform(
            -dust.sweep_transfer_jitter, dust.sweep_transfer_jitter
        )
        moved = tube.rim_dust * max(0.0, fraction)
        world.set_tube(
            replace(
                tube, rim_dust=tube.rim_dust - moved, bore_dust=min(1.0, tube.bore_dust + moved)
            )
        )

    def _push_sample_clear(self, tube_id: int) -> None:
        """The brush met the sample: slide the sample down below the brush's reach."""
        world, cfg = self.world, self.world.config.bore_sweep_tool
        tube = world.tubes[tube_id]
        if tube_id not in world.core_bodies:
            raise StepError("MOTION_FAILED", "the brush met an obstacle in an empty bore")
        deepest = world.config.tube.bore_depth_m - tube.sample_height_m
        world.move_core(tube_id, min(deepest, cfg.insertion_depth_m + 0.001))


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
        world, cfg = self.world, self.world.config.volume_probe
        rod = world.link_index["volume_probe_rod"]
        assembly = world.tube_assembly(tube_id)
        contact, travel = False, cfg.travel_m
        with self.operating():
            world.command_joint(
                "volume_probe_z", "position", cfg.travel_m, cfg.velocity_mps, cfg.effort_n
            )
            try:
                for _ in range(int((cfg.travel_m / cfg.velocity_mps * 2 + 2) / world.dt)):
                    q = world.joint_position("volume_probe_z")
                    force = sum(world.contacts_between(body, world.aca, rod) for body in assembly)
                    if force > cfg.contact_force_n:
                        contact, travel = True, q
                        break
                    if q >= cfg.travel_m - 1e-4:
                        break
                    yield Feedback("probe", q / cfg.travel_m, force, q)
            finally:
                world.command_joint(
                    "volume_probe_z", "position", 0.0, cfg.velocity_mps, cfg.effort_n
                )
            yield from world.wait_home(
                "volume_probe_z", cfg.travel_m, cfg.velocity_mps, "retract_probe"
            )
        depth = travel - cfg.home_gap_m  # the tip rests home_gap_m above the rim at home
        height = world.config.tube.bore_depth_m - depth if contact else 0.0
        return ProbeResult(contact, travel, depth, height)


@dataclass(frozen=True)
class Image:
    """An RGB image (height x width x 3, uint8) and what the camera estimated from it."""

    rgb: np.ndarray
    rim_dust_estimate: float
    metres_per_pixel: float


class CacheCam(Device):
    """A camera looking down the bore of a tube engaged at the CacheCam station."""

    name = "cachecam"

    def capture(self) -> Operation[Image]:
        """Expose (0.1 s of sim time) and render the image with PyBullet's TinyRenderer."""
        world, cfg = self.world, self.world.config.cachecam
        with self.operating():
            yield from world.wait(0.1, "expose")
            x, y = cfg.xy_m
            eye = [x, y, cfg.engage_z_m + cfg.standoff_m]
            view = world.p.computeViewMatrix(eye, [x, y, cfg.engage_z_m], [1, 0, 0])
            proj = world.p.computeProjectionMatrixFOV(
                cfg.field_of_view_deg, cfg.width_px / cfg.height_px, 0.005, 0.5
            )
            _, _, rgba, _, _ = world.p.getCameraImage(
                cfg.width_px,
                cfg.height_px,
                view,
                proj,
                renderer=world.p.ER_TINY_RENDERER,
                lightDirection=[0.3, 0.2, 1.0],
                shadow=0,
            )
        rgb = (
            np.asarray(rgba, dtype=np.uint8)
            .reshape(cfg.height_px, cfg.width_px, 4)[:, :, :3]
            .copy()
        )
        scale = (
            2 * cfg.standoff_m * math.tan(math.radians(cfg.field_of_view_deg) / 2) / cfg.height_px
        )
        return Image(rgb, self.estimate_rim_dust(rgb, scale), scale)

    def _rim_mask(self, height: int, width: int, metres_per_pixel: float) -> np.ndarray:
        """Pixels that see the middle half of the rim of a tube at the focus plane."""
        key = (height, width, metres_per_pixel)
        if getattr(self, "_mask_key", None) != key:
            tube = self.world.config.tube
            yy, xx = np.mgrid[0:height, 0:width]
            r = np.hypot(xx - (width - 1) / 2, yy - (height - 1) / 2) * metres_per_pixel
            wall = tube.outer_radius_m - tube.bore_radius_m
            self._mask = (r > tube.bore_radius_m + 0.25 * wall) & (
                r < tube.outer_radius_m - 0.25 * wall
            )
            self._mask_key = key
        return self._mask

    def estimate_rim_dust(self, rgb: np.ndarray, metres_per_pixel: float) -> float:
        """Rim dust coverage 0..1 from the red/green ratio of the rim annulus pixels."""
        ring = self._rim_mask(rgb.shape[0], rgb.shape[1], metres_per_pixel)
        pixels = rgb[ring].astype(float)
        pixels = pixels[pixels[:, 1] > 10]
        if len(pixels) == 0:
            return 0.0
        ratio = float(np.median(pixels[:, 0] / pixels[:, 1]))
        c, u = CLEAN_RIM_RGB, DUST_RGB
        dust = (ratio * c[1] - c[0]) / ((u[0] - c[0]) - ratio * (u[1] - c[1]))
        return float(np.clip(dust, 0.0, 1.0))


@dataclass(frozen=True)
class DropResult:
    landed_on_end: bool
    tilt_rad: float
    fall_m: float


class DropPort(Device):
    """Releases the held tube over the floor opening; it falls to the ground below."""

    name = "drop_port"

    def drop(self, sha: Sha) -> Operation[DropResult]:
        """Open the gripper (with a seeded small tumble), wait for the tube to settle."""
        world, cfg = self.world, self.world.config.drop_port
        with self.operating():
            tube_id = sha.release()
            body = world.tube_bodies[tube_id]
            start_z = world.tube_pose(tube_id)[0][2]
            spin = world.rng.uniform(-cfg.release_spin_radps, cfg.release_spin_radps, size=2)
            world.p.resetBaseVelocity(body, [0, 0, 0], [float(spin[0]), float(spin[1]), 0.0])
            from dataclasses import replace

            world.set_tube(replace(world.tubes[tube_id], location=GROUND))
            yield from world.wait(cfg.settle_time_s, "fall")
        pos, orn = world.tube_pose(tube_id)
        axis = world.p.getMatrixFromQuaternion(orn)[6:9]
        tilt = math.acos(max(-1.0, min(1.0, axis[2])))
        return DropResult(tilt < cfg.on_end_tilt_rad, tilt, start_z - pos[2])
