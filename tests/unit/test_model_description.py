"""The xacro model expands and loads with the configured joints, limits and frames."""

import re
from pathlib import Path

import pytest

from aca_sim.model.config import ConfigError, load_model_config
from aca_sim.model.names import ACA_JOINTS, FORK_LINK, ROOT_FRAME, SHA_JOINTS, SHA_LINKS
from aca_sim.model.urdf import aca_urdf_text, expand_xacro, urdf_file
from aca_sim.motion.urdf_model import UrdfModel
from aca_sim.sim.quiet import c_stdout_silenced, pybullet

CONFIG = load_model_config()
ACTUATED = {
    "sha_z": (
        pybullet.JOINT_PRISMATIC,
        CONFIG.sha.z.lower,
        CONFIG.sha.z.upper,
        CONFIG.sha.z.effort,
        CONFIG.sha.z.velocity,
    ),
    "sha_shoulder": (
        pybullet.JOINT_REVOLUTE,
        CONFIG.sha.shoulder.lower,
        CONFIG.sha.shoulder.upper,
        CONFIG.sha.shoulder.effort,
        CONFIG.sha.shoulder.velocity,
    ),
    "sha_elbow": (
        pybullet.JOINT_REVOLUTE,
        CONFIG.sha.elbow.lower,
        CONFIG.sha.elbow.upper,
        CONFIG.sha.elbow.effort,
        CONFIG.sha.elbow.velocity,
    ),
    "volume_probe_z": (
        pybullet.JOINT_PRISMATIC,
        0.0,
        CONFIG.volume_probe.travel_m,
        CONFIG.volume_probe.effort_n,
        CONFIG.volume_probe.velocity_mps,
    ),
    "seal_ram_z": (
        pybullet.JOINT_PRISMATIC,
        0.0,
        CONFIG.sealing_station.ram_stroke_m,
        CONFIG.sealing_station.ram_effort_n,
        CONFIG.sealing_station.ram_velocity_mps,
    ),
}
CONTINUOUS = {"seal_carousel_rot", "bit_carousel_rot", "bst_rot"}


def load(path):
    with c_stdout_silenced():
        client = pybullet.connect(pybullet.DIRECT)
        body = pybullet.loadURDF(str(path), useFixedBase=True, physicsClientId=client)
    joints = {}
    for j in range(pybullet.getNumJoints(body, physicsClientId=client)):
        info = pybullet.getJointInfo(body, j, physicsClientId=client)
        joints[info[1].decode()] = info
    return client, joints


def test_aca_expands_and_loads_with_configured_joints_and_limits():
    client, joints = load(urdf_file("aca.urdf.xacro", CONFIG.source_path, CONFIG.sha256))
    try:
        for name, (kind, lower, upper, effort, velocity) in ACTUATED.items():
            info = joints[name]
            assert info[2] == kind, name
            assert (info[8], info[9], info[10], info[11]) == pytest.approx(
                (lower, upper, effort, velocity)
            ), name
        for name in CONTINUOUS:
            assert (
                joints[name][2] == pybullet.JOINT_REVOLUTE and joints[name][8] > joints[name][9]
            ), name
        assert joints["drill_feed"][9] == pytest.approx(
            CONFIG.bit_carousel.dropoff_contact_travel_m + 0.01
        )
    finally:
        pybullet.disconnect(client)


def test_urdf_has_a_frame_per_slot_and_station():
    text = expand_xacro("aca.urdf.xacro", CONFIG.source_path)
    slots = re.findall(r'<link name="storage_slot_(\d\d)"', text)
    assert [int(s) for s in slots] == list(range(1, 44))
    for frame in (
        "station_bitcar_port",
        "station_seal_dispenser",
        "station_volume_probe",
        "station_cachecam",
        "station_bst",
        "station_sealing",
        "station_drop",
        "cachecam_optical_frame",
        "pose_stow",
    ):
        assert f'<link name="{frame}"' in text


def test_tube_is_hollow_and_sized_from_config():
    text = expand_xacro("tube.urdf.xacro", CONFIG.source_path, kind="sample")
    assert text.count("<collision>") == CONFIG.tube.wall_segments + 1  # walls + closed bottom


def test_config_rejects_unknown_and_missing_keys(tmp_path):
    bad = tmp_path / "model.yaml"
    text = Path(CONFIG.source_path).read_text()
    bad.write_text(text.replace("  link1_m: 0.25", "  link1_mm: 0.25"))
    with pytest.raises(ConfigError, match=r"sha: unknown key\(s\) \['link1_mm'\]"):
        load_model_config(bad)
    bad.write_text(text.replace("  mass_kg: 0.055", "  mass_kg: heavy"))
    with pytest.raises(ConfigError, match=r"tube.mass_kg: expected a number, got 'heavy'"):
        load_model_config(bad)


def test_trials_that_differ_only_in_overrides_share_one_expansion_of_the_model_file(tmp_path):
    a = load_model_config(None, {"seal_carousel.release_limit_n": 140.0})
    b = load_model_config(None, {"seal_carousel.release_limit_n": 170.0})
    assert a.sha256 != b.sha256  # different configurations...
    assert a.source_sha256 == b.source_sha256 == load_model_config().sha256  # ...one file
    assert aca_urdf_text(a) is aca_urdf_text(b)  # expanded once
    # an edited file is a new expansion
    edited = tmp_path / "model.yaml"
    edited.write_text(Path(a.source_path).read_text() + "\n# edited\n")
    c = load_model_config(edited)
    assert c.source_sha256 != a.source_sha256
    assert aca_urdf_text(c) is not aca_urdf_text(a)


def test_the_urdf_names_the_root_the_fork_and_the_joints_as_model_names_does():
    urdf = UrdfModel(aca_urdf_text(CONFIG))
    assert urdf.root == ROOT_FRAME
    assert [joint.child for joint in urdf.chain(FORK_LINK)][-1] == FORK_LINK
    arm = [joint.name for joint in urdf.chain(FORK_LINK) if joint.type != "fixed"]
    assert tuple(arm) == SHA_JOINTS, "the fork's chain is the arm's joints, in order"
    assert tuple(joint.child for joint in urdf.chain(SHA_LINKS[-1])[-3:]) == SHA_LINKS
    assert set(urdf.movable_joints) == set(ACA_JOINTS)
