"""The SHA's FollowJointTrajectory controller over real DDS, with real physics: validation
codes, tracking and feedback, a path tolerance violation on an obstacle, goal tolerance,
preemption, cancel, and the device booking it shares with the caching steps."""

import math

import pytest
from aca_client import WAIT_S, wait, wait_until
from aca_interfaces.action import MoveArm
from aca_interfaces.srv import SetObstacle
from action_msgs.msg import GoalStatus
from control_msgs.action import FollowJointTrajectory
from control_msgs.msg import JointTrajectoryControllerState
from control_msgs.srv import QueryTrajectoryState
from geometry_msgs.msg import Point, Pose, Vector3
from rcl_interfaces.msg import Log
from trajectory_msgs.msg import JointTrajectory

from aca_sim.motion.arm_planner import ArmPlanner, NamedGoal, PlanParameters
from aca_sim.motion.joint_trajectory import JointPoint, JointTrajectoryCommand, command_from
from aca_sim.motion.trajectory_goal import JointTolerance
from aca_sim.ros import blocking
from aca_sim.ros.conversions import sim_time
from aca_sim.ros.trajectory_codec import goal_msg

FJT = FollowJointTrajectory
NAME = "/sha_controller/follow_joint_trajectory"
JOINTS = ("sha_z", "sha_shoulder", "sha_elbow")
Result = FJT.Result


def arm(client):
    state = client.state()
    positions = dict(zip(state.joint_names, state.joint_positions, strict=True))
    return tuple(positions[j] for j in JOINTS)


def goal_of(names, points, stamp=0.0, **tolerances):
    """A goal from (time s, positions) pairs."""
    command = JointTrajectoryCommand(
        tuple(names), tuple(JointPoint(t, tuple(q)) for t, q in points), stamp
    )
    return goal_msg(command, **tolerances)


def shifted(q, dz=0.0, ds=0.0, de=0.0):
    return (q[0] + dz, q[1] + ds, q[2] + de)


def aborted(run, code, named):
    assert run.status == GoalStatus.STATUS_ABORTED, run.result.error_string
    assert run.result.error_code == code, run.result.error_string
    assert named in run.result.error_string, run.result.error_string


def query(client, time_s):
    """~/query_state at a sim time."""
    service = client.node.create_client(QueryTrajectoryState, "/sha_controller/query_state")
    assert service.wait_for_service(timeout_sec=10.0)
    try:
        return wait(service.call_async(QueryTrajectoryState.Request(time=sim_time(time_s))))
    finally:
        client.node.destroy_client(service)


def let_time_pass(sim, seconds=2.0):
    """Step the world on its physics thread with every joint keeping its command (in "fast"
    mode the sim steps only while a goal runs)."""
    steps = round(seconds / sim.aca.dt)
    sim.runner.call(lambda aca: [aca.step() for _ in range(steps)]).result(timeout=WAIT_S)


def test_every_invalid_goal_is_rejected_at_goal_time_logging_its_code_and_moves_nothing(aca):
    """As joint_trajectory_controller: rejected, never accepted then aborted; the reason, with
    the result code a client would have got, is the server's WARN line on /rosout."""
    client, _sim = aca
    logged: list[str] = []
    client.node.create_subscription(Log, "/rosout", lambda m: logged.append(m.msg), 100)
    q0 = arm(client)
    client.send(FJT, NAME, goal_msg=goal_of(JOINTS, [(0.5, q0)]))  # sim time passes 0.5 s
    multi_dof = goal_of(JOINTS, [(1.0, q0)])
    multi_dof.multi_dof_trajectory.joint_names = ["rover_base"]
    cases = [
        (goal_of(["sha_z", "sha_shoulder", "sha_wrist"], [(1, q0)]), -2, "sha_wrist"),
        (goal_of(["sha_z", "sha_shoulder"], [(1, q0[:2])]), -2, "sha_elbow"),
        (goal_of(["sha_z", "sha_z", "sha_elbow"], [(1, q0)]), -2, "sha_z"),
        (goal_of([], []), -2, "empty joint_names"),
        (multi_dof, -2, "rover_base"),
        (goal_of(JOINTS, []), -1, "empty trajectory"),
        (goal_of(JOINTS, [(1.0, q0), (1.0, q0)]), -1, "point 1"),
        (goal_of(JOINTS, [(1.0, shifted(q0, dz=0.4))]), -1, "sha_z position"),
        (goal_of(JOINTS, [(1.0, q0[:2])]), -1, "2 positions"),
        (goal_of(JOINTS, [(1, q0)], path_tolerance=[JointTolerance("sha_z", -2.0)]), -1, "-2"),
        (
            goal_of(JOINTS, [(1, q0)], goal_tolerance=[JointTolerance("sha_wrist", 0.1)]),
            -2,
            "sha_wrist",
        ),
        (goal_of(JOINTS, [(0.1, q0)], stamp=1e-9), -3, "before now"),
    ]
    for message, code, named in cases:
        logged.clear()
        assert not client.start(FJT, NAME, goal_msg=message).accepted, named
        wait_until(lambda: any("goal rejected" in line for line in logged), what="its log line")
        line = next(line for line in logged if "goal rejected" in line)
        assert f"({code}):" in line and named in line, line
    assert arm(client) == q0


