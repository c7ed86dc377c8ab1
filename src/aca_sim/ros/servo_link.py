"""A client of a servo node's interfaces (MoveIt Servo's: ~/delta_twist_cmds,
~/delta_joint_cmds, ~/switch_command_type, ~/pause_servo), for aca_sim's keyboard and web
teleop; it drives a real MoveIt Servo the same way. Thread rules: publish and the *_async
calls from any thread; the futures resolve on the node's executor thread."""

from __future__ import annotations

from collections.abc import Sequence

from control_msgs.msg import JointJog
from geometry_msgs.msg import TwistStamped
from moveit_msgs.srv import ServoCommandType
from rclpy.node import Node
from rclpy.task import Future
from std_srvs.srv import SetBool

SERVO = "/servo_node"


class ServoLink:
    """The servo's topics and services on a node spun elsewhere."""

    def __init__(self, node: Node, servo: str = SERVO) -> None:
        self.node, self.servo = node, servo
        self.twist_pub = node.create_publisher(TwistStamped, f"{servo}/delta_twist_cmds", 10)
        self.joint_pub = node.create_publisher(JointJog, f"{servo}/delta_joint_cmds", 10)
        self.switch = node.create_client(ServoCommandType, f"{servo}/switch_command_type")
        self.pause = node.create_client(SetBool, f"{servo}/pause_servo")
        self.twist_mode: bool | None = None  # the command type last asked for

    def wait(self, timeout_s: float) -> bool:
        """True once the servo's services answer (not on the executor thread)."""
        return self.switch.wait_for_service(timeout_sec=timeout_s) and (
            self.pause.wait_for_service(timeout_sec=timeout_s)
        )

    def command_type_async(self, twist: bool) -> Future:
        """Ask the servo to follow twists (True) or joint jogs; a future of the response."""
        self.twist_mode = twist
        kind = ServoCommandType.Request.TWIST if twist else ServoCommandType.Request.JOINT_JOG
        return self.switch.call_async(ServoCommandType.Request(command_type=kind))

    def pause_async(self, paused: bool) -> Future:
        return self.pause.call_async(SetBool.Request(data=paused))

    def send_twist(
        self, frame: str, linear: Sequence[float], angular: Sequence[float] = (0.0, 0.0, 0.0)
    ) -> None:
        """A twist (unitless or m/s, rad/s: the servo's command_in_type) in frame."""
        message = TwistStamped()
        message.header.frame_id = frame
        message.header.stamp = self.node.get_clock().now().to_msg()
        t = message.twist
        t.linear.x, t.linear.y, t.linear.z = (float(v) for v in linear)
        t.angular.x, t.angular.y, t.angular.z = (float(w) for w in angular)
        self.twist_pub.publish(message)

    def send_joint(self, joint: str, velocity: float) -> None:
        """One joint's velocity (unitless or m/s, rad/s)."""
        message = JointJog(joint_names=[joint], velocities=[float(velocity)])
        message.header.stamp = self.node.get_clock().now().to_msg()
        self.joint_pub.publish(message)
