"""CacheCam: a camera looking down the bore of a tube engaged at its station, and the rim
dust estimate made from its pixels."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from aca_sim.sim.device import Device
from aca_sim.sim.holds import CLEAN_RIM_RGB, DUST_RGB
from aca_sim.sim.operation import Operation


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
            rgb = world.render(
                [x, y, cfg.engage_z_m + cfg.standoff_m],
                [x, y, cfg.engage_z_m],
                cfg.field_of_view_deg,
                (cfg.width_px, cfg.height_px),
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
