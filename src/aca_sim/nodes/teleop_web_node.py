"""The browser teleop page's node: serves the page over HTTP and talks to it (and to the
Foxglove app) over a foxglove-sdk WebSocket, bridging both to ROS.

To the page: joint positions (sampled 20 times per wall second), the tube table, the step menus
with busy devices, the CacheCam image, and events about each command (accepted, feedback with
phase/progress/force, result with the error code in words). To the Foxglove app also /tf and
the URDF (as an asset), and the servo's status. From the page: jogs while a button is held,
of one SHA joint or of the fork (streamed to the servo node, /servo_node, as MoveIt Servo
takes them: it slows and stops short of obstacles), jogs by a step (MoveArm goals, planned
collision-free by the sim), any step or sequence goal by name, and cancel. Every command is
checked (aca_sim.teleop.web_commands and build_goal) before anything is sent; a bad one gets
an error event naming the bad value.

Binding: 127.0.0.1 by default. Bound elsewhere, a token is required (a random one is made
when none is given): the page URL carries it, every HTTP request and every command must
present it. The WebSocket's read-only channels have no token check of their own (the
foxglove protocol has none): keep the ports behind a firewall or an SSH tunnel.

Thread rule: ROS callbacks on the executor thread; commands arrive on the WebSocket server's
threads and are posted to the executor thread (ExecutorBridge).
"""

from __future__ import annotations

import math
import secrets
import sys
import time
from typing import Any

import numpy as np
from moveit_msgs.msg import ServoStatus
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import String
from tf2_msgs.msg import TFMessage

from aca_sim.model.config import load_model_config
from aca_sim.model.names import FORK_LINK, ROOT_FRAME, SHA_JOINTS
from aca_sim.model.records import Tube
from aca_sim.model.steps import StepOutcome
from aca_sim.model.world_view import WorldView
from aca_sim.motion.tube_frames import tube_frame
from aca_sim.motion.urdf_model import UrdfError, UrdfModel
from aca_sim.net import is_loopback
from aca_sim.ros.cachecam_topics import FOCUS_TOPICS
from aca_sim.ros.conversions import seconds
from aca_sim.ros.executor_bridge import ExecutorBridge
from aca_sim.ros.parameters import read_only_parameter
from aca_sim.ros.sampling import Samplers
from aca_sim.ros.servo_link import SERVO, ServoLink
from aca_sim.ros.spinning import run_node
from aca_sim.ros.step_client import GoalError, StepClient
from aca_sim.ros.world_watch import WorldWatch
from aca_sim.teleop import menus
from aca_sim.teleop.page_server import PageServer
from aca_sim.teleop.web_commands import Command, CommandError, code_words, parse_command
from aca_sim.teleop.ws_server import TeleopWebSocket, Transform

JOINT_PERIOD_S = 0.05  # wall s between joint-state messages to the page
TF_PERIOD_S = 0.05
PARAMETERS = {
    "host": ("127.0.0.1", "address to bind the page and the WebSocket to"),
    "port": (8080, "HTTP port of the page (0: any free port)"),
    "ws_port": (8765, "WebSocket port (foxglove.sdk.v1; 0: any free port)"),
    "token": ("", "token the page must present; required (made if empty) beyond loopback"),
    "model_config": ("", "model configuration YAML (the sim's); empty = default"),
}


