"""/tf_static and /tf from the state publisher over real DDS: every URDF link hangs from the
root, the frames follow the joint states, and a tube's frame follows a retrieve and a store."""

import time

from aca_interfaces.action import RetrieveTube, StoreTube
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile
from tf2_msgs.msg import TFMessage

from aca_sim.model.urdf import aca_urdf_text
from aca_sim.motion.urdf_model import UrdfModel
from aca_sim.nodes.state_publisher_node import StatePublisherNode
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


def wait_until(condition, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


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
