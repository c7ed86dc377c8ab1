"""CacheCam: the rim-dust reading made from the image tracks the hidden coverage, the two
focus modes, the tube drawn round, the dust field behind it (no ROS)."""

import math

import numpy as np
import pytest

from aca_sim.sim import procedures as steps
from aca_sim.sim.bore_view import LIP, RACE, WALL
from aca_sim.sim.dust_field import bands, dust_field

READING_ERROR = 0.06  # |reading - hidden rim_dust| for any coverage, stated in the README


@pytest.fixture
def engaged(cored_aca):
    """The cored tube engaged at the CacheCam station (no image taken yet)."""
    aca = cored_aca
    aca.run(aca.devices.sha.go_to_station(aca.stations["station_cachecam"], engage=True))
    return aca, aca.world.held_tube


def render(aca, tube_id, rim_dust, bore_dust=0.0):
    aca.world.update_tube(tube_id, rim_dust=rim_dust, bore_dust=bore_dust)
    return aca.devices.cachecam.render(tube_id)


def test_the_reading_orders_a_clean_a_swept_and_a_dusty_rim_and_tracks_the_hidden_value(engaged):
    aca, tube_id = engaged
    tool = aca.devices.bore_sweep_tool
    clean = render(aca, tube_id, 0.0).rim_dust_estimate
    dusty = render(aca, tube_id, 0.6).rim_dust_estimate
    for _ in range(19):  # Mageik's 19 sweeps, as the tool moves the dust
        tool.move_dust(tube_id)
    swept_tube = aca.world.tubes[tube_id]
    assert 0.0 < swept_tube.rim_dust < 0.6 and swept_tube.bore_dust > 0
    swept = aca.devices.cachecam.render(tube_id).rim_dust_estimate
    assert clean < swept < dusty, (clean, swept, dusty)
    assert abs(swept - swept_tube.rim_dust) <= READING_ERROR
    for hidden in (0.0, 0.03, 0.15, 0.35, 0.6, 0.9):
        reading = render(aca, tube_id, hidden).rim_dust_estimate
        assert abs(reading - hidden) <= READING_ERROR, (hidden, reading)


def test_a_capture_is_a_rim_frame_and_a_sample_frame_focused_at_the_core(engaged):
    aca, tube_id = engaged
    capture = render(aca, tube_id, 0.4)
    cfg = aca.world.config.cachecam
    tube = aca.world.tubes[tube_id]
    assert [f.focus for f in capture.frames] == ["rim", "sample"]
    assert capture.rim.focus_distance_m == pytest.approx(cfg.standoff_m, abs=0.002)
    assert capture.sample.focus_distance_m == pytest.approx(
        cfg.standoff_m + tube.core_top_depth_m, abs=0.002
    )
    for frame in capture.frames:
        assert frame.rgb.shape == (cfg.height_px, cfg.width_px, 3) and frame.rgb.dtype == np.uint8
    # What is in focus is sharp: the core's texture in the sample frame, the lip in the rim one.
    core = _disc(cfg, 0.0, 0.5 * aca.world.config.core.radius_m, tube.core_top_depth_m)
    lip = _annulus_px(aca, 0.0)
    assert _detail(capture.sample.rgb, core) > 2 * _detail(capture.rim.rgb, core)
    assert _detail(capture.rim.rgb, lip) > 1.5 * _detail(capture.sample.rgb, lip)