class TeleopWebNode(Node):
    """See the module docstring."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("teleop_web", namespace="aca", **kwargs)
        params = {
            name: read_only_parameter(self, name, default, words)
            for name, (default, words) in PARAMETERS.items()
        }
        self.model = load_model_config(params["model_config"] or None)
        self.token = str(params["token"])
        host = str(params["host"])
        if not is_loopback(host) and not self.token:
            self.token = secrets.token_urlsafe(16)
        self.bridge = ExecutorBridge(self)
        self.steps = StepClient(self)
        self.urdf_text: str | None = None
        self.urdf: UrdfModel | None = None
        self.joints: dict[str, float] = {}
        self.static: dict[str, Transform] = {}
        self.moving: dict[str, Transform] = {}
        self.samplers = Samplers(self)
        self.joint_states = self.samplers.sampler(JointState, "/joint_states")
        self.tf = self.samplers.sampler(TFMessage, "/tf")
        self._sent_joints: JointState | None = None
        self._sent_tf: TFMessage | None = None
        self.create_timer(JOINT_PERIOD_S, self._send_joints)
        self.create_timer(TF_PERIOD_S, self._send_tf)
        self._names = 0
        self.ws = TeleopWebSocket(
            host,
            int(params["ws_port"]),
            lambda: self.urdf_text,
            lambda data, _client: self.bridge.post(self._on_command, data),
            lambda topic: self.bridge.post(self._on_subscribe, topic),
        )
        self.page = PageServer(
            host,
            int(params["port"]),
            self.token,
            {"ws_port": self.ws.port, "needs_token": bool(self.token)},
        ).start()
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.create_subscription(String, "/robot_description", self._on_description, latched)
        self.create_subscription(TFMessage, "/tf_static", self._on_tf_static, latched)
        for focus, topic in FOCUS_TOPICS.items():  # the page shows the newest frame
            self.create_subscription(
                Image, f"/aca/{topic}", lambda m, f=focus: self._on_image(m, f), 2
            )
        self.world = WorldWatch(self, self._on_world)
        self.servo = ServoLink(self)
        self.create_subscription(ServoStatus, f"{SERVO}/status", self._on_servo_status, 10)
        self._servo_status: tuple[int, str] | None = None
        query = f"?token={self.token}" if self.token else ""
        self.url = f"http://{host}:{self.page.port}/{query}"
        self.get_logger().info(f"teleop page: {self.url} (WebSocket port {self.ws.port})")

    def destroy_node(self) -> None:
        """Stop the servers, then destroy the node."""
        self.page.stop()
        self.ws.stop()
        self.samplers.destroy()
        super().destroy_node()

    # ------------------------------------------------------------------ to the page
    def _on_description(self, message: String) -> None:
        try:
            self.urdf = UrdfModel(message.data)
        except UrdfError as error:
            self.get_logger().error(f"/robot_description: {error}")
            return
        self.urdf_text = message.data

    def _send_joints(self) -> None:
        """Timer: the newest joint states to the page, when they changed."""
        message = self.joint_states.latest()
        if message is None or message is self._sent_joints:
            return
        self._sent_joints = message
        self.joints = dict(zip(message.name, message.position, strict=False))
        self.ws.publish(
            "/joint_states",
            {
                "stamp_s": seconds(message.header.stamp),
                "name": list(message.name),
                "position": [float(q) for q in message.position],
            },
        )

    @staticmethod
    def _transforms(message: TFMessage) -> dict[str, Transform]:
        found = {}
        for t in message.transforms:
            p, q = t.transform.translation, t.transform.rotation
            found[t.child_frame_id] = (
                t.header.frame_id,
                t.child_frame_id,
                (p.x, p.y, p.z),
                (q.x, q.y, q.z, q.w),
            )
        return found

    def _on_tf_static(self, message: TFMessage) -> None:
        self.static.update(self._transforms(message))
        self._send_static()

    def _on_subscribe(self, topic: str) -> None:
        """A client subscribed to (or left) a WebSocket channel."""
        if topic == "/tf":
            if self.ws.subscribed("/tf"):
                self._send_static()
        elif self.ws.subscribed(topic):
            self.ws.resend(topic)

    def _send_static(self) -> None:
        if self.static:
            self.ws.publish_transforms(self.static.values(), 0.0)

    def _send_tf(self) -> None:
        """Timer: the newest /tf to the WebSocket, while a client wants it (the Foxglove
        app); every moving frame comes in each message of the state publisher."""
        message = self.tf.latest()
        if message is None or message is self._sent_tf or not message.transforms:
            return
        self._sent_tf = message
        if self.ws.subscribed("/tf"):
            self.moving.update(self._transforms(message))
            stamp = seconds(message.transforms[0].header.stamp)
            self.ws.publish_transforms(self.moving.values(), stamp)

    def _on_image(self, message: Image, focus: str) -> None:
        if message.encoding != "rgb8":
            return
        rgb = np.frombuffer(bytes(message.data), dtype=np.uint8).reshape(
            message.height, message.width, 3
        )
        stamp = seconds(message.header.stamp)
        self.ws.publish_image(rgb, message.header.frame_id, stamp, focus)

    @property
    def _root(self) -> str:
        return self.urdf.root if self.urdf is not None else ROOT_FRAME

    def _on_world(self, view: WorldView) -> None:
        length, radius = self.model.tube.length_m, self.model.tube.outer_radius_m
        self.ws.publish(
            "/aca/tubes",
            {
                "length_m": length,
                "radius_m": radius,
                "tubes": [
                    {
                        "tube_id": t.tube_id,
                        "kind": t.kind.value,
                        "home_slot": t.home_slot,
                        "location": str(t.location),
                        "contents": t.contents.value,
                        "sample_height_m": t.sample_height_m,
                        "rim_dust": t.rim_dust,
                        "seal_state": int(t.seal_state),
                        "sample_name": t.sample_name,
                        **self._placement(t),
                    }
                    for t in sorted(view.tubes, key=lambda t: t.tube_id)
                ],
            },
        )
        things = menus.all_menus(
            view, self.model.storage.slot_count, self.model.seal_carousel.dispensers
        )
        self.ws.publish(
            "/aca/teleop/menus",
            {
                "busy": sorted(view.busy),
                "things": {name: menus.as_json(entries) for name, entries in things.items()},
            },
        )

    def _placement(self, tube: Tube) -> dict[str, Any]:
        """Where the page draws a tube: its parent link and the bottom centre there, m."""
        parent, pose = tube_frame(tube, self.model, self._root)
        return {"parent": parent, "xyz": [float(v) for v in pose[:3, 3]]}

    def _event(self, command_id: int, kind: str, **fields: Any) -> None:
        self.ws.publish("/aca/teleop/events", {"id": command_id, "type": kind, **fields})

    # ------------------------------------------------------------------ from the page
    def _on_command(self, data: Any) -> None:
        command_id = data.get("id", 0) if isinstance(data, dict) else 0
        command_id = command_id if isinstance(command_id, int) else 0
        try:
            if isinstance(data, str):
                raise CommandError(data)
            command = parse_command(data, self.token)
            if command.op == "servo":
                self._servo_command(command)
                return
            if command.op == "cancel":
                count = self.steps.cancel_all()
                self._event(command.command_id, "accepted", action="cancel",
                            message=f"cancel asked of {count} running goal(s)")  # fmt: skip
                return
            action, goal = self._goal_of(command)
            self.steps.send(
                action,
                goal,
                lambda outcome: self._on_done(command.command_id, outcome),
                lambda values: self._on_feedback(command.command_id, action, values),
            )
        except (CommandError, GoalError) as error:
            self.get_logger().warning(f"teleop page command refused: {error}")
            self._event(command_id, "error", **self._words("INVALID_GOAL"), message=str(error))
            return
        self._event(command.command_id, "accepted", action=action, goal=goal)

    def _servo_command(self, command: Command) -> None:
        """Stream one jog to the servo (no event: the page sends 20 a second; the servo's
        status comes on its channel), switching its command type when the kind changes."""
        twist = bool(command.axis)
        if self.servo.twist_mode != twist:
            self.servo.command_type_async(twist)
        if not twist:
            self.servo.send_joint(command.joint, command.speed)
        elif command.axis == "yaw":
            self.servo.send_twist(command.frame, (0.0, 0.0, 0.0), (0.0, 0.0, command.speed))
        else:
            linear = [0.0, 0.0, 0.0]
            linear["xyz".index(command.axis)] = command.speed
            self.servo.send_twist(command.frame, linear)

    def _on_servo_status(self, message: ServoStatus) -> None:
        status = (int(message.code), str(message.message))
        if status != self._servo_status:
            self._servo_status = status
            self.ws.publish("/aca/teleop/servo", {"code": status[0], "message": status[1]})

    def _goal_of(self, command: Command) -> tuple[str, dict[str, Any]]:
        """The action and goal fields a checked command sends."""
        if command.op == "step":
            goal = dict(command.goal)
            if command.action == "cache_sample" and not goal.get("sample_name"):
                self._names += 1
                goal["sample_name"] = f"web_{time.strftime('%Y%m%dT%H%M%S')}_{self._names}"
            return command.action, goal
        latest = self.joint_states.latest()
        if latest is not None:
            self.joints = dict(zip(latest.name, latest.position, strict=False))
        if not self.joints or self.urdf is None:
            raise CommandError(f"{command.op}: no joint states from the sim yet")
        q = [self.joints.get(j, 0.0) for j in SHA_JOINTS]
        if command.op == "jog_joint":
            index = SHA_JOINTS.index(command.joint)
            q[index] += command.delta
            return "move_arm", {"joint_positions": q}
        tool = self.urdf.link_transforms(self.joints)[FORK_LINK]
        position = [float(v) for v in tool[:3, 3]]
        yaw = math.atan2(float(tool[1, 0]), float(tool[0, 0]))
        if command.axis == "yaw":
            yaw += command.delta
        else:
            position["xyz".index(command.axis)] += command.delta
        orientation = [0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)]
        pose = {"frame_id": self.urdf.root, "position": position, "orientation": orientation}
        return "move_arm", {"pose_target": pose}

    @staticmethod
    def _words(code_name: str) -> dict[str, str]:
        return {"code_name": code_name, "code_words": code_words(code_name)}

    def _on_feedback(self, command_id: int, action: str, values: dict[str, Any]) -> None:
        force = values.get("measured_force_n", values.get("drag_n"))
        self._event(
            command_id,
            "feedback",
            action=action,
            phase=str(values.get("phase") or values.get("step", "")),
            progress=float(values.get("progress", 0.0)),
            force_n=None if force is None else float(force),
        )

    def _on_done(self, command_id: int, outcome: StepOutcome) -> None:
        self._event(
            command_id,
            "result",
            action=outcome.action,
            **self._words(outcome.code.name),
            message=outcome.message,
            duration_s=outcome.duration_s,
            values={k: v for k, v in outcome.values.items() if _plain_json(v)},
        )


def _plain_json(value: Any) -> bool:
    return isinstance(value, bool | int | float | str | list | tuple) or value is None


def main(argv: list[str] | None = None) -> int:
    """Run the node until Ctrl-C or shutdown; return the exit code."""
    return run_node(TeleopWebNode, "aca_sim teleop page", argv)


if __name__ == "__main__":
    sys.exit(main())
