"""The teleop node: interactive markers for rviz2 (topic namespace /aca/teleop) that drive the
ACA through the same action servers as everything else.

- `fork_target` sits on the fork (sha_tool) and follows it. Drag it (XY plane, Z axis, yaw
  ring) and release: the node sends a MoveArm goal with that pose (planned collision-free
  by the sim's motion layer). While the arm moves the target is orange; a failed plan or
  move turns it red with the error code and message as text, and nothing moved. Its context
  menu has the steps on the held tube (or receiving one from a bit).
- `slot_NN`, `dispenser_N` and the stations carry context menus with the caching steps that
  make sense there now (aca_sim.teleop.menus): retrieve this tube, cache a sample here, store
  the held tube here, dispense from this dispenser, sweep the bore N times, ...
- The markers follow the world: the menus are rebuilt from /aca/tubes, /aca/dispensers and
  the action servers' goal status topics; while a running goal holds a device, the entries
  needing it are marked "[busy]" (rviz2's menus have no greyed-out state) and picking one
  only says so; the clickable things a running goal uses turn orange.

Thread rule: all callbacks on the node's executor thread.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from geometry_msgs.msg import Pose
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from visualization_msgs.msg import InteractiveMarkerFeedback

from aca_sim.model.config import load_model_config
from aca_sim.model.kinds import TubeKind
from aca_sim.model.locations import Location
from aca_sim.model.names import FORK_LINK, ROOT_FRAME
from aca_sim.model.records import Tube
from aca_sim.model.status import TargetState
from aca_sim.model.steps import StepOutcome
from aca_sim.model.world_view import WorldView
from aca_sim.motion.tube_frames import tube_frame
from aca_sim.motion.urdf_model import UrdfError, UrdfModel
from aca_sim.ros.interactive_markers import InteractiveMarkerServer, menu_entries
from aca_sim.ros.markers import dispenser_xy
from aca_sim.ros.parameters import read_only_parameter
from aca_sim.ros.sampling import Samplers
from aca_sim.ros.spinning import run_node
from aca_sim.ros.step_client import GoalError, StepClient
from aca_sim.ros.teleop_markers import clickable, fork_target, pose_yaw, yaw_pose
from aca_sim.ros.world_watch import WorldWatch
from aca_sim.teleop import menus
from aca_sim.teleop.menus import Command, Entry, Menu

NAMESPACE = "/aca/teleop"
FORK_TARGET = "fork_target"
MOVERS = {"move_xy", "move_z", "rotate_yaw"}  # the fork target's controls that move it
FOLLOW_PERIOD_S = 0.1  # wall s between looks at the fork while the target follows it
FOLLOW_TOLERANCE = (5e-4, 0.01)  # m, rad: smaller fork motions do not move the target


def tree_of(entries: tuple[Entry, ...]) -> list[tuple[str, Any]]:
    """A menu as (title, payload) pairs for menu_entries; busy commands say so."""
    tree: list[tuple[str, Any]] = []
    for entry in entries:
        if isinstance(entry, Menu):
            tree.append((entry.title, tree_of(entry.entries)))
        else:
            tree.append((f"{entry.title} [busy]" if entry.busy else entry.title, entry))
    return tree


class TeleopNode(Node):
    """Interactive markers that run the caching steps; see the module docstring."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("teleop", namespace="aca", **kwargs)
        path = read_only_parameter(
            self, "model_config", "", "model configuration YAML (the sim's); empty = default"
        )
        self.model = load_model_config(path or None)
        self.server = InteractiveMarkerServer(self, NAMESPACE)
        self.steps = StepClient(self)
        self.urdf: UrdfModel | None = None
        self.menus: dict[str, tuple[Entry, ...]] = {}
        self.payloads: dict[str, dict[int, Any]] = {}
        self.target_state, self.status = TargetState.IDLE, "drag me, or right-click for steps"
        self.target_pose = yaw_pose(0.0, 0.0, 0.0, 0.0)
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.create_subscription(String, "/robot_description", self._on_description, latched)
        self.samplers = Samplers(self)
        self.joint_states = self.samplers.sampler(JointState, "/joint_states")
        self.create_timer(FOLLOW_PERIOD_S, self._follow_fork)
        self.world = WorldWatch(self, lambda _view: self._refresh())
        self._refresh()

    # ------------------------------------------------------------------ the world
    def _on_description(self, message: String) -> None:
        try:
            self.urdf = UrdfModel(message.data)
        except UrdfError as error:
            self.get_logger().error(f"/robot_description: {error}")

    def destroy_node(self) -> None:
        """Destroy the sampler's helper node too."""
        self.samplers.destroy()
        super().destroy_node()

    @property
    def view(self) -> WorldView:
        return self.world.view

    def _follow_fork(self) -> None:
        """Timer: keep the idle fork target on the fork (sampled joint states)."""
        message = self.joint_states.latest()
        if self.urdf is None or self.target_state != TargetState.IDLE or message is None:
            return
        pose = self._fork_pose(dict(zip(message.name, message.position, strict=False)))
        if _moved(self.target_pose, pose):
            self.target_pose = pose
            if self.server.set_pose(FORK_TARGET, pose):
                self.server.apply_changes()

    def _fork_pose(self, positions: dict[str, float]) -> Pose:
        assert self.urdf is not None
        tool = self.urdf.link_transforms(positions)[FORK_LINK]
        x, y, z = (float(v) for v in tool[:3, 3])
        return yaw_pose(x, y, z, float(_yaw_of(tool)))

    # ------------------------------------------------------------------ markers
    def _refresh(self) -> None:
        """Re-send the markers whose menus changed; one update for all of them."""
        things = menus.all_menus(
            self.view, self.model.storage.slot_count, self.model.seal_carousel.dispensers
        )
        for name, entries in things.items():
            if self.menus.get(name) != entries:
                self.menus[name] = entries
                self._insert(name)
        self.server.apply_changes()

    def _insert(self, name: str) -> None:
        entries, payloads = menu_entries(tree_of(self.menus[name]))
        self.payloads[name] = payloads
        busy = any(c.busy for c in menus.commands(self.menus[name]))
        if name == FORK_TARGET:
            marker = fork_target(
                name, self._root, self.target_pose, self.target_state, self.status, entries
            )
            self.server.insert(marker, self._on_fork_feedback)
            return
        frame, pose, size, description = self._placement(name)
        self.server.insert(
            clickable(name, frame, pose, size, description, entries, busy), self._on_menu_feedback
        )

    @property
    def _root(self) -> str:
        return self.urdf.root if self.urdf is not None else ROOT_FRAME

    def _placement(self, name: str) -> tuple[str, Pose, tuple[float, float, float], str]:
        """Where a clickable thing is: frame, pose, cylinder size (m), description."""
        tube = self.model.tube
        radius, length = tube.outer_radius_m * 1.4, tube.length_m
        if name.startswith("slot_"):
            slot = int(name.removeprefix("slot_"))
            probe = Tube(0, TubeKind.SAMPLE, slot, Location.storage(slot))
            frame, matrix = tube_frame(probe, self.model, self._root)
            x, y, z = (float(v) for v in matrix[:3, 3])
            pose = yaw_pose(x, y, z + length / 2, 0.0)
            held = self.view.in_slot(slot)
            words = f"tube {held.tube_id}" if held is not None else "empty"
            return frame, pose, (2 * radius, 2 * radius, length), f"slot {slot}: {words}"
        if name.startswith("dispenser_"):
            dispenser = int(name.removeprefix("dispenser_"))
            x, y = dispenser_xy(self.model, dispenser)
            return "seal_carousel", yaw_pose(x, y, 0.03, 0.0), (0.02, 0.02, 0.06), name
        return (
            name,
            yaw_pose(0.0, 0.0, 0.0, 0.0),
            (0.04, 0.04, 0.02),
            name.removeprefix("station_"),
        )

    def _set_target(self, state: TargetState, status: str) -> None:
        self.target_state, self.status = state, status
        self._insert(FORK_TARGET)
        self.server.apply_changes()

    # ------------------------------------------------------------------ operator input
    def _on_fork_feedback(self, feedback: InteractiveMarkerFeedback) -> None:
        kind = feedback.event_type
        if kind == InteractiveMarkerFeedback.MENU_SELECT:
            self._on_menu_feedback(feedback)
        elif kind == InteractiveMarkerFeedback.POSE_UPDATE:
            self.target_pose = feedback.pose
            if self.target_state != TargetState.DRAGGING:
                self._set_target(TargetState.DRAGGING, "release to plan and move")
        elif kind == InteractiveMarkerFeedback.MOUSE_UP and feedback.control_name in MOVERS:
            self._move_to(feedback.header.frame_id or self._root, feedback.pose)

    def _move_to(self, frame: str, pose: Pose) -> None:
        p, q = pose.position, pose.orientation
        goal = {
            "pose_target": {
                "frame_id": frame,
                "position": [p.x, p.y, p.z],
                "orientation": [q.x, q.y, q.z, q.w],
            }
        }
        self.target_pose = pose
        self._set_target(TargetState.MOVING, f"moving to yaw {pose_yaw(pose):.2f} rad")
        self.steps.send("move_arm", goal, self._on_move_done)

    def _on_move_done(self, outcome: StepOutcome) -> None:
        if outcome.succeeded:
            self._set_target(TargetState.IDLE, f"arrived in {outcome.duration_s:.1f} s")
            return
        self.get_logger().warning(f"fork target: {outcome.code.name}: {outcome.message}")
        self._set_target(TargetState.FAILED, f"{outcome.code.name}: {outcome.message}")

    def _on_menu_feedback(self, feedback: InteractiveMarkerFeedback) -> None:
        if feedback.event_type != InteractiveMarkerFeedback.MENU_SELECT:
            return
        command = self.payloads.get(feedback.marker_name, {}).get(feedback.menu_entry_id)
        if not isinstance(command, Command):
            return
        self.run(command)

    def run(self, command: Command) -> None:
        """Send a menu command's goal, unless a device it needs is busy now."""
        if self.target_state == TargetState.FAILED:
            self.target_state = TargetState.IDLE  # the red target has said its piece; follow again
        busy = sorted(command.devices & self.view.busy)
        if busy:
            self._set_target(self.target_state, f"{command.title}: busy ({', '.join(busy)})")
            return
        goal = dict(command.goal)
        if command.action == "cache_sample":
            goal["sample_name"] = f"teleop_{time.strftime('%Y%m%dT%H%M%S')}_{goal['slot']:02d}"
        try:
            self.steps.send(
                command.action,
                goal,
                lambda outcome: self._on_step_done(command, outcome),
                lambda values: self._on_step_feedback(command, values),
            )
        except GoalError as error:
            self._set_target(self.target_state, str(error))
            return
        self._set_target(self.target_state, f"{command.title}: sent")

    def _on_step_feedback(self, command: Command, values: dict[str, Any]) -> None:
        phase = values.get("phase") or values.get("step", "")
        progress = float(values.get("progress", 0.0))
        status = f"{command.action}: {phase} {progress * 100:.0f} %"
        if status != self.status:
            self._set_target(self.target_state, status)

    def _on_step_done(self, command: Command, outcome: StepOutcome) -> None:
        if outcome.succeeded:
            status = f"{command.action}: done in {outcome.duration_s:.1f} s"
        else:
            status = f"{command.action}: {outcome.code.name}: {outcome.message}"
            self.get_logger().warning(status)
        self._set_target(self.target_state, status)


def _yaw_of(matrix: Any) -> float:
    return math.atan2(float(matrix[1, 0]), float(matrix[0, 0]))


def _moved(old: Pose, new: Pose) -> bool:
    a, b = old.position, new.position
    distance = math.dist((a.x, a.y, a.z), (b.x, b.y, b.z))
    turn = math.remainder(pose_yaw(old) - pose_yaw(new), 2 * math.pi)
    return distance > FOLLOW_TOLERANCE[0] or abs(turn) > FOLLOW_TOLERANCE[1]


def main(argv: list[str] | None = None) -> int:
    """Run the node until Ctrl-C or shutdown; return the exit code."""
    return run_node(TeleopNode, "aca_sim teleop", argv)


if __name__ == "__main__":
    sys.exit(main())
