"""The servo node over real DDS with the sim node: MoveIt Servo's interfaces (command type
switch, pause, status), a twist jog up into a stored tube that slows and halts short of it
with the status code, and a joint jog that halts within the timeout (plus the braking at
the acceleration limit) once its commands stop."""

import itertools
import os
import pty
import select
import subprocess
import sys
import time

import pytest
from aca_client import WAIT_S, AcaClient, wait
from aca_interfaces.action import MoveArm
from action_msgs.msg import GoalStatus
from control_msgs.action import FollowJointTrajectory
from control_msgs.msg import JointJog
from geometry_msgs.msg import TwistStamped
from moveit_msgs.msg import ServoStatus
from moveit_msgs.srv import ServoCommandType
from rclpy.node import Node
from rclpy.parameter import Parameter
from std_srvs.srv import SetBool

from aca_sim.model.names import SHA_JOINTS
from aca_sim.motion.arm_planner import ArmPlanner
from aca_sim.motion.joint_trajectory import JointPoint, JointTrajectoryCommand
from aca_sim.ros.conversions import hardware_of
from aca_sim.ros.spinning import BackgroundSpinner
from aca_sim.ros.trajectory_codec import goal_msg

PERIOD_S = 0.02  # how often the test sends commands, wall s


@pytest.fixture
def servo(ros_context):
    from aca_sim.nodes.servo_node import ServoNode
    from aca_sim.nodes.sim_node import SimNode

    sim = SimNode(context=ros_context, parameter_overrides=[Parameter("seed", value=3)])
    node = ServoNode(context=ros_context)
    client_node = Node("servo_test", context=ros_context)
    spinner = BackgroundSpinner([sim, node, client_node], context=ros_context).start()
    yield AcaClient(client_node), sim, node
    spinner.stop()
    for each in (node, sim, client_node):
        each.destroy_node()


def call(client, kind, name, request):
    service = client.node.create_client(kind, name)
    assert service.wait_for_service(timeout_sec=WAIT_S)
    try:
        return wait(service.call_async(request))
    finally:
        client.node.destroy_client(service)


def arm(client):
    state = client.state()
    positions = dict(zip(state.joint_names, state.joint_positions, strict=True))
    return tuple(positions[j] for j in SHA_JOINTS)


def move_to(client, named, z):
    """To a named state of the SRDF (move_arm), then up to z (m) with the controller."""
    moved = client.send(MoveArm, "move_arm", named_target=named)
    assert moved.status == GoalStatus.STATUS_SUCCEEDED, moved.result.error_msg
    q = arm(client)
    command = JointTrajectoryCommand(SHA_JOINTS, (JointPoint(40.0, (z, q[1], q[2])),), 0.0)
    run = client.send(
        FollowJointTrajectory,
        "/sha_controller/follow_joint_trajectory",
        goal_msg=goal_msg(command),
    )
    assert run.result.error_code == 0, run.result.error_string


def stream_until(publish, condition, timeout_s=30.0):
    """Publish a command every PERIOD_S until condition() holds; the wall time it took."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout_s, "timed out streaming commands"
        publish()
        time.sleep(PERIOD_S)
    return time.monotonic() - started


def stream_for(publish, seconds):
    """Publish a command every PERIOD_S for `seconds` of wall time."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        publish()
        time.sleep(PERIOD_S)


def test_a_twist_into_a_tube_slows_and_halts_short_of_it_with_the_status_code(servo):
    client, sim, _node = servo
    statuses: list[ServoStatus] = []
    client.node.create_subscription(ServoStatus, "/servo_node/status", statuses.append, 100)
    move_to(client, "above_storage_slot_05", 0.15)  # 1.7 cm from the nearest tube
    assert call(
        client,
        ServoCommandType,
        "/servo_node/switch_command_type",
        ServoCommandType.Request(command_type=ServoCommandType.Request.TWIST),
    ).success
    twists = client.node.create_publisher(TwistStamped, "/servo_node/delta_twist_cmds", 10)
    up = TwistStamped()
    up.header.frame_id = "sha_tool"
    up.twist.linear.z = 1.0  # unitless: 0.02 m/s, the joint's 5 mm/s limit takes over
    took = stream_until(
        lambda: twists.publish(up),
        lambda: statuses and statuses[-1].code == ServoStatus.HALT_FOR_COLLISION,
    )
    print(f"jog took {took:.2f} s")
    codes = [s.code for s in statuses]
    assert ServoStatus.DECELERATE_FOR_COLLISION in codes
    stopped = arm(client)
    stream_for(lambda: twists.publish(up), 0.5)  # commands go on: the arm stays halted
    held = arm(client)
    assert abs(held[0] - stopped[0]) < 2e-4, (stopped, held)
    planner = ArmPlanner.for_config(sim.model)
    planner.scene.update(hardware_of(client.state()))
    clearance = planner.scene.collision.clearance(held)
    print(f"halted at z {held[0]:.4f} m, clearance {clearance * 1e3:.2f} mm")
    assert 0.0 < clearance < 0.004, clearance  # short of the tube, and close to it
    assert held[0] > 0.16


