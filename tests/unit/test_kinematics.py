"""Closed-form SHA kinematics agree with each other and with the simulated arm."""

import math

import pytest

from aca_sim.model.layout import station_table
from aca_sim.motion.kinematics import JointPositions, ScaraKinematics, UnreachableError


def test_fk_inverts_ik_for_every_station_and_both_elbows(aca):
    kin = aca.devices.sha.kin
    for station in station_table(aca.config).values():
        for sign in (1, -1):
            q = kin.inverse(station.x, station.y, station.engage_z, sign)
            assert kin.forward(q) == pytest.approx(
                (station.x, station.y, station.engage_z), abs=1e-12
            )


def test_every_station_has_a_solution_within_joint_limits(aca):
    sha = aca.devices.sha
    for station in aca.stations.values():
        q = sha.station_joints(station)
        assert sha.limit_violation(q) is None, station.name


def test_out_of_reach_point_raises():
    kin = ScaraKinematics(0.25, 0.20, 0.16)
    with pytest.raises(UnreachableError, match="outside the reach annulus"):
        kin.inverse(0.5, 0.0, 0.2)
    with pytest.raises(UnreachableError):
        kin.inverse(0.01, 0.0, 0.2)


def test_simulated_tool_point_matches_forward_kinematics(aca):
    sha, mech = aca.devices.sha, aca.world.mech
    for station in ("station_cachecam", "storage_slot_43", "station_bitcar_port"):
        q = sha.station_joints(aca.stations[station], 0.2)
        for name, value in zip(("sha_z", "sha_shoulder", "sha_elbow"), q, strict=True):
            aca.world.p.resetJointState(mech.body, mech.joint_index[name], value)
        top = sha.kin.forward(JointPositions(*q))
        hold = sha.hold_point()  # tube bottom centre in the simulated forearm
        # PyBullet reports link poses in float32.
        assert hold[:2] == pytest.approx(top[:2], abs=1e-6)
        assert hold[2] + aca.config.tube.length_m == pytest.approx(top[2], abs=1e-6)
        assert math.isclose(top[2], 0.2)
