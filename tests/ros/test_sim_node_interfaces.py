"""The sim node's topics and services over real DDS."""

import itertools
import threading

from aca_client import wait, wait_until
from aca_interfaces.action import RetrieveTube
from aca_interfaces.msg import TubeStateArray
from aca_interfaces.srv import ResetWorld, Snapshot
from rclpy.qos import DurabilityPolicy, QoSProfile
from sensor_msgs.msg import JointState
from std_msgs.msg import String

from aca_sim.model.names import ACA_JOINTS


def call(client, srv_type, service_name, **request):
    service = client.node.create_client(srv_type, f"/aca/sim/{service_name}")
    assert service.wait_for_service(timeout_sec=10.0)
    try:
        return wait(service.call_async(srv_type.Request(**request)))
    finally:
        client.node.destroy_client(service)


def test_snapshot_restore_and_reset_bring_the_world_back(aca):
    client, _ = aca
    initial = client.state().state_hash
    assert call(client, Snapshot, "snapshot", name="start").success
    client.send(RetrieveTube, "retrieve_tube", slot=8)
    moved = client.state()
    assert moved.held_tube_id == 208 and moved.state_hash != initial
    assert call(client, Snapshot, "restore", name="start").success
    assert client.state().state_hash == initial
    missing = call(client, Snapshot, "restore", name="nope")
    assert not missing.success and "no snapshot 'nope' (saved: start)" in missing.message
    client.send(RetrieveTube, "retrieve_tube", slot=8)
    reset = call(client, ResetWorld, "reset", seed=-1)
    assert reset.success
    after = client.state()
    assert after.held_tube_id == 0 and after.sim_time.sec == 0 and after.state_hash == initial


def test_joint_states_robot_description_and_tube_records_are_published(aca):
    """Joint states at every tick; the latched URDF; the tube records when they change (looked
    at twice a second of sim time) and, unchanged, again every 5 s of sim time only."""
    client, _ = aca
    got_joints, got_urdf, got_tubes = threading.Event(), threading.Event(), threading.Event()
    joints, urdf, tubes = [], [], []
    client.node.create_subscription(
        JointState, "/joint_states", lambda m: (joints.append(m), got_joints.set()), 10
    )
    latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    client.node.create_subscription(
        String, "/robot_description", lambda m: (urdf.append(m.data), got_urdf.set()), latched
    )
    client.node.create_subscription(
        TubeStateArray, "/aca/tubes", lambda m: (tubes.append(m), got_tubes.set()), latched
    )
    assert got_urdf.wait(10.0), "robot_description is latched: a late subscriber gets it"
    assert got_tubes.wait(10.0), "the tube records are latched too"
    assert '<robot name="aca">' in urdf[0] and 'joint name="sha_z"' in urdf[0]
    client.send(RetrieveTube, "retrieve_tube", slot=10)  # the physics steps: ticks publish
    assert got_joints.wait(10.0)
    assert list(joints[-1].name) == list(ACA_JOINTS)
    stamps = [m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in joints]
    assert stamps == sorted(stamps) and stamps[-1] > 10.0  # sim time, not wall time

    wait_until(lambda: {t.tube_id: t.location for t in tubes[-1].tubes}[210] == "sha")
    where = [{t.tube_id: t.location for t in m.tubes}[210] for m in tubes]
    assert where[0] == "slot_10" and where[-1] == "sha", where
    times = [m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in tubes]
    for (t0, a), (t1, b) in itertools.pairwise(zip(times, tubes, strict=True)):
        if list(a.tubes) == list(b.tubes):
            assert t1 - t0 >= 5.0 - 1e-6, (t0, t1)  # an unchanged repeat: 5 s of sim time
        else:
            assert t1 - t0 >= 0.5 - 1e-6 or t0 == 0.0, (t0, t1)  # a change, at a look
    assert len(tubes) < 2 * stamps[-1] / 4, f"{len(tubes)} records in {stamps[-1]:.1f} s"