def test_a_joint_jog_halts_within_the_timeout_when_commands_stop_and_pause_holds(servo):
    client, sim, node = servo
    jogs = client.node.create_publisher(JointJog, "/servo_node/delta_joint_cmds", 10)
    jog = JointJog(joint_names=["sha_shoulder"], velocities=[1.0])  # unitless: 0.1 rad/s
    q0 = arm(client)
    stream_until(lambda: jogs.publish(jog), lambda: arm(client)[1] > q0[1] + 0.03)
    last_command = time.monotonic()
    at_last = arm(client)[1]
    previous, still_since = at_last, None
    while True:
        time.sleep(0.01)
        now = arm(client)[1]
        if abs(now - previous) > 1e-6:
            previous, still_since = now, None
        elif still_since is None:
            still_since = time.monotonic()
        elif time.monotonic() - still_since > 0.3:
            break
        assert time.monotonic() - last_command < 5.0, "the arm never stopped"
    halted_after = still_since - last_command
    settings = node.settings
    brake = sim.aca.planner.limits.velocity[1] / sim.aca.planner.limits.acceleration[1]
    print(
        f"halted {halted_after:.3f} s after the last command, moved {previous - at_last:.4f} rad"
    )
    assert halted_after < settings.incoming_command_timeout + brake + 0.15, halted_after
    assert previous - at_last < 0.1 * (settings.incoming_command_timeout + brake) + 0.01
    assert call(client, SetBool, "/servo_node/pause_servo", SetBool.Request(data=True)).success
    stream_for(lambda: jogs.publish(jog), 0.4)
    assert abs(arm(client)[1] - previous) < 1e-6  # paused: commands do nothing


def test_the_keyboard_teleop_jogs_the_fork_in_a_terminal(servo):
    """`aca-sim teleop keyboard` on a pseudo-terminal: a held arrow key (a press, then a
    terminal's repeats) moves the fork along +x smoothly, and q quits."""
    client, sim, _node = servo
    planner = sim.aca.planner
    moved = client.send(MoveArm, "move_arm", named_target="above_station_cachecam")
    assert moved.status == GoalStatus.STATUS_SUCCEEDED, moved.result.error_msg
    start = planner.fork_pose(arm(client))[0]
    primary, secondary = pty.openpty()
    program = subprocess.Popen(
        [sys.executable, "-m", "aca_sim.cli", "teleop", "keyboard"],
        stdin=secondary,
        stdout=secondary,
        stderr=subprocess.PIPE,
    )
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + WAIT_S
    while b"quit" not in seen:  # the help is up: the servo answered
        assert time.monotonic() < deadline and program.poll() is None, program.stderr.read()
        if select.select([primary], [], [], 0.1)[0]:
            seen += os.read(primary, 4096)
    os.write(primary, b"\x1b[A")  # up: +x in aca_frame
    time.sleep(0.5)  # a terminal's repeat delay
    samples = []
    for _ in range(40):  # then its repeats, every 30 ms
        os.write(primary, b"\x1b[A")
        time.sleep(0.03)
        samples.append(planner.fork_pose(arm(client))[0][0])
    os.write(primary, b"q")
    assert program.wait(timeout=WAIT_S) == 0, program.stderr.read()
    os.close(primary)
    end = planner.fork_pose(arm(client))[0]
    assert end[0] - start[0] > 0.01, (start, end)  # 0.02 m/s unitless, ~1.7 s held
    assert abs(end[1] - start[1]) < 0.1 * (end[0] - start[0]) and abs(end[2] - start[2]) < 1e-4
    steps = [b - a for a, b in itertools.pairwise(samples)]
    assert min(steps) >= -1e-5 and sum(s > 0 for s in steps) > 0.8 * len(
        steps
    )  # never back, seldom still
