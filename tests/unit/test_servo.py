"""The servo's law without ROS, on the planning scene of a fresh ACA (conftest's planner),
the arm moved to each target as commanded: joint and twist jogs within the velocity and
acceleration limits, a jog toward a tube that slows and halts short of it with its code, a
joint bound, a halt that brakes at the acceleration limits, a singularity halt, pose
tracking, and the keyboard's keys."""

import math

import numpy as np
import pytest

from aca_sim.motion.servo import Servo, ServoCode, ServoInputError, ServoSettings


def servo_of(planner, **settings):
    return Servo(
        planner.kinematics.kin,
        planner.limits,
        planner.bounds,
        planner.scene.collision.clearance,
        ServoSettings(command_in_type="speed_units", **settings),
    )


def run_twist(servo, q, frame, linear, periods):
    """run() with a constant twist (m/s) of the fork in frame."""
    return run(
        servo, q, lambda q: servo.twist_velocities(q, frame, linear, (0, 0, 0)), periods, True
    )


def run(servo, q, wanted_of, periods, twist=False):
    """Follow the servo's commands exactly for some periods; the commands and the last q."""
    commands = []
    for _ in range(periods):
        command = servo.command(q, wanted_of(q), twist=twist)
        commands.append(command)
        q = command.positions
    return commands, q


def test_a_jog_up_into_a_tube_slows_then_halts_short_of_it(planner):
    servo = servo_of(planner)
    slot = planner.semantic.state("above_storage_slot_05")
    q = (0.14, slot[1], slot[2])
    commands, q = run_twist(servo, q, "sha_tool", (0, 0, 0.01), 400)
    codes = [c.code for c in commands]
    assert ServoCode.DECELERATE_FOR_COLLISION in codes
    assert codes[-1] == ServoCode.HALT_FOR_COLLISION
    assert commands[-1].message == "Collision ahead, halted short of contact"
    clearance = planner.scene.collision.clearance(q)
    assert 0.0019 < clearance < 0.0025  # stopped at the stop distance, never touching
    speeds = np.array([c.velocities for c in commands])
    assert np.all(np.abs(speeds) <= np.array(planner.limits.velocity) + 1e-12)
    steps = np.abs(np.diff(speeds, axis=0)) / servo.settings.publish_period
    decelerating = [
        i for i, c in enumerate(commands) if c.code == ServoCode.DECELERATE_FOR_COLLISION
    ]
    free = [i for i in range(1, decelerating[0])]
    assert np.all(steps[[i - 1 for i in free]] <= np.array(planner.limits.acceleration) + 1e-9)
    back, _ = run_twist(servo, q, "sha_tool", (0, 0, -0.01), 5)
    assert back[-1].code == ServoCode.NO_WARNING and back[-1].velocities[0] < 0  # away: free


def test_joint_jogs_keep_the_limits_and_stop_at_a_bound(planner):
    servo = servo_of(planner)
    stow = planner.semantic.state("stow")  # elbow 2.75 rad, the bound 2.9
    commands, q = run(
        servo, tuple(stow), lambda q: servo.joint_velocities(["sha_elbow"], [1.0]), 200
    )
    assert max(c.velocities[2] for c in commands) == pytest.approx(planner.limits.velocity[2])
    assert commands[-1].code == ServoCode.JOINT_BOUND
    assert 2.9 - 0.011 < q[2] <= 2.9 - 0.01 + 1e-9
    with pytest.raises(ServoInputError, match="panda_joint1"):
        servo.joint_velocities(["panda_joint1"], [0.1])
    with pytest.raises(ServoInputError, match="'world'"):
        servo.twist_velocities(q, "world", (0.01, 0, 0), (0, 0, 0))


def test_a_twist_moves_the_fork_straight_in_its_frame_and_a_halt_brakes(planner):
    servo = servo_of(planner, check_collisions=False)
    q0 = tuple(planner.semantic.state("above_station_cachecam"))
    start = servo.fork_position(q0)
    commands, q = run_twist(servo, q0, "aca_frame", (0.01, 0, 0), 60)
    moved = servo.fork_position(q) - start
    assert moved[0] > 0.005 and abs(moved[1]) < 1e-4 and abs(moved[2]) < 1e-9
    speed = max(abs(v) for v in commands[-1].velocities)
    halts = []
    while servo.moving:
        halts.append(servo.halt(q))
        q = halts[-1].positions
    brake_s = len(halts) * servo.settings.publish_period
    worst = max(
        abs(v) / a
        for v, a in zip(commands[-1].velocities, planner.limits.acceleration, strict=True)
    )
    assert brake_s == pytest.approx(worst, abs=servo.settings.publish_period) and speed > 0
    assert math.isclose(sum(abs(v) for v in halts[-1].velocities), 0.0, abs_tol=1e-12)


def test_keys_make_jogs_and_a_held_key_one_jog():
    from aca_sim.teleop.keyboard import FIRST_HOLD_S, REPEAT_HOLD_S, Keyboard, keys_of

    assert keys_of(b"\x1b[A\x1b[Dq.\x1b[Z1") == ["up", "left", "q", ".", "1"]
    keyboard = Keyboard()
    keyboard.press("up", 0.0)
    assert keyboard.current(FIRST_HOLD_S - 0.01).linear == (1.0, 0.0, 0.0)  # the repeat delay
    keyboard.press("up", 0.5)  # the terminal repeats: now a short hold
    assert keyboard.current(0.5 + REPEAT_HOLD_S - 0.01) is not None
    assert keyboard.current(0.5 + REPEAT_HOLD_S + 0.01) is None  # let go
    assert keyboard.press("e", 1.0) == "twist frame sha_tool"
    keyboard.press(";", 1.0)
    assert (keyboard.current(1.1).frame, keyboard.current(1.1).linear) == ("sha_tool", (0, 0, 1.0))
    assert keyboard.press("j", 1.2) == "joint mode" and keyboard.current(1.2) is None
    keyboard.press("r", 1.3)
    keyboard.press("2", 1.3)
    assert (keyboard.current(1.4).joint, keyboard.current(1.4).velocity) == ("sha_shoulder", -1.0)
    assert keyboard.press(" ", 1.5) == "stop" and keyboard.current(1.5) is None
    assert keyboard.press("q", 1.6) == "quit" and keyboard.quit


def test_a_twist_toward_the_stretched_arm_slows_and_halts_before_the_singularity(planner):
    servo = servo_of(planner, check_collisions=False)
    q = (0.02, 0.0, 0.35)  # the elbow bent 0.35 rad; +x in aca_frame straightens it
    commands, q = run_twist(servo, q, "aca_frame", (0.02, 0, 0), 300)
    codes = [c.code for c in commands]
    assert ServoCode.DECELERATE_FOR_APPROACHING_SINGULARITY in codes
    assert codes[-1] == ServoCode.HALT_FOR_SINGULARITY
    assert servo.condition(q) >= servo.settings.hard_stop_singularity_threshold * 0.95
    assert q[2] > 0.01  # never straight
    back, _ = run_twist(servo, q, "aca_frame", (-0.02, 0, 0), 5)
    assert back[-1].code == ServoCode.NO_WARNING  # leaving it is not slowed


def test_pose_tracking_brings_the_fork_to_the_target(planner):
    servo = servo_of(planner, check_collisions=False)
    q0 = tuple(planner.semantic.state("above_station_cachecam"))
    target = servo.fork_position(q0) + np.array([0.01, -0.008, 0.003])
    _commands, q = run(servo, q0, lambda q: servo.pose_velocities(q, target), 400, twist=True)
    assert np.linalg.norm(servo.fork_position(q) - target) < 2e-4
