"""The coasts of contact that cannot change (issue 26): the held tube sliding along the
bore-sweeping brush on a move of sha_z alone, and the symmetric brush spinning. A bore sweep
coasted against the same sweep on full physics: the same sweep results and records, the sim
time within the stated tolerance, and the load cell that the coast does not read reading
next to nothing on full physics."""

import math

import numpy as np
import pytest

from aca_sim.model.config import load_model_config, with_fidelity
from aca_sim.sim import procedures as steps
from aca_sim.sim.aca import Aca
from aca_sim.sim.clearance import SLIDE_DEPTH_M, SLIDE_TILT, _room
from aca_sim.sim.symmetry import SYMMETRY_TOLERANCE_M, _prism_depth

SEED = 7
SWEEPS = 2
# full physics turns the brush at about 2.80 of its 3.0 rad/s (the solver against the rubbing
# bore: 538 steps a turn against the motor law's 503), so a coasted sweep ends earlier:
TURN_TOLERANCE_S = 0.2  # per sweep
GUARD_READING_TOLERANCE_N = 1.5  # what the load cell reads on full physics while the coast reads 0
BRUSH_PHASES = ("insert_brush", "withdraw_brush", "sweep")


def _sweep(fidelity: str, description: dict) -> dict:
    aca = Aca.create(config=with_fidelity(load_model_config(), fidelity), seed=SEED)
    try:
        aca.restore(description)
        tube_id = aca.world.held_tube
        sha = aca.devices.sha
        readings: list[float] = []

        def on_feedback(feedback) -> None:  # the load cell wherever full physics steps
            if feedback.phase in BRUSH_PHASES and aca.world.coast is None:
                readings.append(sha.measured_force())

        start, coasted_before = aca.time_s, aca.world.coasted_steps
        result = aca.run(steps.sweep_bore(aca, SWEEPS), on_feedback)
        coasted = aca.world.coasted_steps - coasted_before
        return {
            "result": result,
            "tube": aca.world.tubes[tube_id],
            "joints": np.array(sha.joint_positions()),
            "sim_s": aca.time_s - start,
            "coasted": coasted,
            "physics_steps": round((aca.time_s - start) / aca.dt) - coasted,
            "peak_reading_n": max(readings, default=0.0),
        }
    finally:
        aca.close()


def test_a_coasted_bore_sweep_gives_full_physics_results_within_the_stated_tolerances(
    cored_snapshot,
):
    full, fast = (_sweep(fidelity, cored_snapshot) for fidelity in ("full", "fast"))
    assert full["coasted"] == 0
    assert fast["result"] == full["result"]  # sweeps done, rim and bore dust, predicted force
    assert fast["tube"] == full["tube"]
    assert np.all(np.abs(fast["joints"] - full["joints"]) <= (0.0005, 0.002, 0.002))
    assert 0 < full["sim_s"] - fast["sim_s"] <= SWEEPS * TURN_TOLERANCE_S
    assert full["peak_reading_n"] <= GUARD_READING_TOLERANCE_N
    # on full physics the brush phases are thousands of contact steps; coasted, a few hundred
    assert fast["physics_steps"] < 0.2 * full["physics_steps"]


def test_the_brush_is_the_joint_whose_angle_changes_no_contact_geometry(aca):
    assert aca.world.mech.axisymmetric == frozenset({"bst_rot"})


def test_a_prism_strays_from_its_cylinder_by_its_facets_depth():
    radius, sides = 0.006, 32
    angles = np.arange(sides) * 2 * math.pi / sides
    ring = np.stack([radius * np.cos(angles), radius * np.sin(angles), np.zeros(sides)], axis=1)
    vertices = np.concatenate([ring, ring + np.array([0, 0, 0.05])])
    origin, axis = np.zeros(3), np.array([0.0, 0.0, 1.0])
    depth = _prism_depth(vertices, origin, axis)
    assert depth == pytest.approx(radius * (1 - math.cos(math.pi / sides)), rel=1e-3)
    assert depth <= SYMMETRY_TOLERANCE_M
    assert (
        _prism_depth(vertices + np.array([0.001, 0, 0]), origin, axis) == math.inf
    )  # off its axis


def test_a_move_of_z_slides_along_horizontal_contacts_only():
    # a rubbing point: counted by the travel that could take it SLIDE_DEPTH_M deep
    assert _room(-0.0006, 0.0, z_only=True) > 1.0
    tilt = SLIDE_TILT / 2
    assert _room(-0.0006, tilt, z_only=True) == pytest.approx((SLIDE_DEPTH_M - 0.0006) / tilt)
    # any other move, a tilted normal or a deeper point: counted by the distance
    assert _room(-0.0006, 0.0, z_only=False) == -0.0006
    assert _room(0.0004, 2 * SLIDE_TILT, z_only=True) == 0.0004
    assert _room(-2 * SLIDE_DEPTH_M, 0.0, z_only=True) == -2 * SLIDE_DEPTH_M
