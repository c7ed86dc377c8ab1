"""CacheCam frames against a bare getCameraImage of the same view and size (issue 25's
line: one frame at most 3x). Run by bench/run.py; each renderer present is measured: the
default TinyRenderer and, where the machine has EGL, PyBullet's EGL plugin."""

from __future__ import annotations

import time

from aca_sim.sim import procedures as steps
from aca_sim.sim.aca import Aca
from aca_sim.sim.renderers import egl_available, renderer_name

FRAMES = 12  # frames per measurement (after 2 warm-ups)


def _ms(fn, frames: int = FRAMES) -> float:
    """Median wall time of fn, ms."""
    for _ in range(2):
        fn()
    times = []
    for _ in range(frames):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * sorted(times)[len(times) // 2]


def _measure_one(egl: bool) -> list[tuple[str, float, str, float | None]]:
    aca = Aca.create(seed=0, egl=egl)
    try:
        world, cfg = aca.world, aca.config.cachecam
        aca.run(steps.retrieve_tube(aca, 20))
        aca.run(steps.move_arm(aca, station="station_cachecam", engage=True))
        world.update_tube(world.held_tube, rim_dust=0.5, bore_dust=0.1)
        camera, tube_id, name = aca.devices.cachecam, world.held_tube, renderer_name(world.p)
        x, y = cfg.xy_m
        view = world.p.computeViewMatrix(
            [x, y, cfg.engage_z_m + cfg.standoff_m], [x, y, cfg.engage_z_m], [1, 0, 0]
        )
        proj = world.p.computeProjectionMatrixFOV(
            cfg.field_of_view_deg, cfg.width_px / cfg.height_px, 0.005, 0.5
        )
        flag = world.p.ER_BULLET_HARDWARE_OPENGL if egl else world.p.ER_TINY_RENDERER
        size = f"{cfg.width_px}x{cfg.height_px}"
        raw = _ms(lambda: world.p.getCameraImage(cfg.width_px, cfg.height_px, view, proj,
                                                 renderer=flag))  # fmt: skip
        one = _ms(lambda: camera.render(tube_id, ("rim",)))
        pair = _ms(lambda: camera.render(tube_id)) / 2
        return [
            (f"bare getCameraImage {size} ({name})", raw, "ms", None),
            ("  CacheCam frame, one focus (<= 3x)", one, "ms", one / raw),
            ("  CacheCam capture (2 frames), per frame", pair, "ms", pair / raw),
        ]
    finally:
        aca.close()


def measure() -> list[tuple[str, float, str, float | None]]:
    """Rows for TinyRenderer and, where present, EGL."""
    rows = _measure_one(egl=False)
    if egl_available():
        rows += _measure_one(egl=True)
    return rows
