"""/tf_static, /tf and /aca/markers from the state publisher over real DDS: every URDF link
hangs from the root, the frames follow the joint states, a tube's frame follows a retrieve
and a store, and the markers follow the tubes and the seals."""

import time

import pytest
from aca_client import wait_until
from aca_interfaces.action import (
    CoreSample,
    DispenseSeal,
    ReceiveTubeFromBit,
    RetrieveTube,
    StoreTube,
    TransferTubeToBit,
)
from builtin_interfaces.msg import Time
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile
from sensor_msgs.msg import JointState
from std_msgs.msg import Header, String
from tf2_msgs.msg import TFMessage
from visualization_msgs.msg import Marker, MarkerArray

from aca_sim.model.config import load_model_config
from aca_sim.model.names import ACA_JOINTS
from aca_sim.model.urdf import aca_urdf_text
from aca_sim.motion.urdf_model import UrdfModel
from aca_sim.nodes.state_publisher_node import StatePublisherNode
from aca_sim.ros.markers import COLOURS
from aca_sim.ros.spinning import BackgroundSpinner
from conftest import start_sim


class TfListener:
    """Keeps the latest transform of every child frame from /tf and /tf_static."""

    def __init__(self, node: Node) -> None:
        self.static: dict[str, object] = {}
        self.moving: dict[str, object] = {}
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        node.create_subscription(TFMessage, "/tf_static", self._static, latched)
        node.create_subscription(TFMessage, "/tf", self._moving, 100)

    def _static(self, message):
        self.static.update({t.child_frame_id: t for t in message.transforms})

    def _moving(self, message):
        self.moving.update({t.child_frame_id: t for t in message.transforms})

    def parent(self, frame):
        found = self.moving.get(frame) or self.static.get(frame)
        return found.header.frame_id if found else None


def test_frames_reach_every_link_and_follow_a_tube(ros_context):
    sim, client, spinner = start_sim(ros_context)
    publisher = StatePublisherNode(context=ros_context)
    listener_node = Node("tf_listener", context=ros_context)
    listener = TfListener(listener_node)
    extra = BackgroundSpinner([publisher, listener_node], context=ros_context).start()
    try:
        wait_until(lambda: listener.static)
        client.send(RetrieveTube, "retrieve_tube", slot=1)
        wait_until(lambda: listener.parent("tube_201") == "sha_fore")
        urdf = UrdfModel(aca_urdf_text(sim.model))
        for link in urdf.shapes:
            frame, hops = link, 0
            while frame != urdf.root:
                frame = listener.parent(frame)
                assert frame is not None, f"{link} does not reach {urdf.root}"
                hops += 1
                assert hops < 50
        assert listener.parent("tube_202") == "storage_slot_02"
        stamp = listener.moving["sha_upper"].header.stamp
        assert stamp.sec + stamp.nanosec * 1e-9 > 1.0  # sim time of the joint states
        client.send(StoreTube, "store_tube", slot=0)
        wait_until(lambda: listener.parent("tube_201") == "storage_slot_01")
    finally:
        extra.stop()
        spinner.stop()
        publisher.destroy_node()
        listener_node.destroy_node()
        sim.destroy_node()
        client.node.destroy_node()


