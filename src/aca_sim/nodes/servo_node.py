"""The servo node: realtime jogging of the SHA with MoveIt Servo's interfaces (Jazzy), so
that MoveIt Servo's clients (its keyboard demo, a joystick node, rviz panels) and aca_sim's
teleop drive the simulated arm the same way.

- ~/delta_joint_cmds (control_msgs/JointJog: velocities of the sha joints),
  ~/delta_twist_cmds (geometry_msgs/TwistStamped, in sha_tool or aca_frame),
  ~/pose_target_cmds (geometry_msgs/PoseStamped: the fork's position, aca_frame); only the
  type chosen with ~/switch_command_type (moveit_msgs/srv/ServoCommandType, JOINT_JOG at
  start) is followed, as in Servo;
- ~/pause_servo (std_srvs/SetBool): true halts and ignores commands until false;
- ~/status (moveit_msgs/ServoStatus) every period in which it sends a command, and for a
  command it cannot follow (INVALID);
- out: trajectory_msgs/JointTrajectory on moveit_servo.command_out_topic
  (/sha_controller/joint_trajectory), one point a publish_period ahead, stamp 0 ("now");
- a command older than incoming_command_timeout (wall s) halts the arm (braking at the
  acceleration limits); the planning scene (tubes, the held tube) is read from
  /aca/sim/get_state when commands start and every second while they go on; the joints from
  /joint_states.
The law is aca_sim.motion.servo (what differs from Servo is said there). Parameters:
config/servo.yaml (moveit_servo.*, as Servo's). Timing is wall time (the node's clock does
not follow /clock), as an operator's commands come in wall time. Thread rules: one
executor thread.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from typing import Any

import numpy as np
from aca_interfaces.srv import GetWorldState
from builtin_interfaces.msg import Duration
from control_msgs.msg import JointJog
from geometry_msgs.msg import PoseStamped, TwistStamped
from moveit_msgs.msg import ServoStatus
from moveit_msgs.srv import ServoCommandType
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_srvs.srv import SetBool
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from aca_sim.model.config import load_model_config
from aca_sim.model.names import SHA_CONTROLLER, SHA_JOINTS
from aca_sim.motion.arm_planner import ArmPlanner
from aca_sim.motion.servo import Servo, ServoCode, ServoCommand, ServoInputError, ServoSettings
from aca_sim.ros.conversions import hardware_of
from aca_sim.ros.parameters import read_only_parameter
from aca_sim.ros.spinning import run_node

PREFIX = "moveit_servo."
SCENE_PERIOD_S = 1.0  # wall s between planning scene reads while commands go on
KINDS = {
    ServoCommandType.Request.JOINT_JOG: "JOINT_JOG",
    ServoCommandType.Request.TWIST: "TWIST",
    ServoCommandType.Request.POSE: "POSE",
}
TRACKING_SLACK = (
    2.0  # the last command is the start while the arm is this many periods' moves near
)


class ServoNode(Node):
    """MoveIt Servo's node for the SHA; see the module docstring."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("servo_node", **kwargs)
        self.period_s = read_only_parameter(
            self, PREFIX + "publish_period", 0.034, "MoveIt Servo's publish_period, wall s"
        )
        scale = read_only_parameter(
            self,
            "time_scale",
            1.0,
            "sim s per wall s (the sim's real_time_factor in realtime mode)",
        )
        if not (self.period_s > 0 and scale > 0):
            raise ValueError(
                f"publish_period {self.period_s!r} and time_scale {scale!r} must be > 0"
            )
        self.settings = self._settings(self.period_s * scale)
        model = load_model_config(
            read_only_parameter(self, "model_config", "", "model YAML (the sim's); empty: default")
            or None
        )
        sim = read_only_parameter(self, "sim_namespace", "/aca", "where the sim's services are")
        out = read_only_parameter(
            self,
            PREFIX + "command_out_topic",
            f"/{SHA_CONTROLLER}/joint_trajectory",
            "the controller's trajectory topic",
        )
        self.planner = ArmPlanner.for_config(model)
        self.servo = Servo(
            self.planner.kinematics.kin,
            self.planner.limits,
            self.planner.bounds,
            self.planner.scene.collision.clearance,
            self.settings,
        )
        self.kind = ServoCommandType.Request.JOINT_JOG
        self.paused = False
        self._latest: tuple[int, Any, float] | None = None  # (kind, message, wall s)
        self._q: tuple[float, ...] | None = None
        self._last: ServoCommand | None = None
        self._scene_at = -np.inf
        self._scene_call: Any = None
        self._scene_read = False  # no motion before the first read of the world
        self.out = self.create_publisher(JointTrajectory, out, 10)
        self.status_pub = self.create_publisher(ServoStatus, "~/status", 10)
        kinds = ServoCommandType.Request
        self.create_subscription(JointJog, "~/delta_joint_cmds", self._on(kinds.JOINT_JOG), 10)
        self.create_subscription(TwistStamped, "~/delta_twist_cmds", self._on(kinds.TWIST), 10)
        self.create_subscription(PoseStamped, "~/pose_target_cmds", self._on(kinds.POSE), 10)
        self.create_subscription(JointState, "/joint_states", self._on_joints, 10)
        self.create_service(ServoCommandType, "~/switch_command_type", self._on_switch)
        self.create_service(SetBool, "~/pause_servo", self._on_pause)
        self.state_client = self.create_client(GetWorldState, f"{sim.rstrip('/')}/sim/get_state")
        self.create_timer(self.period_s, self._tick)
        self.get_logger().info(
            f"servo up: {self.period_s * 1e3:.0f} ms period, commands time out "
            f"after {self.settings.incoming_command_timeout:g} s, out on {out}"
        )

    def _settings(self, period_sim_s: float) -> ServoSettings:
        """ServoSettings from the moveit_servo.* parameters (ValueError naming a bad one),
        the period in sim time (each command's point is that far ahead)."""
        values = {"publish_period": period_sim_s}
        for field in dataclasses.fields(ServoSettings):
            if field.name == "publish_period":
                continue
            name = field.name.replace("scale_", "scale.")
            values[field.name] = read_only_parameter(
                self, PREFIX + name, field.default, f"MoveIt Servo's {name} (see motion/servo.py)"
            )
        return ServoSettings(**values)

    # ------------------------------------------------------------------ inputs
    def _on(self, kind: int) -> Any:
        def take(message: Any) -> None:
            if kind != self.kind:
                self.get_logger().warning(
                    f"{KINDS[kind]} command ignored: the command type is {KINDS[self.kind]} "
                    "(~/switch_command_type)",
                    throttle_duration_sec=2.0,
                )
                return
            self._latest = (kind, message, time.monotonic())

        return take

    def _on_joints(self, message: JointState) -> None:
        positions = dict(zip(message.name, message.position, strict=False))
        if all(name in positions for name in SHA_JOINTS):
            self._q = tuple(float(positions[name]) for name in SHA_JOINTS)

    def _on_switch(self, request: Any, response: Any) -> Any:
        response.success = request.command_type in KINDS
        if response.success:
            self.kind, self._latest = request.command_type, None
        return response

    def _on_pause(self, request: Any, response: Any) -> Any:
        self.paused, self._latest = bool(request.data), None
        response.success = True
        response.message = "paused" if self.paused else "running"
        return response

    # ------------------------------------------------------------------ the loop
    def _tick(self) -> None:
        if self._q is None:
            return
        start = self._start()
        fresh = self._latest is not None and (
            time.monotonic() - self._latest[2] <= self.settings.incoming_command_timeout
        )
        if self.paused or not fresh:
            if self.servo.moving:
                self._send(self.servo.halt(start))
            if not self.servo.moving:
                self._last = None  # at rest: the next command starts from the measured joints
            return
        self._refresh_scene()
        if not self._scene_read:
            return
        kind, message, _at = self._latest
        try:
            wanted = self._wanted(kind, message, start)
        except ServoInputError as error:
            self.get_logger().error(f"{KINDS[kind]} command: {error}", throttle_duration_sec=2.0)
            self._publish_status(ServoCode.INVALID, str(error))
            if self.servo.moving:
                self._send(self.servo.halt(start))
            return
        command = self.servo.command(
            start, wanted, twist=kind != ServoCommandType.Request.JOINT_JOG
        )
        self._send(command)

    def _start(self) -> tuple[float, ...]:
        """Where the next command starts: the last one's target while the arm keeps up with
        it (smooth commands), else the measured joints."""
        q = self._q
        last = self._last
        if last is None:
            return q
        slack = TRACKING_SLACK * np.abs(np.array(last.velocities)) * last.period_s + 1e-4
        if np.all(np.abs(np.array(last.positions) - np.array(q)) <= slack):
            return last.positions
        return q

    def _wanted(self, kind: int, message: Any, q: tuple[float, ...]) -> np.ndarray:
        if kind == ServoCommandType.Request.JOINT_JOG:
            if message.displacements and not message.velocities:
                raise ServoInputError("JointJog displacements are not followed: send velocities")
            return self.servo.joint_velocities(list(message.joint_names), list(message.velocities))
        if kind == ServoCommandType.Request.TWIST:
            t = message.twist
            return self.servo.twist_velocities(
                q,
                message.header.frame_id,
                (t.linear.x, t.linear.y, t.linear.z),
                (t.angular.x, t.angular.y, t.angular.z),
            )
        frame = message.header.frame_id
        if frame not in ("", "aca_frame"):
            raise ServoInputError(f"pose frame {frame!r}: pose targets are in 'aca_frame'")
        p = message.pose.position
        return self.servo.pose_velocities(q, (p.x, p.y, p.z))

    def _send(self, command: ServoCommand) -> None:
        point = JointTrajectoryPoint(
            positions=list(command.positions),
            velocities=list(command.velocities),
            time_from_start=_duration(command.period_s),
        )
        self.out.publish(JointTrajectory(joint_names=list(SHA_JOINTS), points=[point]))
        self._last = command
        self._publish_status(command.code, command.message)

    def _publish_status(self, code: int, message: str) -> None:
        self.status_pub.publish(ServoStatus(code=int(code), message=message))

    def _refresh_scene(self) -> None:
        """Ask the sim for the world (tubes, held tube) now and then; the answer updates the
        planning scene the collision check uses."""
        now = time.monotonic()
        if self._scene_call is not None or now - self._scene_at < SCENE_PERIOD_S:
            return
        if not self.state_client.service_is_ready():
            return
        self._scene_at = now
        self._scene_call = self.state_client.call_async(GetWorldState.Request())
        self._scene_call.add_done_callback(self._on_scene)

    def _on_scene(self, future: Any) -> None:
        self._scene_call = None
        try:
            self.planner.scene.update(hardware_of(future.result()))
            self._scene_read = True
        except Exception as error:  # the old scene stays; the next read tries again
            self.get_logger().error(f"planning scene not updated: {error}")


def _duration(seconds: float) -> Duration:
    nanoseconds = round(seconds * 1e9)
    return Duration(sec=nanoseconds // 1_000_000_000, nanosec=nanoseconds % 1_000_000_000)


def main(argv: list[str] | None = None) -> int:
    """Run the node until Ctrl-C or shutdown; return the exit code."""
    return run_node(ServoNode, "aca_sim servo", argv)


if __name__ == "__main__":
    sys.exit(main())
