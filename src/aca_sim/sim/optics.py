"""CacheCam's optics and sensor: depth of field about a focus distance, auto exposure on
what is in focus, read and shot noise, sRGB quantisation; and the inverse (uint8 -> linear)
the rim-dust reading uses. Pure numpy; deterministic for a given noise generator."""

from __future__ import annotations

import numpy as np

BLUR_LEVELS_PX = (0.0, 1.5, 3.0, 6.0, 12.0)  # blur radii rendered; others interpolate
IN_FOCUS_PX = 1.5  # blur radius at the edge of the depth of field
BLACK_LEVEL = 0.02  # the sensor's pedestal (linear): noise in the darks is not clipped
SHOULDER = 0.6  # above this (linear) highlights roll off towards 1 instead of clipping


def blur_scale_px_m(standoff_m: float, depth_of_field_m: float) -> float:
    """K in radius_px = K * |1/z - 1/z_focus| (z in m): a thin lens whose blur at
    standoff - depth_of_field, focused at standoff, is IN_FOCUS_PX."""
    return IN_FOCUS_PX / abs(1 / (standoff_m - depth_of_field_m) - 1 / standoff_m)


def _box(image: np.ndarray, radius: int, axis: int) -> np.ndarray:
    """Mean over a window of 2 * radius + 1 pixels along `axis` (edges repeated)."""
    pad = [(0, 0)] * image.ndim
    if radius <= 2:  # a few shifted sums beat a cumulative sum
        pad[axis] = (radius, radius)
        padded = np.pad(image, pad, mode="edge")
        length = image.shape[axis]
        window = [slice(None)] * image.ndim
        total = None
        for shift in range(2 * radius + 1):
            window[axis] = slice(shift, shift + length)
            part = padded[tuple(window)]
            total = part.copy() if total is None else np.add(total, part, out=total)
        return total * np.float32(1 / (2 * radius + 1))
    pad[axis] = (radius + 1, radius)
    total = np.cumsum(np.pad(image, pad, mode="edge"), axis=axis, dtype=np.float32)
    upper = [slice(None)] * image.ndim
    lower = [slice(None)] * image.ndim
    upper[axis], lower[axis] = slice(2 * radius + 1, None), slice(None, -2 * radius - 1)
    return (total[tuple(upper)] - total[tuple(lower)]) / (2 * radius + 1)


def _pool(image: np.ndarray) -> np.ndarray:
    """2x2 mean pooling (odd edges dropped)."""
    height, width = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    crop = image[:height, :width]
    return (crop[0::2, 0::2] + crop[1::2, 0::2] + crop[0::2, 1::2] + crop[1::2, 1::2]) * 0.25


def blurred(image: np.ndarray, radius_px: float) -> np.ndarray:
    """An approximately disc-shaped blur of radius_px: a separable box pass at full
    resolution up to 3 px; beyond, on a copy pooled 2x2 (up to 6 px) or 4x4, brought back to
    size (blocks of 2 or 4 px, under a blur of 6 or 12 px)."""
    if radius_px <= 3:
        half = max(1, round(radius_px / 1.5))
        return _box(_box(image, half, 0), half, 1)
    factor = 2 if radius_px <= 6 else 4
    small = _pool(image) if factor == 2 else _pool(_pool(image))
    half = max(1, round(radius_px / (1.5 * factor)))
    small = _box(_box(small, half, 0), half, 1)
    out = np.repeat(np.repeat(small, factor, axis=0), factor, axis=1)
    missing = (image.shape[0] - out.shape[0], image.shape[1] - out.shape[1])
    if any(missing):
        out = np.pad(out, [(0, missing[0]), (0, missing[1]), (0, 0)], mode="edge")
    return out


def focus(radiance: np.ndarray, depth_m: np.ndarray, focus_m: float, scale_px_m: float,
          levels: list[np.ndarray] | None = None) -> np.ndarray:  # fmt: skip
    """Radiance as seen through the lens focused at focus_m: each pixel takes the blur of its
    own distance (interpolated between BLUR_LEVELS_PX; pass `levels`, the image blurred at
    each of them, to reuse them across focus settings)."""
    levels = levels or blur_stack(radiance)
    radius = scale_px_m * np.abs(1 / depth_m - 1 / focus_m)
    position = np.interp(radius, BLUR_LEVELS_PX, np.arange(len(BLUR_LEVELS_PX))).ravel()
    low = np.minimum(position.astype(np.int32), len(levels) - 2)
    frac = (position - low).astype(np.float32)[:, None]
    out = np.empty((position.size, 3), np.float32)
    for index in range(len(levels) - 1):
        pixels = np.nonzero(low == index)[0]
        if pixels.size:
            below = levels[index].reshape(-1, 3)[pixels]
            above = levels[index + 1].reshape(-1, 3)[pixels]
            out[pixels] = below + (above - below) * frac[pixels]
    return out.reshape(radiance.shape)


def blur_stack(radiance: np.ndarray) -> list[np.ndarray]:
    """The image at every blur level of BLUR_LEVELS_PX."""
    return [radiance] + [blurred(radiance, r) for r in BLUR_LEVELS_PX[1:]]


def metered_gain(radiance: np.ndarray, metered: np.ndarray, target: float) -> float:
    """The gain that brings the metered pixels' 98th percentile luminance to `target`."""
    if not metered.any():
        return 1.0
    luminance = radiance[metered] @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    return target / max(float(np.percentile(luminance, 98)), 1e-6)


def expose(radiance: np.ndarray, gain: float, read_noise: float,
           noise: np.ndarray) -> np.ndarray:  # fmt: skip
    """sRGB uint8 frame of radiance x gain, with shot and read noise (noise: standard
    normal float32 draws, radiance's shape), the pedestal and the highlight shoulder."""
    linear = radiance * gain
    sigma = read_noise + 0.01 * np.sqrt(np.clip(linear, 0, None))
    linear = linear + sigma * noise
    return to_srgb8(BLACK_LEVEL + (1 - BLACK_LEVEL) * _roll_off(linear))


def _roll_off(x: np.ndarray) -> np.ndarray:
    """Identity up to SHOULDER, then an exponential shoulder approaching 1."""
    span = 1 - SHOULDER
    return np.where(x <= SHOULDER, x, SHOULDER + span * (1 - np.exp(-(x - SHOULDER) / span)))


def _roll_off_inverse(y: np.ndarray) -> np.ndarray:
    span = 1 - SHOULDER
    above = np.clip(1 - (y - SHOULDER) / span, 1e-6, None)
    return np.where(y <= SHOULDER, y, SHOULDER - span * np.log(above))


def to_srgb8(linear: np.ndarray) -> np.ndarray:
    """Linear 0..1 -> sRGB uint8 (clipped)."""
    x = np.clip(linear, 0, 1)
    srgb = np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)
    return (srgb * 255 + 0.5).astype(np.uint8)


def linear_of(rgb8: np.ndarray) -> np.ndarray:
    """sRGB uint8 -> exposed linear light (float32; the pedestal removed, the shoulder
    undone): the camera's calibrated response inverted."""
    table = np.arange(256, dtype=np.float64) / 255
    table = np.where(table <= 0.04045, table / 12.92, ((table + 0.055) / 1.055) ** 2.4)
    table = _roll_off_inverse((table - BLACK_LEVEL) / (1 - BLACK_LEVEL))
    return table.astype(np.float32)[rgb8]
