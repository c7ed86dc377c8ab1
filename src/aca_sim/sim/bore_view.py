"""What CacheCam sees down a tube's axis, ray-cast against the tube's true round shape.

Each pixel's ray (pinhole at the lens, looking down world -Z, image up = world +X, as
World.render) is intersected in the tube's rim frame (origin at the rim centre, +Z out of
the open end, axes of the tube body) with: the seal cap when a seal is in, the lip, the
bearing race (an eccentric flange below the lip), the bore's inner wall down to the sample
top, and the sample top (rock core, regolith, witness plate or the tube's bottom); other rays
see the PyBullet render of the scene behind. Surfaces are lit by the station's lamp beside
the lens (inverse-square, shadowed by the lip inside the bore) plus a little ambient light.
Dust is drawn from the tube's DustField as grain-sized specks whose area is the coverage.

Output is linear radiance; sim/optics.py focuses, exposes and quantises it. No PyBullet.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aca_sim.model.config import ModelConfig
from aca_sim.model.kinds import Contents
from aca_sim.sim.dust_field import LIP_BANDS, SECTORS, WALL_BAND_M, DustField
from aca_sim.sim.textures import grains, mottle

BACKGROUND, LIP, RACE, WALL, FLOOR, GAP, CAP = range(7)
RadiusTest = Callable[[np.ndarray], np.ndarray]  # points (N x 3) -> which are on the surface

# Albedos (linear RGB) of the materials CacheCam sees, and specular (strength, exponent).
TITANIUM = np.array([0.50, 0.51, 0.53], np.float32)
GOLD_RACE = np.array([0.86, 0.62, 0.24], np.float32)
TIN_WALL = np.array([0.30, 0.22, 0.08], np.float32)  # titanium-nitride coated bore
DUST = np.array([0.80, 0.62, 0.46], np.float32)  # light Martian dust deposit
ROCK_DARK = np.array([0.22, 0.20, 0.18], np.float32)  # a core's top: mottled grey-brown
ROCK_LIGHT = np.array([0.58, 0.52, 0.44], np.float32)
REGOLITH = np.array([0.55, 0.41, 0.30], np.float32)
WITNESS_PLATE = np.array([0.70, 0.70, 0.68], np.float32)
GAP_DARK = np.array([0.01, 0.01, 0.01], np.float32)
SPECULAR = {LIP: (0.25, 40.0), RACE: (0.9, 60.0), CAP: (0.3, 30.0)}
BACKGROUND_GAIN = 0.3  # the arm behind is far from the lamp
_SRGB_TO_LINEAR = ((np.arange(256) / 255.0) ** 2.2).astype(np.float32)  # the render's pixels


@dataclass(frozen=True)
class BoreScene:
    """One view: the lens and the lamp in the rim frame (m), world->rim rotation, the tube's
    dust field, what is at the bottom of the view and where (depth below the rim, m), the
    seal cap's top (m above the rim) if a seal is in, and a texture key (seed, tube id)."""

    lens: np.ndarray
    lamp: np.ndarray
    world_to_rim: np.ndarray
    field: DustField
    contents: Contents
    floor_depth_m: float
    cap_top_m: float | None
    key: tuple[int, int]


@dataclass(frozen=True)
class Shaded:
    """Linear radiance (H x W x 3, float32), camera-axis distance (H x W, m) and the surface
    id of each pixel."""

    radiance: np.ndarray
    depth: np.ndarray
    surface: np.ndarray


