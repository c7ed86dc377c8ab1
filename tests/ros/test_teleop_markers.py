"""The teleop node's interactive markers over real DDS, with a plain rclpy client doing what
rviz2's InteractiveMarkers display does: it asks get_interactive_markers, follows
/aca/teleop/update by seq_num, and publishes /aca/teleop/feedback (drags, releases, menu
picks). One world for the whole module; the tests run in file order on it."""

import math
import threading

import pytest
import rclpy
from aca_client import wait_until
from aca_interfaces.msg import TubeStateArray
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile
from sensor_msgs.msg import JointState
from visualization_msgs.msg import (
    InteractiveMarkerFeedback,
    InteractiveMarkerUpdate,
)
from visualization_msgs.srv import GetInteractiveMarkers

from aca_sim.model.urdf import aca_urdf_text
from aca_sim.motion.urdf_model import UrdfModel
from aca_sim.nodes.sim_node import SimNode
from aca_sim.nodes.teleop_node import TeleopNode
from aca_sim.ros import blocking
from aca_sim.ros.spinning import BackgroundSpinner
from aca_sim.ros.teleop_markers import yaw_pose

NS = "/aca/teleop"


class RvizLikeClient:
    """What rviz2's interactive-marker client does, kept simple: initial markers from the
    service, then updates in seq_num order (a gap is recorded), feedback out."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.lock = threading.Lock()
        self.updates: list[InteractiveMarkerUpdate] = []
        self.markers: dict[str, object] = {}
        self.joints: dict[str, float] = {}
        self.tubes: dict[int, object] = {}
        node.create_subscription(InteractiveMarkerUpdate, f"{NS}/update", self._update, 100)
        node.create_subscription(JointState, "/joint_states", self._joints, 10)
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        node.create_subscription(TubeStateArray, "/aca/tubes", self._tubes, latched)
        self.feedback = node.create_publisher(InteractiveMarkerFeedback, f"{NS}/feedback", 100)
        self.service = node.create_client(GetInteractiveMarkers, f"{NS}/get_interactive_markers")

    def _update(self, update):
        with self.lock:
            self.updates.append(update)
            self._apply(update)

    def _apply(self, update):
        for marker in update.markers:
            self.markers[marker.name] = marker
        for pose in update.poses:
            if pose.name in self.markers:
                self.markers[pose.name].pose = pose.pose
        for name in update.erases:
            self.markers.pop(name, None)

    def _joints(self, message):
        self.joints = dict(zip(message.name, message.position, strict=False))

    def _tubes(self, message):
        self.tubes = {t.tube_id: t for t in message.tubes}

    def initial(self):
        assert self.service.wait_for_service(timeout_sec=10.0)
        response = blocking.wait_future(
            self.service.call_async(GetInteractiveMarkers.Request()), 10.0, "get markers"
        )
        with self.lock:  # as rviz2: start over from the service, then newer updates apply
            self.markers = {marker.name: marker for marker in response.markers}
            for update in self.updates:
                if update.seq_num > response.sequence_number:
                    self._apply(update)
        return response

    def send(self, name, event, pose=None, entry=0, control=""):
        feedback = InteractiveMarkerFeedback(
            client_id="/rviz_like/InteractiveMarkers",
            marker_name=name,
            control_name=control,
            event_type=event,
            menu_entry_id=entry,
        )
        feedback.header.frame_id = "aca_frame"
        if pose is not None:
            feedback.pose = pose
        self.feedback.publish(feedback)

    def entry(self, name, title):
        """The id of the menu entry of a marker whose title starts with `title`."""
        with self.lock:
            entries = self.markers[name].menu_entries
        found = [e.id for e in entries if e.title.startswith(title)]
        assert found, f"{name} has no entry {title!r}: {[e.title for e in entries]}"
        return found[0]

    def titles(self, name):
        with self.lock:
            return [e.title for e in self.markers[name].menu_entries]

    def target(self):
        with self.lock:
            marker = self.markers["fork_target"]
        texts = [m.text for c in marker.controls for m in c.markers if m.text]
        return marker.description, texts[0] if texts else ""


@pytest.fixture(scope="module")
def teleop():
    context = rclpy.Context()
    rclpy.init(context=context)
    sim = SimNode(context=context, parameter_overrides=[Parameter("seed", value=3)])
    rviz = Node("rviz_like", context=context)
    client = RvizLikeClient(rviz)
    spinner = BackgroundSpinner([sim, rviz], context=context).start()
    node = TeleopNode(context=context)
    teleop_spinner = BackgroundSpinner([node], context=context).start()
    try:
        yield sim, node, client
    finally:
        teleop_spinner.stop()
        spinner.stop()
        node.destroy_node()
        sim.destroy_node()
        rviz.destroy_node()
        rclpy.try_shutdown(context=context)


def fork_pose_of(urdf, joints):
    tool = urdf.link_transforms(joints)["sha_tool"]
    yaw = math.atan2(tool[1, 0], tool[0, 0])
    return yaw_pose(*(float(v) for v in tool[:3, 3]), yaw)


def test_the_client_gets_every_marker_with_menus_that_fit_the_world(teleop):
    _sim, _node, client = teleop
    wait_until(lambda: client.tubes, what="tubes")

    def world_known():
        markers = client.initial().markers
        known = client.titles("slot_01") and client.titles("dispenser_3")
        return len(markers) == 1 + 43 + 7 + 7 and known

    wait_until(world_known, what="every marker, with the world's menus")
    names = set(client.markers)
    assert {"fork_target", "slot_01", "slot_43", "dispenser_7", "station_cachecam"} <= names
    assert client.titles("slot_01") == ["retrieve tube 201", "cache a sample here", "rock core",
                                        "regolith", "atmospheric"]  # fmt: skip
    assert client.titles("slot_40")[-1] == "witness"
    assert client.titles("fork_target") == []  # nothing held, nothing in a bit
    assert client.titles("dispenser_3")[0].startswith("dispense seal from dispenser 3")


def test_releasing_the_fork_target_moves_the_arm_through_a_plan(teleop):
    sim, _node, client = teleop
    urdf = UrdfModel(aca_urdf_text(sim.model))
    goal_joints = dict(zip(("sha_z", "sha_shoulder", "sha_elbow"),
                           sim.aca.planner.semantic.state("above_station_cachecam"),
                           strict=True))  # fmt: skip
    goal = fork_pose_of(urdf, goal_joints)
    client.send("fork_target", InteractiveMarkerFeedback.MOUSE_DOWN, control="move_xy")
    client.send("fork_target", InteractiveMarkerFeedback.POSE_UPDATE, goal, control="move_xy")
    wait_until(lambda: client.target()[0] == "fork target: dragging", what="dragging")
    client.send("fork_target", InteractiveMarkerFeedback.MOUSE_UP, goal, control="move_xy")
    wait_until(lambda: client.target()[0] == "fork target: idle", what="arrival")
    assert client.target()[1].startswith("arrived")
    reached = fork_pose_of(urdf, client.joints).position
    assert math.dist((reached.x, reached.y, reached.z),
                     (goal.position.x, goal.position.y, goal.position.z)) < 2e-3  # fmt: skip


def test_a_target_in_collision_says_why_and_moves_nothing(teleop):
    sim, _node, client = teleop
    urdf = UrdfModel(aca_urdf_text(sim.model))
    slot = sim.aca.stations["storage_slot_05"]
    inside = dict(zip(("sha_z", "sha_shoulder", "sha_elbow"),
                      sim.aca.devices.sha.station_joints(slot), strict=True))  # fmt: skip
    before = dict(client.joints)
    target = fork_pose_of(urdf, inside)
    client.send("fork_target", InteractiveMarkerFeedback.POSE_UPDATE, target, control="move_z")
    client.send("fork_target", InteractiveMarkerFeedback.MOUSE_UP, target, control="move_z")
    wait_until(lambda: client.target()[0] == "fork target: failed", what="failure")
    text = client.target()[1]
    assert text.startswith("GOAL_IN_COLLISION") and "tube_205" in text
    with client.lock:
        colour = client.markers["fork_target"].controls[0].markers[0].color
    assert (colour.r, colour.g, colour.b) == pytest.approx((0.95, 0.1, 0.1))
    assert all(abs(client.joints[j] - before[j]) < 1e-4 for j in before)


def test_a_menu_entry_runs_its_step_and_the_markers_follow_the_world(teleop):
    sim, _node, client = teleop
    client.send("slot_01", InteractiveMarkerFeedback.MENU_SELECT,
                entry=client.entry("slot_01", "retrieve tube 201"))  # fmt: skip

    def busy_seen():
        with client.lock:
            return any(
                e.title.endswith("[busy]")
                for u in client.updates
                for m in u.markers
                if m.name == "slot_02"
                for e in m.menu_entries
            )

    wait_until(busy_seen, what="the slots' entries marked busy while the arm retrieves")
    wait_until(lambda: client.tubes[201].location == "sha", what="tube 201 in the gripper")
    wait_until(lambda: client.titles("slot_01") == ["store tube 201 here"], what="slot menu")
    fork = client.titles("fork_target")
    assert "assess volume" in fork and "store in home slot 1" in fork
    assert not any(t.endswith("[busy]") for t in client.titles("slot_02"))
    wait_until(lambda: client.target()[1].startswith("retrieve_tube: done"), what="result")
    urdf = UrdfModel(aca_urdf_text(sim.model))

    def target_on_fork():  # the idle target follows the fork the step moved
        fork = fork_pose_of(urdf, client.joints).position
        with client.lock:
            p = client.markers["fork_target"].pose.position
        return math.dist((p.x, p.y, p.z), (fork.x, fork.y, fork.z)) < 1e-3

    wait_until(target_on_fork, timeout_s=10, what="the target on the fork after the step")
    client.send("fork_target", InteractiveMarkerFeedback.MENU_SELECT,
                entry=client.entry("fork_target", "store in home slot"))  # fmt: skip
    wait_until(lambda: client.tubes[201].location == "slot_01", what="tube 201 stored")
    wait_until(lambda: client.titles("slot_01")[0] == "retrieve tube 201", what="menu back")


def test_seq_num_never_skips_and_the_service_agrees(teleop):
    _sim, node, client = teleop

    def service_caught_up():
        with client.lock:
            last = client.updates[-1].seq_num
        return client.initial().sequence_number == last == node.server.seq_num

    wait_until(service_caught_up, what="the service's sequence number = the last update's")
    with client.lock:
        numbers = [u.seq_num for u in client.updates]
    assert len(numbers) > 10
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
