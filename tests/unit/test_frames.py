"""The robot-state-publisher computation (aca_sim.motion.frames): composed from the root,
its fixed and moving transforms give every link where PyBullet has it, over random joint
states."""

import random

import numpy as np
import pytest
from transforms3d.quaternions import quat2mat

from aca_sim.model.names import ACA_JOINTS
from aca_sim.model.urdf import aca_urdf_text
from aca_sim.motion.frames import RobotFrames
from aca_sim.motion.urdf_model import UrdfModel


def compose(transforms, root):
    """Each frame's 4x4 pose in the root frame, from parent -> child transforms alone."""
    by_child = {t.child: t for t in transforms}
    poses = {root: np.eye(4)}

    def pose(frame):
        if frame not in poses:
            t = by_child[frame]
            local = np.eye(4)
            x, y, z, w = t.rotation
            local[:3, :3] = quat2mat([w, x, y, z])
            local[:3, 3] = t.translation
            poses[frame] = pose(t.parent) @ local
        return poses[frame]

    return {frame: pose(frame) for frame in by_child}


def test_every_link_is_reachable_from_the_root(aca):
    frames = RobotFrames(UrdfModel(aca_urdf_text(aca.config)))
    poses = compose(frames.fixed() + frames.moving({}), frames.root)
    assert set(poses) | {frames.root} == set(frames.urdf.shapes)
    assert set(frames.movable_joints) == set(ACA_JOINTS)


def test_link_poses_equal_pybullets_over_random_joint_states(aca):
    frames = RobotFrames(UrdfModel(aca_urdf_text(aca.config)))
    mech, p = aca.world.mech, aca.world.p
    rng = random.Random(3)
    static = frames.fixed()
    for _ in range(25):
        positions = {}
        for name in ACA_JOINTS:
            joint = frames.urdf.joints[name]
            low = -np.pi if joint.lower is None else joint.lower
            high = np.pi if joint.upper is None else joint.upper
            positions[name] = rng.uniform(low, high)
            p.resetJointState(mech.body, mech.joint_index[name], positions[name])
        poses = compose(static + frames.moving(positions), frames.root)
        for link in mech.link_index:
            position, orientation = mech.link_pose(link)
            x, y, z, w = orientation
            assert poses[link][:3, 3] == pytest.approx(position, abs=1e-6), link
            assert np.allclose(poses[link][:3, :3], quat2mat([w, x, y, z]), atol=1e-6), link