def test_markers_show_every_tube_the_seals_and_the_depot_and_follow_the_world(ros_context):
    sim, client, spinner = start_sim(ros_context)
    publisher = StatePublisherNode(context=ros_context)
    node = Node("marker_listener", context=ros_context)
    latest = {}
    latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    node.create_subscription(
        MarkerArray, "/aca/markers", lambda m: latest.update(markers=m.markers), latched
    )
    extra = BackgroundSpinner([publisher, node], context=ros_context).start()

    def by_namespace(namespace):
        return {m.id: m for m in latest.get("markers", []) if m.ns == namespace}

    try:
        wait_until(lambda: len(by_namespace("tubes")) == 43 and by_namespace("seals"))
        assert latest["markers"][0].action == Marker.DELETEALL
        tube = by_namespace("tubes")[201]
        assert tube.header.frame_id == "tube_201" and tube.frame_locked
        assert (tube.color.r, tube.color.g, tube.color.b) == pytest.approx(COLOURS["empty"][:3])
        assert by_namespace("tube_labels")[201].text.startswith("201")
        seals = sim.model.seal_carousel.dispensers * sim.model.seal_carousel.seals_per_dispenser
        assert len(by_namespace("seals")) == seals
        assert len(by_namespace("depot")) == 1
        client.send(RetrieveTube, "retrieve_tube", slot=1)
        client.send(TransferTubeToBit, "transfer_tube_to_bit", bit_slot=0)
        client.send(CoreSample, "core_sample", bit_slot=0, kind=CoreSample.Goal.KIND_ROCK_CORE)
        client.send(ReceiveTubeFromBit, "receive_tube_from_bit", bit_slot=0)
        client.send(DispenseSeal, "dispense_seal", dispenser=1)

        def cored_and_sealed():
            tube, seals_now = by_namespace("tubes").get(201), by_namespace("seals")
            colour = tube and (tube.color.r, tube.color.g, tube.color.b)
            inserted = pytest.approx(COLOURS["inserted"][:3])
            return colour == inserted and len(seals_now) == seals - 1

        wait_until(cored_and_sealed)
        assert "rock_core" in by_namespace("tube_labels")[201].text
    finally:
        extra.stop()
        spinner.stop()
        publisher.destroy_node()
        node.destroy_node()
        sim.destroy_node()
        client.node.destroy_node()


def test_tf_is_throttled_to_the_publish_frequency_of_the_joint_state_stamps(ros_context):
    """As robot_state_publisher: 100 Hz of joint states give 20 Hz of /tf by default (by the
    stamps), every one with ignore_timestamp, and a frequency out of (0, 1000] is refused."""
    publisher = StatePublisherNode(context=ros_context)
    node = Node("tf_counter", context=ros_context)
    latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    urdf = aca_urdf_text(load_model_config())
    node.create_publisher(String, "/robot_description", latched).publish(String(data=urdf))
    joints = node.create_publisher(JointState, "/joint_states", 200)
    stamps: list[float] = []
    node.create_subscription(
        TFMessage, "/tf", lambda m: stamps.append(_seconds(m.transforms[0].header.stamp)), 200
    )
    spinner = BackgroundSpinner([publisher, node], context=ros_context).start()

    def send(first: int, count: int) -> None:
        for k in range(first, first + count):  # 10 ms of stamps apart
            stamp = Time(sec=k // 100, nanosec=(k % 100) * 10_000_000)
            joints.publish(
                JointState(header=Header(stamp=stamp), name=list(ACA_JOINTS), position=[0.0] * 9)
            )
            time.sleep(0.002)

    try:
        wait_until(lambda: publisher.frames is not None, what="the description")
        wait_until(lambda: joints.get_subscription_count() == 1, what="the subscription")
        send(1, 100)  # stamps 0.01 .. 1.00 s
        wait_until(lambda: stamps and stamps[-1] >= 0.96, what="/tf up to 0.96 s")
        time.sleep(0.2)
        assert stamps == pytest.approx([0.01 + 0.05 * k for k in range(20)])
        refused = publisher.set_parameters([Parameter("publish_frequency", value=0.0)])[0]
        assert not refused.successful
        assert (
            refused.reason == "publish_frequency=0.0: must be between 0.0 (exclusive) and 1000.0"
        )
        publisher.set_parameters([Parameter("ignore_timestamp", value=True)])
        stamps.clear()
        send(101, 10)
        wait_until(lambda: len(stamps) == 10, what="every joint state on /tf")
    finally:
        spinner.stop()
        publisher.destroy_node()
        node.destroy_node()


def _seconds(stamp) -> float:
    return stamp.sec + stamp.nanosec * 1e-9