def test_a_trajectory_is_tracked_with_feedback_and_meets_the_goal_tolerance(aca):
    client, sim = aca
    q0 = arm(client)
    target = shifted(q0, dz=0.01, ds=0.1, de=-0.1)
    names = ("sha_elbow", "sha_z", "sha_shoulder")  # any order
    reordered = (target[2], target[0], target[1])
    # 40 s of sim time: long enough in wall time (fast mode) for the client to know the goal
    # before most feedback arrives (feedback of a goal not yet known to it is dropped)
    run = client.send(FJT, NAME, goal_msg=goal_of(names, [(40.0, reordered)]))
    assert run.status == GoalStatus.STATUS_SUCCEEDED, run.result.error_string
    assert run.result.error_code == Result.SUCCESSFUL
    final = arm(client)
    config = sim.aca.controller_config
    for got, want, tolerance in zip(final, target, config.goal_position, strict=True):
        assert abs(got - want) <= tolerance
    # 20 Hz of sim time is 800 messages; a reader keeps the last 10 when the sim outruns it,
    # and the last ones may be taken after the result
    wait_until(lambda: len(run.feedback) >= 10, 5.0, "10 feedback messages")
    for feedback in run.feedback:
        assert tuple(feedback.joint_names) == JOINTS
        for desired, actual, error in zip(
            feedback.desired.positions,
            feedback.actual.positions,
            feedback.error.positions,
            strict=True,
        ):
            assert math.isclose(error, desired - actual, abs_tol=1e-12)
        assert all(
            abs(e) < t for e, t in zip(feedback.error.positions, config.path_position, strict=True)
        )


def test_an_obstacle_in_the_way_trips_the_path_tolerance_and_the_arm_holds(aca):
    client, sim = aca
    planner = ArmPlanner.for_config(sim.model)
    start = arm(client)
    plan = planner.plan(start, NamedGoal("above_station_cachecam"), PlanParameters())
    assert plan and len(plan.path) == 2  # a straight motion: the planner saw no obstacle
    middle = plan.trajectory.sample(plan.trajectory.duration_s / 2)[0]
    (x, y, z), _ = planner.fork_pose(middle)
    place = SetObstacle.Request(
        name="rock",
        pose=Pose(position=Point(x=x, y=y, z=z)),
        size=Vector3(x=0.05, y=0.05, z=0.1),
    )
    service = client.node.create_client(SetObstacle, "/aca/sim/set_obstacle")
    assert service.wait_for_service(timeout_sec=10.0)
    assert blocking.wait_future(service.call_async(place), WAIT_S, "set_obstacle").success
    run = client.send(FJT, NAME, goal_msg=goal_msg(command_from(plan.trajectory)))
    aborted(run, Result.PATH_TOLERANCE_VIOLATED, "path tolerance violated")
    stopped = arm(client)
    assert max(abs(a - b) for a, b in zip(stopped, plan.goal_state, strict=True)) > 0.1
    let_time_pass(sim)
    held = arm(client)
    assert max(abs(a - b) for a, b in zip(held, stopped, strict=True)) < 1e-4
    remove = SetObstacle.Request(name="rock")
    assert blocking.wait_future(service.call_async(remove), WAIT_S, "set_obstacle").success
    unknown = blocking.wait_future(service.call_async(remove), WAIT_S, "set_obstacle")
    assert not unknown.success and "rock" in unknown.message


