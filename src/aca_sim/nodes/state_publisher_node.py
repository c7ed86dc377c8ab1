"""The robot state publisher of the ACA: /robot_description + /joint_states -> /tf_static
(fixed joints, transient local) and /tf (movable joints, with the joint states' stamps: sim
time, at most publish_frequency Hz of those stamps, 20 by default, as robot_state_publisher
throttles it; ignore_timestamp: true passes every joint state on), plus one frame per tube
(`tube_<id>`, from /aca/tubes: under its storage slot, on the fork, on the bit carousel, or
on the ground under the drop port), so that rviz2 can follow a tube. The same job as ROS's
robot_state_publisher, which a user with a ROS install may run instead (the tube frames are
ours).

A tube frame is fixed to its parent link until the tube changes place, so the tube frames go
on /tf_static with the fixed joints, republished (the whole set, as the topic keeps one
message) when a tube changes place: tf2 takes static frames as valid at every stamp, and a
held tube still moves with the fork, whose frames come on /tf. Publishing them on /tf at the
joint-state rate would cost 43 transforms a tick for frames that do not change.

It also publishes /aca/markers (transient local) whenever the tubes, the dispensers or the
sequencer's sample names (/aca/inventory) change: see aca_sim.ros.markers.
"""

from __future__ import annotations

import sys
from typing import Any

from aca_interfaces.msg import DispenserStateArray, TubeStateArray
from rcl_interfaces.msg import ParameterDescriptor, SetParametersResult
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from tf2_msgs.msg import TFMessage
from visualization_msgs.msg import MarkerArray

from aca_sim.model.config import load_model_config
from aca_sim.model.names import ROOT_FRAME
from aca_sim.model.records import Dispenser, Tube, with_sample_names
from aca_sim.motion.frames import FrameTransform, RobotFrames, frame_transform
from aca_sim.motion.tube_frames import tube_frame
from aca_sim.motion.urdf_model import UrdfError, UrdfModel
from aca_sim.ros.conversions import tube_of
from aca_sim.ros.markers import marker_array
from aca_sim.ros.parameters import read_only_parameter
from aca_sim.ros.spinning import run_node
from aca_sim.ros.tf_codec import JointStateThrottle, TfMessageCache, tf_message

FREQUENCY = "most /tf messages per second of the joint states' stamps, Hz (0, 1000]"
IGNORE = "true: every joint state goes out on /tf, whatever its stamp"


def _descriptor(description: str) -> ParameterDescriptor:
    return ParameterDescriptor(description=description)


def tube_frame_name(tube_id: int) -> str:
    """The tf frame of a tube."""
    return f"tube_{tube_id}"


class StatePublisherNode(Node):
    """Publishes the ACA's frames; see the module docstring."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("state_publisher", namespace="aca", **kwargs)
        path = read_only_parameter(
            self, "model_config", "", "model configuration YAML (the sim's); empty = default"
        )
        self.model = load_model_config(path or None)
        self.throttle = JointStateThrottle(
            self.declare_parameter("publish_frequency", 20.0, _descriptor(FREQUENCY)).value,
            self.declare_parameter("ignore_timestamp", False, _descriptor(IGNORE)).value,
        )
        self.add_on_set_parameters_callback(self._on_set_parameters)
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.static_pub = self.create_publisher(TFMessage, "/tf_static", latched)
        self.tf_pub = self.create_publisher(TFMessage, "/tf", 100)
        self._tf_cache = TfMessageCache()
        self.frames: RobotFrames | None = None
        self.tube_frames: list[FrameTransform] = []
        self.create_subscription(String, "/robot_description", self._on_description, latched)
        self.create_subscription(JointState, "/joint_states", self._on_joint_states, 10)
        self.markers_pub = self.create_publisher(MarkerArray, "markers", latched)
        self.tubes: list[Tube] = []
        self.dispensers: list[Dispenser] = []
        self.create_subscription(TubeStateArray, "tubes", self._on_tubes, latched)
        self.create_subscription(DispenserStateArray, "dispensers", self._on_dispensers, latched)
        self.names: dict[int, str] = {}  # tube id -> sample name, from the inventory
        self.create_subscription(TubeStateArray, "inventory", self._on_inventory, latched)
        self._shown: tuple[Any, ...] | None = None  # what the last MarkerArray showed

    def _on_set_parameters(self, parameters: list[Parameter]) -> SetParametersResult:
        """publish_frequency and ignore_timestamp may change while running (as upstream's);
        a frequency out of (0, 1000] Hz is refused with the reason."""
        given = {p.name: p.value for p in parameters}
        frequency = given.get("publish_frequency", self.get_parameter("publish_frequency").value)
        ignore = given.get("ignore_timestamp", self.get_parameter("ignore_timestamp").value)
        try:
            self.throttle.configure(frequency, ignore)
        except ValueError as error:
            return SetParametersResult(successful=False, reason=str(error))
        return SetParametersResult(successful=True)

    def _on_description(self, message: String) -> None:
        try:
            self.frames = RobotFrames(UrdfModel(message.data))
        except UrdfError as error:
            self.get_logger().error(f"/robot_description: {error}")
            return
        self._publish_static()

    def _publish_static(self) -> None:
        """/tf_static: the URDF's fixed joints and the tube frames, all in one message (the
        topic keeps only the last one for late joiners)."""
        if self.frames is None:
            return
        frames = [*self.frames.fixed(), *self.tube_frames]
        self.static_pub.publish(tf_message(frames, self.get_clock().now().to_msg()))

    @property
    def root(self) -> str:
        return self.frames.root if self.frames is not None else ROOT_FRAME

    def _on_inventory(self, message: TubeStateArray) -> None:
        self.names = {t.tube_id: t.sample_name for t in message.tubes if t.sample_name}
        self._publish_markers(message.header.stamp)

    def _on_tubes(self, message: TubeStateArray) -> None:
        self.tubes = [tube_of(state) for state in message.tubes]
        frames = []
        for tube in self.tubes:
            parent, pose = tube_frame(tube, self.model, self.root)
            frames.append(frame_transform(parent, tube_frame_name(tube.tube_id), pose))
        if frames != self.tube_frames:
            self.tube_frames = frames
            self._publish_static()
        self._publish_markers(message.header.stamp)

    def _on_dispensers(self, message: DispenserStateArray) -> None:
        self.dispensers = [
            Dispenser(d.dispenser_id, d.seals_remaining, d.release_limit_n)
            for d in message.dispensers
        ]
        self._publish_markers(message.header.stamp)

    def _publish_markers(self, stamp: Any) -> None:
        """Publish the markers when what they show changed (the sim republishes the same
        tubes and dispensers at its state rate)."""
        tubes = with_sample_names(self.tubes, self.names)
        shown = (tubes, tuple(self.dispensers), self.root)
        if shown == self._shown:
            return
        self._shown = shown
        self.markers_pub.publish(
            marker_array(tubes, self.dispensers, self.model, self.root, stamp)
        )

    def _on_joint_states(self, message: JointState) -> None:
        if self.frames is None:
            return
        stamp_ns = message.header.stamp.sec * 1_000_000_000 + message.header.stamp.nanosec
        if not self.throttle.admit(message.name, stamp_ns):
            return
        positions = dict(zip(message.name, message.position, strict=False))
        moving = self.frames.moving(positions)
        self.tf_pub.publish(self._tf_cache.message(moving, message.header.stamp))


def main(argv: list[str] | None = None) -> int:
    """Run the node until Ctrl-C or shutdown; return the exit code."""
    return run_node(StatePublisherNode, "aca_sim state publisher", argv)


if __name__ == "__main__":
    sys.exit(main())
