"""CacheCam: the camera looking down the bore of a tube engaged at its station. Each capture
is a pair of frames, as the rover takes them: rim in focus (the lip, the bearing race and the
coupling surface sharp; the rim-dust reading is made from it) and sample in focus (the core's
top sharp at its depth, exposed for it). Frames are 8-bit sRGB, image up = world +X."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from aca_sim.model.kinds import Contents, SealState
from aca_sim.sim import optics, rest_coast
from aca_sim.sim.bore_view import CAP, FLOOR, LIP, RACE, BoreScene, BoreView, Shaded
from aca_sim.sim.bore_view import DUST as DUST_ALBEDO
from aca_sim.sim.bore_view import TIN_WALL as WALL_ALBEDO
from aca_sim.sim.device import Device
from aca_sim.sim.dust_field import dust_field
from aca_sim.sim.operation import Operation

FOCUS_MODES = ("rim", "sample")
EXPOSURE = {"rim": 0.8, "sample": 0.45}  # metered region's 98th percentile (linear)
SAMPLE_GAIN_LIMIT = 3.0  # the sample frame's gain is at most this times the rim frame's
READING_MARGIN_M = 0.0015  # the reading skips this much of the coupling band at each end
MIN_SHADE = 0.01  # pixels darker than this (linear, dust-free) are too noisy to read
READING_SECTORS = 36  # the ring is read sector by sector (shade-weighted within one)
WINDOW_MARGIN_PX = 32  # a reading-only frame is developed this far around the ring (the
# widest blur, 12 px, reaches 12 px; 4 px blocks: sim.optics.blurred)
Region = tuple[slice, slice]  # rows, columns of a frame
WHOLE: Region = (slice(None), slice(None))


@dataclass(frozen=True)
class Image:
    """One frame: rgb (height x width x 3, uint8), its focus mode ("rim" or "sample") and
    focus distance from the lens (m), the rim-dust reading from the capture's rim frame (0..1)
    and the scale at the rim plane (m per pixel)."""

    rgb: np.ndarray
    focus: str
    focus_distance_m: float
    rim_dust_estimate: float
    metres_per_pixel: float


@dataclass(frozen=True)
class Capture:
    """The frames of one capture: both, or only the rim frame (CacheCam.reading_only)."""

    rim: Image
    sample: Image | None

    @property
    def rim_dust_estimate(self) -> float:
        return self.rim.rim_dust_estimate

    @property
    def frames(self) -> tuple[Image, ...]:
        return (self.rim,) if self.sample is None else (self.rim, self.sample)


class CacheCam(Device):
    """A camera looking down the bore of a tube engaged at the CacheCam station."""

    name = "cachecam"
    # True where nobody looks at the frames (headless campaigns and studies): a capture then
    # renders only what the reading needs: the rim frame, without the scene behind the tube,
    # developed (focused, exposed) only around the reading's ring (reading_window), black
    # elsewhere. The reading is the same, bit for bit (its pixels see only the tube, and the
    # exposure is metered on the whole frame's lip and race); the sample frame is left out.
    reading_only = False

    def capture(self) -> Operation[Capture]:
        """Expose both frames (0.1 s of sim time in all) and render them."""
        with self.operating():
            yield from rest_coast.wait(self.world, 0.1, "expose")
            if self.reading_only:
                rim = self.render(self.world.held_tube, ("rim",), False, self.reading_window())
                capture = Capture(rim, None)
            else:
                capture = self.render(self.world.held_tube)
        return capture

    # ------------------------------------------------------------------ rendering
    @property
    def view(self) -> BoreView:
        if getattr(self, "_view", None) is None:
            self._view = BoreView(self.world.config)
        return self._view

    @property
    def metres_per_pixel(self) -> float:
        """Scale at the rim plane (the focus plane of the rim frame), m per pixel."""
        cfg = self.world.config.cachecam
        return (
            2 * cfg.standoff_m * math.tan(math.radians(cfg.field_of_view_deg) / 2) / cfg.height_px
        )

    def render(
        self,
        tube_id: int,
        modes: tuple[str, ...] = FOCUS_MODES,
        scene: bool = True,
        region: Region = WHOLE,
    ) -> Capture | Image:
        """The frames of tube_id as it is now (a Capture of both modes, or the one Image
        when one mode is asked for). TinyRenderer (or EGL) draws the scene behind the tube,
        unless scene is False (black behind it). region: where the frames are developed
        (focused and exposed; black elsewhere), the whole frame by default; every pixel is
        shaded (the exposure meters the whole frame) and gets the noise it gets in a whole
        frame."""
        world, cfg = self.world, self.world.config.cachecam
        x, y = cfg.xy_m
        lens = [x, y, cfg.engage_z_m + cfg.standoff_m]
        size = (cfg.width_px, cfg.height_px)
        background = None
        if scene:
            background = world.render(lens, [x, y, cfg.engage_z_m], cfg.field_of_view_deg, size)
        view = self.scene(tube_id, np.array(lens))
        shaded = self.view.shade(view, background)
        levels = optics.blur_stack(shaded.radiance[region])
        rng = np.random.default_rng([world.seed, tube_id, world.step_count])
        frames = {mode: self._frame(shaded, view, mode, levels, rng, region) for mode in modes}
        reading = self.estimate_rim_dust(frames["rim"][0]) if "rim" in frames else float("nan")
        images = {
            mode: Image(rgb, mode, distance, reading, self.metres_per_pixel)
            for mode, (rgb, distance) in frames.items()
        }
        if len(modes) == 1:
            return images[modes[0]]
        return Capture(images["rim"], images["sample"])

    def scene(self, tube_id: int, lens_world: np.ndarray) -> BoreScene:
        """The tube's pose, contents, seal and dust, in its rim frame."""
        world, config = self.world, self.world.config
        tube = world.tubes[tube_id]
        position, orientation = world.holds.tube_pose(tube_id)
        rotation = np.array(world.p.getMatrixFromQuaternion(orientation)).reshape(3, 3)
        rim = np.asarray(position) + rotation[:, 2] * config.tube.length_m
        to_rim = rotation.T
        lamp = lens_world + np.array(config.cachecam.lamp_offset_m)
        if tube.contents in (Contents.ROCK_CORE, Contents.REGOLITH) and tube.core_top_depth_m > 0:
            floor = tube.core_top_depth_m
        elif tube.contents == Contents.WITNESS_MEDIA:
            floor = tube.core_top_depth_m or config.tube.witness_plate_depth_m
        else:
            floor = config.tube.bore_depth_m
        cap = None
        if (
            tube.seal_state != SealState.NONE
            and tube.seal_id
            and world.holds.has_seal(tube.seal_id)
        ):
            plug_bottom = world.holds.seal_position(tube.seal_id) - rim
            cap = (
                float(to_rim[2] @ plug_bottom)
                + config.seal.plug_length_m
                + config.seal.cap_thickness_m
            )
        field = dust_field(config, world.seed, tube_id, tube.rim_dust, tube.bore_dust)
        return BoreScene(to_rim @ (lens_world - rim), to_rim @ (lamp - rim), to_rim, field,
                         tube.contents, floor, cap, (world.seed, tube_id))  # fmt: skip

    def reading_window(self) -> Region:
        """The frame's region a reading-only capture develops: the reading's ring and
        WINDOW_MARGIN_PX around it, on 4-pixel block boundaries (so that every blur level
        is the whole frame's there)."""
        cfg = self.world.config.cachecam
        height, width = cfg.height_px, cfg.width_px
        focal_px = (height / 2) / math.tan(math.radians(cfg.field_of_view_deg) / 2)
        outer = self.world.config.tube.bore_radius_m / cfg.standoff_m * focal_px
        reach = outer + WINDOW_MARGIN_PX

        def span(size: int) -> slice:
            low = max(0, math.floor(((size - 1) / 2 - reach) / 4) * 4)
            return slice(low, min(size, math.ceil(((size - 1) / 2 + reach) / 4) * 4))

        return span(height), span(width)

    def _frame(self, shaded: Shaded, scene: BoreScene, mode: str, levels: list[np.ndarray],
               rng: np.random.Generator, region: Region) -> tuple[np.ndarray, float]:  # fmt: skip
        """(uint8 frame, focus distance m) for one focus mode, developed within region
        (levels: the radiance's blur stack there). The rim frame is metered on the lip and
        race; the sample frame on the sample (the cap when sealed), its gain at most
        SAMPLE_GAIN_LIMIT times the rim frame's."""
        cfg = self.world.config.cachecam
        standoff = float(scene.lens[2])
        rim_gain = optics.metered_gain(
            shaded.radiance, np.isin(shaded.surface, (LIP, RACE)), EXPOSURE["rim"]
        )
        if mode == "rim":
            distance, gain = standoff, rim_gain
        elif mode == "sample":
            sealed = scene.cap_top_m is not None
            distance = standoff - scene.cap_top_m if sealed else standoff + scene.floor_depth_m
            metered = shaded.surface == (CAP if sealed else FLOOR)
            gain = optics.metered_gain(shaded.radiance, metered, EXPOSURE["sample"])
            gain = min(gain, SAMPLE_GAIN_LIMIT * rim_gain)
        else:
            raise ValueError(f"focus mode must be one of {FOCUS_MODES}, got {mode!r}")
        scale = optics.blur_scale_px_m(cfg.standoff_m, cfg.depth_of_field_m)
        noise = rng.standard_normal(shaded.radiance.shape, dtype=np.float32)
        radiance = optics.focus(
            shaded.radiance[region], shaded.depth[region], distance, scale, levels
        )
        developed = optics.expose(radiance, gain, cfg.read_noise, noise[region])
        if region == WHOLE:
            return developed, distance
        frame = np.zeros(shaded.radiance.shape, np.uint8)
        frame[region] = developed
        return frame, distance

    # ------------------------------------------------------------------ the reading
    def _reading_ring(self, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """(mask, sector of each masked pixel): pixels that see the coupling surface (the
        bore's top seal.plug_length_m, less READING_MARGIN_M at each end) of a tube engaged
        on the camera's axis: the camera's calibrated geometry, not the tube's actual pose."""
        key = (height, width)
        if getattr(self, "_ring_key", None) != key:
            config = self.world.config
            cfg, bore = config.cachecam, config.tube.bore_radius_m
            focal_px = (height / 2) / math.tan(math.radians(cfg.field_of_view_deg) / 2)
            yy, xx = np.mgrid[0:height, 0:width]
            r = np.hypot(xx - (width - 1) / 2, yy - (height - 1) / 2)
            near = READING_MARGIN_M
            far = config.seal.plug_length_m - READING_MARGIN_M
            outer = bore / (cfg.standoff_m + near) * focal_px
            inner = bore / (cfg.standoff_m + far) * focal_px
            ring = (r > inner) & (r < outer)
            angle = np.arctan2(yy - (height - 1) / 2, xx - (width - 1) / 2)[ring]
            sector = ((angle + math.pi) / (2 * math.pi) * READING_SECTORS).astype(np.int64)
            self._ring = (ring, np.minimum(sector, READING_SECTORS - 1))
            self._ring_key = key
        return self._ring

    def estimate_rim_dust(self, rgb: np.ndarray) -> float:
        """Dust coverage 0..1 of the coupling surface, read from a rim-in-focus frame: each
        pixel of the ring that sees it is unmixed (linear RGB, least squares) into shade x
        (clean titanium-nitride + coverage x (dust - clean)), the calibrated albedos of the
        two; the reading is the mean over sectors of each sector's coverage (its pixels lit
        enough to read, weighted by their shade)."""
        ring, sector = self._reading_ring(rgb.shape[0], rgb.shape[1])
        pixels = optics.linear_of(rgb[ring])
        basis = np.stack([WALL_ALBEDO, DUST_ALBEDO - WALL_ALBEDO], axis=1)  # 3 x 2
        shade, dusty = np.linalg.pinv(basis) @ pixels.T
        readable = shade > MIN_SHADE
        shade_sum = np.bincount(sector[readable], shade[readable], READING_SECTORS)
        dusty_sum = np.bincount(sector[readable], dusty[readable], READING_SECTORS)
        seen = shade_sum > 0
        if not seen.any():
            return 0.0
        return float(np.clip(np.mean(dusty_sum[seen] / shade_sum[seen]), 0.0, 1.0))