def test_the_tube_is_round_and_the_race_eccentric(engaged):
    aca, tube_id = engaged
    camera = aca.devices.cachecam
    cfg = aca.world.config.cachecam
    scene = camera.scene(tube_id, np.array([*cfg.xy_m, cfg.engage_z_m + cfg.standoff_m]))
    surface = camera.view.shade(scene, np.zeros((cfg.height_px, cfg.width_px, 3), np.uint8))
    surface = surface.surface
    centre = ((cfg.height_px - 1) / 2, (cfg.width_px - 1) / 2)
    lip_edge = _edge_radii(surface, centre, LIP)
    race_edge = _edge_radii(surface, centre, RACE)
    wall_edge = _edge_radii(surface, centre, WALL)
    # Round to within a pixel all the way round (an octagon of this size is off by ~8 px).
    assert np.ptp(lip_edge) <= 2.0 and np.ptp(wall_edge) <= 2.0
    # The race flange is wider on its +X side (image up) than on the opposite side.
    assert race_edge[0] - race_edge[len(race_edge) // 2] > 10


def test_the_dust_field_holds_the_record_and_the_sweeps_move_it_deeper(engaged):
    aca, tube_id = engaged
    config, seed = aca.world.config, aca.world.seed
    coupling, first, total = bands(config)
    before = dust_field(config, seed, tube_id, 0.6, 0.0)
    after = dust_field(config, seed, tube_id, 0.35, 0.25)
    assert before.coupling_mean(coupling) == pytest.approx(0.6, abs=1e-6)
    assert after.coupling_mean(coupling) == pytest.approx(0.35, abs=1e-6)
    assert before.wall[:, first:].max() == 0 and after.wall[:, first:].mean() == pytest.approx(
        0.25
    )
    assert after.lip.mean() < before.lip.mean()
    assert np.ptp(before.wall[:, 0]) > 0.2  # deposits, not a uniform film
    again = dust_field(config, seed, tube_id, 0.6, 0.0)
    assert np.array_equal(before.wall, again.wall)  # a pure function of record and seed
    other = dust_field(config, seed + 1, tube_id, 0.6, 0.0)
    assert not np.array_equal(before.wall, other.wall)
    assert total > first > coupling
    # The insertion force follows the coupling surface, which the image reads.
    forces = [config.dust.insertion_force_n(v) for v in (0.6, 0.35)]
    assert forces[0] > forces[1]


def test_the_capture_step_returns_the_pair(engaged):
    aca, tube_id = engaged
    aca.world.update_tube(tube_id, rim_dust=0.5)
    capture = aca.run(steps.capture_image(aca))
    assert capture.rim_dust_estimate == pytest.approx(0.5, abs=READING_ERROR)
    assert 20e-6 < capture.rim.metres_per_pixel < 80e-6


def _edge_radii(surface, centre, sid, rays=64):
    """Outer radius (px) of surface sid along `rays` directions from the image centre,
    starting at image up."""
    radii = []
    for k in range(rays):
        angle = 2 * math.pi * k / rays
        r = np.arange(0, 300, 0.25)
        rows = np.round(centre[0] - r * math.cos(angle)).astype(int)
        cols = np.round(centre[1] - r * math.sin(angle)).astype(int)
        ok = (rows >= 0) & (rows < surface.shape[0]) & (cols >= 0) & (cols < surface.shape[1])
        hits = r[ok][surface[rows[ok], cols[ok]] == sid]
        radii.append(hits.max() if hits.size else 0.0)
    return np.array(radii)


def _disc(cfg, inner_m, outer_m, depth_m):
    """Pixels seeing radii inner..outer (m) at depth_m below the rim, tube on the axis."""
    focal = (cfg.height_px / 2) / math.tan(math.radians(cfg.field_of_view_deg) / 2)
    yy, xx = np.mgrid[0 : cfg.height_px, 0 : cfg.width_px]
    r = np.hypot(yy - (cfg.height_px - 1) / 2, xx - (cfg.width_px - 1) / 2)
    scale = focal / (cfg.standoff_m + depth_m)
    return (r >= inner_m * scale) & (r < outer_m * scale)


def _annulus_px(aca, depth_m):
    tube, cfg = aca.world.config.tube, aca.world.config.cachecam
    return _disc(cfg, tube.bore_radius_m + 0.0005, tube.outer_radius_m - 0.0005, depth_m)


def _detail(rgb, mask):
    """Mean absolute horizontal gradient of the green channel inside mask (sharpness)."""
    green = rgb[:, :, 1].astype(float)
    gradient = np.abs(np.diff(green, axis=1))
    return float(gradient[mask[:, 1:] & mask[:, :-1]].mean())


def test_a_reading_only_capture_reads_the_same_from_the_rim_frame_alone(engaged):
    aca, tube_id = engaged
    camera = aca.devices.cachecam
    aca.world.update_tube(tube_id, rim_dust=0.45, bore_dust=0.1)
    full = aca.run(steps.capture_image(aca))
    camera.reading_only = True
    try:
        aca.world.update_tube(tube_id, rim_dust=0.45, bore_dust=0.1)
        alone = aca.run(steps.capture_image(aca))
    finally:
        camera.reading_only = False
    assert [f.focus for f in alone.frames] == ["rim"]
    assert abs(alone.rim_dust_estimate - full.rim_dust_estimate) < 0.01


def test_a_reading_only_frame_is_the_whole_frame_where_the_reading_looks(engaged):
    aca, tube_id = engaged
    camera = aca.devices.cachecam
    aca.world.update_tube(tube_id, rim_dust=0.3, bore_dust=0.05)
    whole = camera.render(tube_id, ("rim",), scene=False)
    window = camera.reading_window()
    developed = camera.render(tube_id, ("rim",), scene=False, region=window)
    ring, _sector = camera._reading_ring(*whole.rgb.shape[:2])
    inside = np.zeros_like(ring)
    inside[window] = True
    assert ring.any() and not (ring & ~inside).any()  # the ring lies in the window
    assert inside.mean() < 0.4  # which is well under half the frame
    assert developed.rim_dust_estimate == whole.rim_dust_estimate  # bit for bit
    rows, cols = window
    core = (slice(rows.start + 16, rows.stop - 16), slice(cols.start + 16, cols.stop - 16))
    assert ring[core].sum() == ring.sum()
    # the same pixels but within the widest blur's reach of the window's edge
    assert np.array_equal(developed.rgb[core], whole.rgb[core])
    assert not developed.rgb[~inside].any()  # black outside it