def test_a_goal_out_of_reach_in_time_violates_the_goal_tolerance(aca):
    client, sim = aca
    q0 = arm(client)
    erase = [JointTolerance(name, -1.0) for name in JOINTS]
    message = goal_of(
        JOINTS, [(1.0, shifted(q0, ds=0.5))], path_tolerance=erase, goal_time_tolerance_s=0.2
    )
    run = client.send(FJT, NAME, goal_msg=message)
    aborted(run, Result.GOAL_TOLERANCE_VIOLATED, "sha_shoulder")
    stopped = arm(client)
    let_time_pass(sim)
    assert max(abs(a - b) for a, b in zip(arm(client), stopped, strict=True)) < 1e-4


def test_a_new_goal_preempts_and_the_old_result_returns_at_once(aca):
    client, _sim = aca
    q0 = arm(client)
    # slow enough to be running when the second goal comes, and the second one back within
    # the shoulder's speed from wherever the first one got (it runs at the sim's fast rate)
    first = client.start(FJT, NAME, goal_msg=goal_of(JOINTS, [(60.0, shifted(q0, ds=1.0))]))
    assert first.accepted
    wait_until(lambda: first.feedback)
    order = []
    first_result = blocking.on_executor(client.node, first.handle.get_result_async)
    first_result.add_done_callback(lambda _: order.append("first"))
    second = client.start(FJT, NAME, goal_msg=goal_of(JOINTS, [(12.0, q0)]))
    assert second.accepted
    second_result = blocking.on_executor(client.node, second.handle.get_result_async)
    second_result.add_done_callback(lambda _: order.append("second"))
    blocking.wait_future(second_result, WAIT_S, "second result")
    assert order == ["first", "second"]
    old = first_result.result()
    assert old.status == GoalStatus.STATUS_ABORTED
    assert old.result.error_code == Result.INVALID_GOAL
    assert "new incoming action" in old.result.error_string
    assert second_result.result().status == GoalStatus.STATUS_SUCCEEDED


def test_cancel_holds_the_arm_where_it_is_and_the_state_interfaces_follow_the_goal(aca):
    """Also ~/controller_state and ~/query_state as joint_trajectory_controller's: the state
    while a trajectory runs, its sample at a time, and the refusals in upstream's words."""
    client, sim = aca
    states = []
    client.node.create_subscription(
        JointTrajectoryControllerState, "/sha_controller/controller_state", states.append, 50
    )
    let_time_pass(sim, 1.0)  # the trajectory starts after 1 s of sim time
    q0 = arm(client)
    # 60 s of sim time: still running when the cancel comes, at the sim's fast rate
    run = client.start(FJT, NAME, goal_msg=goal_of(JOINTS, [(60.0, shifted(q0, ds=1.0))]))
    wait_until(lambda: len(run.feedback) >= 10)
    now = query(client, sim.aca.time_s)
    assert now.success and list(now.name) == list(JOINTS), now.message
    assert q0[1] < now.position[1] < q0[1] + 1.0 and now.velocity[1] > 0
    early = query(client, 0.5)
    assert (early.success, early.message) == (
        False,
        "Requested sample time is earlier than the current trajectory start time.",
    )
    blocking.cancel_goal(client.node, run.handle, WAIT_S)
    client.finish(run)
    after = query(client, sim.aca.time_s)
    assert (after.success, after.message) == (
        False,
        "Currently there is no valid trajectory instance.",
    )
    moving = [m for m in states if m.reference.velocities and m.reference.velocities[1] > 0]
    assert moving, "controller states while the trajectory ran"
    for message in moving:
        assert list(message.joint_names) == list(JOINTS)
        for ref, fb, err in zip(
            message.reference.positions,
            message.feedback.positions,
            message.error.positions,
            strict=True,
        ):
            assert err == pytest.approx(ref - fb, abs=1e-12)
        assert list(message.output.positions) == list(message.reference.positions)
    assert run.status == GoalStatus.STATUS_CANCELED
    assert run.result.error_code == Result.SUCCESSFUL
    stopped = arm(client)
    assert 0.01 < stopped[1] - q0[1] < 0.9
    let_time_pass(sim)
    assert max(abs(a - b) for a, b in zip(arm(client), stopped, strict=True)) < 1e-4