class BoreView:
    """Ray caster for one camera configuration (rays and textures made once)."""

    def __init__(self, config: ModelConfig) -> None:
        cam = config.cachecam
        self.config = config
        self.size = (cam.height_px, cam.width_px)
        tan_v = math.tan(math.radians(cam.field_of_view_deg) / 2)
        tan_h = tan_v * cam.width_px / cam.height_px
        right = (2 * (np.arange(cam.width_px) + 0.5) / cam.width_px - 1) * tan_h
        up = (1 - 2 * (np.arange(cam.height_px) + 0.5) / cam.height_px) * tan_v
        rays = np.empty((cam.height_px, cam.width_px, 3), np.float32)
        rays[..., 0] = up[:, None]  # image up is world +X
        rays[..., 1] = -right[None, :]  # image right is world -Y
        rays[..., 2] = -1.0
        self.rays = rays.reshape(-1, 3)  # forward component 1: t is the camera-axis distance
        self.background_mottle = mottle(self.size, (8, 32), (7, 1)).reshape(-1)

    def shade(self, scene: BoreScene, background: np.ndarray | None) -> Shaded:
        """Ray-cast and light the view; background is the scene render (H x W x 3 uint8), or
        None for black behind the tube."""
        tube = self.config.tube
        d = self.rays @ scene.world_to_rim.T.astype(np.float32)
        o = scene.lens.astype(np.float32)
        n_px = d.shape[0]
        surface = np.zeros(n_px, np.uint8)
        t = np.full(n_px, self.config.cachecam.standoff_m + 0.03, np.float32)
        point = np.zeros((n_px, 3), np.float32)
        normal = np.zeros((n_px, 3), np.float32)
        normal[:, 2] = 1.0

        def hit_plane(z: float, index: np.ndarray, sid: int, radius_ok: RadiusTest) -> np.ndarray:
            """Rays `index` meeting plane z (rim frame) where radius_ok(points) holds."""
            tt = (z - o[2]) / d[index, 2]
            p = o + tt[:, None] * d[index]
            ok = radius_ok(p)
            index, tt, p = index[ok], tt[ok], p[ok]
            surface[index], t[index], point[index] = sid, tt, p
            return index

        every = np.arange(n_px)
        t0 = -o[2] / d[:, 2]
        rho2 = (o[0] + t0 * d[:, 0]) ** 2 + (o[1] + t0 * d[:, 1]) ** 2
        r_bore2, r_out2 = tube.bore_radius_m**2, tube.outer_radius_m**2
        hit_plane(0.0, np.nonzero((rho2 >= r_bore2) & (rho2 <= r_out2))[0], LIP,
                  lambda p: np.ones(len(p), bool))  # fmt: skip
        e, r_race2 = tube.race_eccentricity_m, tube.race_outer_radius_m**2
        hit_plane(-tube.race_drop_m, np.nonzero(rho2 > r_out2)[0], RACE,
                  lambda p: (p[:, 0] - e) ** 2 + p[:, 1] ** 2 <= r_race2)  # fmt: skip
        self._bore(scene, o, d, np.nonzero(rho2 < r_bore2)[0], surface, t, point, normal)
        if scene.cap_top_m is not None:
            cap_r2 = self.config.seal.cap_radius_m**2
            hit_plane(scene.cap_top_m, every, CAP,
                      lambda p: p[:, 0] ** 2 + p[:, 1] ** 2 <= cap_r2)  # fmt: skip
            normal[surface == CAP] = (0.0, 0.0, 1.0)
        self._race_chamfer(surface, point, normal)
        radiance = self._light(scene, o, surface, point, normal, background)
        height, width = self.size
        return Shaded(
            radiance.reshape(height, width, 3),
            t.reshape(height, width),
            surface.reshape(height, width),
        )

    def _bore(self, scene: BoreScene, o: np.ndarray, d: np.ndarray, index: np.ndarray,
              surface: np.ndarray, t: np.ndarray, point: np.ndarray,
              normal: np.ndarray) -> None:  # fmt: skip
        """Rays entering the bore: the inner wall, else the sample top (or the gap beside a
        core narrower than the bore)."""
        r = self.config.tube.bore_radius_m
        dx, dy, dz = d[index, 0], d[index, 1], d[index, 2]
        a = np.maximum(dx * dx + dy * dy, 1e-12)
        b = 2 * (o[0] * dx + o[1] * dy)
        c = o[0] ** 2 + o[1] ** 2 - r * r
        tw = (-b + np.sqrt(np.maximum(b * b - 4 * a * c, 0))) / (2 * a)
        zw = o[2] + tw * dz
        floor_z = -scene.floor_depth_m
        on_wall = zw >= floor_z
        wall = index[on_wall]
        p = o + tw[on_wall, None] * d[wall]
        surface[wall], t[wall], point[wall] = WALL, tw[on_wall], p
        normal[wall, 0], normal[wall, 1], normal[wall, 2] = -p[:, 0] / r, -p[:, 1] / r, 0.0
        floor = index[~on_wall]
        tf = (floor_z - o[2]) / d[floor, 2]
        p = o + tf[:, None] * d[floor]
        surface[floor], t[floor], point[floor] = FLOOR, tf, p
        if scene.contents in (Contents.ROCK_CORE, Contents.REGOLITH):
            core_r = (
                min(self.config.core.radius_m, r) if scene.contents == Contents.ROCK_CORE else r
            )
            surface[floor[(p[:, 0] ** 2 + p[:, 1] ** 2) > core_r**2]] = GAP

    def _race_chamfer(self, surface: np.ndarray, point: np.ndarray, normal: np.ndarray) -> None:
        """The race's outer 0.8 mm is a 35 degree chamfer: tilt its normals outwards."""
        tube = self.config.tube
        race = np.nonzero(surface == RACE)[0]
        x = point[race, 0] - tube.race_eccentricity_m
        y = point[race, 1]
        rho = np.hypot(x, y)
        edge = rho > tube.race_outer_radius_m - 0.0008
        s, c = math.sin(math.radians(35)), math.cos(math.radians(35))
        idx = race[edge]
        normal[idx, 0] = s * x[edge] / rho[edge]
        normal[idx, 1] = s * y[edge] / rho[edge]
        normal[idx, 2] = c

    def _albedo(self, scene: BoreScene, surface: np.ndarray, point: np.ndarray) -> np.ndarray:
        """Per-pixel linear albedo with textures and dust."""
        tube, key = self.config.tube, scene.key
        albedo = np.zeros((surface.size, 3), np.float32)
        rho = np.hypot(point[:, 0], point[:, 1])
        angle = np.mod(np.arctan2(point[:, 1], point[:, 0]), 2 * math.pi)
        theta_tex = (angle * (1024 / (2 * math.pi))).astype(np.int32) % 1024
        sector_pos = angle * (SECTORS / (2 * math.pi)) - 0.5

        def around(values: np.ndarray, index: np.ndarray, band: np.ndarray) -> np.ndarray:
            """values[sector, band] interpolated between sector centres."""
            pos = sector_pos[index]
            low = np.floor(pos).astype(np.int32)
            frac = pos - low
            return (
                values[low % SECTORS, band] * (1 - frac) + values[(low + 1) % SECTORS, band] * frac
            )

        lip = np.nonzero(surface == LIP)[0]
        across = (rho[lip] - tube.bore_radius_m) / (tube.outer_radius_m - tube.bore_radius_m)
        across = np.clip(across, 0, 0.999)
        cover = around(scene.field.lip, lip, (across * LIP_BANDS).astype(np.int32))
        grain = grains((1024, 64), 3, (*key, 1))[theta_tex[lip], (across * 64).astype(np.int32)]
        machining = 1 + 0.06 * np.sin(rho[lip] * (2 * math.pi / 0.00012))
        albedo[lip] = self._dusted(TITANIUM[None, :] * machining[:, None], cover, grain)
        race = np.nonzero(surface == RACE)[0]
        turned = 1 + 0.05 * np.sin(rho[race] * (2 * math.pi / 0.00009))
        albedo[race] = GOLD_RACE[None, :] * turned[:, None]
        wall = np.nonzero(surface == WALL)[0]
        depth = np.clip(-point[wall, 2], 0, None)
        band = np.minimum((depth / WALL_BAND_M).astype(np.int32), scene.field.wall.shape[1])
        padded = np.concatenate([scene.field.wall, np.zeros((SECTORS, 1))], axis=1)
        cover = around(padded, wall, band)
        depth_tex = np.minimum((depth * (256 / 0.04)).astype(np.int32), 255)
        grain = grains((1024, 256), 3, (*key, 2))[theta_tex[wall], depth_tex]
        albedo[wall] = self._dusted(TIN_WALL[None, :], cover, grain)
        floor = np.nonzero(surface == FLOOR)[0]
        albedo[floor] = self._floor(scene, point[floor])
        albedo[surface == GAP] = GAP_DARK
        albedo[surface == CAP] = TITANIUM
        return albedo

    @staticmethod
    def _dusted(base: np.ndarray, cover: np.ndarray, grain: np.ndarray) -> np.ndarray:
        """Base albedo with dust specks wherever the grain field lies under the coverage."""
        speck = np.clip((cover - grain) * 20 + 0.5, 0, 1)[:, None]
        return base * (1 - speck) + DUST[None, :] * speck

    def _floor(self, scene: BoreScene, point: np.ndarray) -> np.ndarray:
        """The view's bottom: a rock core's mottled top, regolith grains, the witness plate or
        the tube's titanium-nitride bottom."""
        r = self.config.tube.bore_radius_m
        u = np.clip(((point[:, 0] + r) / (2 * r) * 255).astype(np.int32), 0, 255)
        v = np.clip(((point[:, 1] + r) / (2 * r) * 255).astype(np.int32), 0, 255)
        if scene.contents == Contents.ROCK_CORE:
            tone = mottle((256, 256), (4, 16, 48), (*scene.key, 3))[u, v]
            speck = grains((256, 256), 2, (*scene.key, 4))[u, v]
            mix = np.clip((tone - 0.75) / 0.5 + 0.4 * (speck > 0.92) - 0.4 * (speck < 0.05), 0, 1)
            return ROCK_DARK[None, :] * (1 - mix[:, None]) + ROCK_LIGHT[None, :] * mix[:, None]
        if scene.contents == Contents.REGOLITH:
            tone = mottle((256, 256), (2, 6), (*scene.key, 5))[u, v]
            return REGOLITH[None, :] * tone[:, None]
        if scene.contents == Contents.WITNESS_MEDIA:
            return np.broadcast_to(WITNESS_PLATE, (len(point), 3))
        return np.broadcast_to(TIN_WALL, (len(point), 3))

    def _light(self, scene: BoreScene, o: np.ndarray, surface: np.ndarray, point: np.ndarray,
               normal: np.ndarray, background: np.ndarray | None) -> np.ndarray:  # fmt: skip
        """Radiance: albedo x (lamp + ambient) + the metals' highlight on the tube's pixels;
        the scene behind as rendered, dimmed and mottled, on the others (0 without one)."""
        if background is None:
            radiance = np.zeros((surface.size, 3), np.float32)
        else:
            radiance = np.empty((surface.size, 3), np.float32)
            back = np.nonzero(surface == BACKGROUND)[0]
            linear = _SRGB_TO_LINEAR[background.reshape(-1, 3)[back]]
            radiance[back] = linear * (BACKGROUND_GAIN * self.background_mottle[back])[:, None]
        tube_px = np.nonzero(surface != BACKGROUND)[0]
        radiance[tube_px] = self._lit(scene, o, surface[tube_px], point[tube_px], normal[tube_px])
        return radiance

    def _lit(self, scene: BoreScene, o: np.ndarray, surface: np.ndarray, point: np.ndarray,
             normal: np.ndarray) -> np.ndarray:  # fmt: skip
        """Radiance of tube pixels (surface ids, points, normals in the rim frame)."""
        cam, tube = self.config.cachecam, self.config.tube
        lamp = scene.lamp.astype(np.float32)
        power = float(lamp @ lamp)  # the lip's centre, facing the lamp, gets 1
        to_lamp = lamp - point
        dist2 = np.einsum("ij,ij->i", to_lamp, to_lamp)
        to_lamp /= np.sqrt(dist2)[:, None]
        n_dot_l = np.clip(np.einsum("ij,ij->i", normal, to_lamp), 0, None)
        lit = np.ones(surface.size, np.float32)
        deep = np.nonzero((surface == WALL) | (surface == FLOOR) | (surface == GAP))[0]
        p, v = point[deep], lamp - point[deep]
        s = -p[:, 2] / (v[:, 2] + 1e-9)
        qx, qy = p[:, 0] + s * v[:, 0], p[:, 1] + s * v[:, 1]
        lit[deep] = (qx * qx + qy * qy) < tube.bore_radius_m**2
        ambient = np.full(surface.size, cam.ambient, np.float32)
        ambient[deep] *= np.exp(point[deep, 2] / 0.02)  # less scattered light deeper down
        if scene.cap_top_m is not None:
            lit[deep] = 0.0
            ambient[deep] = 0.0
        irradiance = power * n_dot_l * lit / dist2 + ambient
        radiance = self._albedo(scene, surface, point) * irradiance[:, None]
        for sid, (strength, exponent) in SPECULAR.items():
            idx = np.nonzero(surface == sid)[0]
            view = o - point[idx]
            half = to_lamp[idx] + view / (np.linalg.norm(view, axis=1)[:, None] + 1e-12)
            half /= np.linalg.norm(half, axis=1)[:, None] + 1e-12
            n_dot_h = np.clip(np.einsum("ij,ij->i", normal[idx], half), 0, None)
            glint = strength * n_dot_h**exponent * power / dist2[idx] * lit[idx]
            tint = GOLD_RACE if sid == RACE else TITANIUM
            radiance[idx] += glint[:, None] * tint[None, :]
        return radiance