def test_the_controller_and_the_caching_steps_share_the_arm(aca):
    client, _sim = aca
    step = client.start(MoveArm, "move_arm", named_target="above_storage_slot_40")
    assert step.accepted
    q0 = arm(client)
    refused = client.start(FJT, NAME, goal_msg=goal_of(JOINTS, [(1.0, q0)]))
    assert not refused.accepted
    client.finish(step)
    assert step.status == GoalStatus.STATUS_SUCCEEDED, step.result.error_msg
    q1 = arm(client)
    trajectory = client.start(FJT, NAME, goal_msg=goal_of(JOINTS, [(5.0, shifted(q1, ds=0.3))]))
    assert trajectory.accepted
    assert not client.start(MoveArm, "move_arm", named_target="stow").accepted
    client.finish(trajectory)
    assert trajectory.status == GoalStatus.STATUS_SUCCEEDED
    assert client.send(MoveArm, "move_arm", named_target="stow").status == (
        GoalStatus.STATUS_SUCCEEDED
    )


def test_the_joint_trajectory_topic_replaces_what_the_arm_follows(aca):
    """~/joint_trajectory as joint_trajectory_controller's: a streamed trajectory preempts a
    running goal (in the controller's words), a newer message replaces the older one where
    the arm is, an invalid one is dropped with its code on /rosout while the arm goes on,
    and the caching steps get the arm back once the stream is idle."""
    client, sim = aca
    logged: list[str] = []
    client.node.create_subscription(Log, "/rosout", lambda m: logged.append(m.msg), 100)
    topic = client.node.create_publisher(JointTrajectory, "/sha_controller/joint_trajectory", 10)
    wait_until(lambda: topic.get_subscription_count() > 0)
    q0 = arm(client)
    goal = client.start(FJT, NAME, goal_msg=goal_of(JOINTS, [(60.0, shifted(q0, ds=1.0))]))
    wait_until(lambda: goal.feedback)
    blocking_result = blocking.on_executor(client.node, goal.handle.get_result_async)

    def stream(points):
        message = goal_of(JOINTS, points).trajectory
        topic.publish(message)

    slow_from_s = sim.aca.time_s
    stream([(600.0, shifted(q0, de=-0.5))])  # slow: still running when the next one comes
    old = blocking.wait_future(blocking_result, WAIT_S, "the preempted goal's result")
    assert old.status == GoalStatus.STATUS_ABORTED
    assert old.result.error_string == "Current goal cancelled due to new incoming action."
    wait_until(lambda: arm(client)[2] < q0[2] - 0.02, what="the streamed trajectory runs")
    topic.publish(JointTrajectory(joint_names=list(JOINTS)))  # empty: dropped, as upstream
    stream([(0.5, (q0[0], 0.0))])  # two positions for three joints: dropped
    wait_until(lambda: sum("trajectory dropped" in m for m in logged) >= 2, what="the drops")
    assert any("INVALID_GOAL" in m and "empty" in m.lower() for m in logged), logged
    assert arm(client)[2] < q0[2] - 0.02  # the arm went on meanwhile
    target = shifted(q0, dz=0.004, ds=0.2)
    stream([(8.0, target)])  # replaces the slow one where the arm is
    wait_until(
        lambda: max(abs(a - b) for a, b in zip(arm(client), target, strict=True)) < 1e-3,
        what="the newest trajectory's end",
    )
    assert sim.aca.time_s < slow_from_s + 600.0  # the slow one was replaced, not waited for
    wait_until(
        lambda: client.start(MoveArm, "move_arm", named_target="stow").accepted,
        what="the arm free again after the stream's idle second",
    )
