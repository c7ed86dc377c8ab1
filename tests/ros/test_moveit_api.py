"""The moveit_py-shaped API against the sim node over real DDS: plans to named states, joint
states and poses, executed through FollowJointTrajectory; collision objects in the planning
scene; every planning error with its code and a message naming the value; and the node
rules (a node it is given is used, never spun, and outlives it)."""

import ast
import math
import subprocess
import sys
from pathlib import Path

import pytest
from geometry_msgs.msg import Point, Pose, PoseStamped
from moveit_msgs.msg import RobotTrajectory as MoveItRobotTrajectory

from aca_sim.model.names import SHA_JOINTS
from aca_sim.moveit import (
    AcaMoveIt,
    CollisionObject,
    MoveItErrorCode,
    PlanningError,
    PlanRequestParameters,
    RobotState,
    SolidPrimitive,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plan_and_execute.py"


@pytest.fixture
def moveit(aca):
    """AcaMoveIt on the test's client node (spun by the test's spinner, not by AcaMoveIt)."""
    client, sim = aca
    api = AcaMoveIt(node=client.node)
    yield api, client, sim
    api.shutdown()


def pose_goal(x, y, z, frame="aca_frame"):
    pose = PoseStamped()
    pose.header.frame_id = frame
    pose.pose.position = Point(x=x, y=y, z=z)
    return pose


def arm(api):
    return api.current_positions()


def test_named_joint_and_pose_goals_are_planned_and_executed(moveit):
    api, _client, sim = moveit
    sha = api.get_planning_component("sha")
    assert "stow" in sha.named_target_states
    sha.set_start_state_to_current_state()
    sha.set_goal_state(configuration_name="above_station_volume_probe")
    plan = sha.plan()
    assert plan and plan.error_code.val == 1
    assert plan.planning_time > 0 and plan.trajectory.duration > 0
    message = plan.trajectory.get_robot_trajectory_msg()  # moveit_msgs/RobotTrajectory
    assert (
        isinstance(message, MoveItRobotTrajectory)
        and not message.multi_dof_joint_trajectory.points
    )
    assert tuple(message.joint_trajectory.joint_names) == SHA_JOINTS
    assert len(message.joint_trajectory.points) == len(plan.trajectory)
    assert api.execute(plan.trajectory, controllers=[])
    wanted = api.get_robot_model().named_state("above_station_volume_probe")
    assert arm(api) == pytest.approx(wanted, abs=1e-3)

    state = RobotState(api.get_robot_model())
    state.set_joint_group_positions("sha", [0.05, 0.4, -0.6])
    sha.set_goal_state(robot_state=state)
    plan = sha.plan(PlanRequestParameters(max_velocity_scaling_factor=0.5))
    assert plan
    result = api.execute_async(plan.trajectory, controllers=["sha_controller"]).result(60)
    assert result and result.status == "SUCCEEDED"
    assert arm(api) == pytest.approx([0.05, 0.4, -0.6], abs=1e-3)

    sha.set_goal_state(pose_stamped_msg=pose_goal(0.30, 0.12, 0.05), pose_link="sha_tool")
    plan = sha.plan()
    assert plan, plan.message
    assert api.execute(plan.trajectory)
    state = RobotState(api.get_robot_model())
    state.set_joint_group_positions("sha", arm(api))
    reached = state.get_pose("sha_tool").position
    assert (reached.x, reached.y, reached.z) == pytest.approx((0.30, 0.12, 0.05), abs=2e-3)
    assert sim.aca.world.held_tube == 0


def test_planning_errors_have_their_codes_and_name_the_value(moveit):
    api, _client, sim = moveit
    sha = api.get_planning_component("sha")
    with pytest.raises(PlanningError) as refused:
        api.get_planning_component("arm")
    assert refused.value.code == MoveItErrorCode.INVALID_GROUP_NAME
    assert "'arm'" in refused.value.message

    def plan_to(**goal):
        sha.set_start_state_to_current_state()
        sha.set_goal_state(**goal)
        return sha.plan()

    unknown = plan_to(configuration_name="above_mars")
    assert unknown.error_code == MoveItErrorCode.INVALID_GOAL_CONSTRAINTS
    assert "above_mars" in unknown.message
    far = plan_to(pose_stamped_msg=pose_goal(0.9, 0.0, 0.05))
    assert far.error_code == MoveItErrorCode.NO_IK_SOLUTION and "0.9000" in far.message
    framed = plan_to(pose_stamped_msg=pose_goal(0.3, 0.1, 0.05, frame="base_link"))
    assert framed.error_code == MoveItErrorCode.FRAME_TRANSFORM_FAILURE
    assert "base_link" in framed.message
    beyond = RobotState(api.get_robot_model())
    beyond.set_joint_group_positions("sha", [0.02, 0.0, 3.5])
    limits = plan_to(robot_state=beyond)
    assert limits.error_code == MoveItErrorCode.GOAL_STATE_INVALID
    assert "sha_elbow" in limits.message

    inside = RobotState(api.get_robot_model())
    slot = sim.aca.stations["storage_slot_05"]
    inside.set_joint_group_positions("sha", sim.aca.devices.sha.station_joints(slot))
    colliding = plan_to(robot_state=inside)
    assert colliding.error_code == MoveItErrorCode.GOAL_IN_COLLISION
    assert "tube_205" in colliding.message
    sha.set_start_state(robot_state=inside)
    sha.set_goal_state(configuration_name="stow")
    start = sha.plan()
    assert start.error_code == MoveItErrorCode.START_STATE_IN_COLLISION
    assert "tube_205" in start.message
    sha.set_start_state_to_current_state()
    slow = sha.plan(PlanRequestParameters(planner_id="NoSuchPlanner"))
    assert slow.error_code == MoveItErrorCode.PLANNING_FAILED and "NoSuchPlanner" in slow.message
    with pytest.raises(ValueError, match="cell_controller"):
        api.execute(start.trajectory, controllers=["cell_controller"])


def test_collision_objects_change_what_is_planned(moveit):
    api, _client, _sim = moveit
    sha = api.get_planning_component("sha")
    monitor = api.get_planning_scene_monitor()
    sha.set_start_state_to_current_state()
    sha.set_goal_state(configuration_name="above_station_cachecam")
    direct = sha.plan()
    assert direct and len(direct.trajectory.trajectory.waypoints) == 2
    middle = direct.trajectory.trajectory.sample(direct.trajectory.duration / 2)[0]
    state = RobotState(api.get_robot_model())
    state.set_joint_group_positions("sha", middle)
    fork = state.get_pose("sha_tool").position
    box = CollisionObject(
        id="crate",
        primitives=[SolidPrimitive(type=SolidPrimitive.BOX, dimensions=[0.05, 0.05, 0.08])],
        primitive_poses=[Pose(position=Point(x=fork.x, y=fork.y, z=fork.z))],
    )
    with monitor.read_only() as scene, pytest.raises(PermissionError):
        scene.apply_collision_object(box)
    with monitor.read_write() as scene:
        scene.apply_collision_object(box)
        assert scene.world_object_names == ["crate"]
        assert scene.is_state_colliding(state, "sha")
    around = sha.plan()
    assert around, around.message
    assert len(around.trajectory.trajectory.waypoints) > 2
    with monitor.read_only() as scene:
        for t in [i * 0.005 for i in range(int(around.trajectory.duration / 0.005))]:
            sample = around.trajectory.trajectory.sample(t)[0]
            probe = RobotState(api.get_robot_model())
            probe.set_joint_group_positions("sha", sample)
            assert not scene.is_state_colliding(probe)
    assert api.execute(around.trajectory)
    with monitor.read_write() as scene:
        scene.apply_collision_object(CollisionObject(id="crate", operation=CollisionObject.REMOVE))
        assert scene.world_object_names == []
        with pytest.raises(PlanningError) as missing:
            scene.apply_collision_object(
                CollisionObject(id="crate", operation=CollisionObject.REMOVE)
            )
        assert "crate" in missing.value.message


def test_a_plan_from_elsewhere_is_not_executed(moveit):
    api, _client, _sim = moveit
    sha = api.get_planning_component("sha")
    sha.set_start_state(configuration_name="above_station_bst")
    sha.set_goal_state(configuration_name="stow")
    plan = sha.plan()
    assert plan
    result = api.execute(plan.trajectory)
    assert result.status == "INVALID" and "current state" in result.error_string


def test_a_given_node_is_used_not_spun_and_outlives_the_api(aca):
    client, _sim = aca
    api = AcaMoveIt(node=client.node)
    assert api.node is client.node
    assert client.node.executor is not None  # the test's spinner spins it
    positions = api.current_positions()
    api.shutdown()
    assert len(positions) == 3 and all(math.isfinite(v) for v in positions)
    assert client.state().joint_names  # the node still works after the API is gone


def test_the_example_runs():
    """examples/plan_and_execute.py with a simulator in its own process."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--start-sim"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| around the obstacle | yes |" in done.stdout


TUTORIAL = EXAMPLE.with_name("moveit_py_tutorial.py")


def test_the_moveit_py_tutorial_runs_unchanged_but_for_its_imports(aca):
    """examples/moveit_py_tutorial.py (moveit2_tutorials' motion planning script, its calls
    unchanged) in its own process against this test's simulator, over DDS: seven plans
    planned and executed (named states, a random RobotState, a pose, joint constraints, four
    pipelines of which two are not configured, around collision objects), a state set from
    IK found colliding, and the arm back at stow."""
    client, _sim = aca
    imported = {  # what the script takes from aca_sim: moveit_py's (and the messages') names
        (node.module, alias.name)
        for node in ast.walk(ast.parse(TUTORIAL.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module.startswith("aca_sim")
        for alias in node.names
    }
    assert imported == {
        ("aca_sim.moveit.planning", "MoveItPy"),
        ("aca_sim.moveit.planning", "MultiPipelinePlanRequestParameters"),
        ("aca_sim.moveit.planning", "PlanningComponent"),  # these three for type hints
        ("aca_sim.moveit.planning", "PlanningSceneMonitor"),
        ("aca_sim.moveit.planning", "PlanRequestParameters"),
        ("aca_sim.moveit.core.robot_state", "RobotState"),
        ("aca_sim.moveit.core.kinematic_constraints", "construct_joint_constraint"),
        ("aca_sim.moveit", "CollisionObject"),  # moveit_msgs.msg's
        ("aca_sim.moveit", "SolidPrimitive"),  # shape_msgs.msg's
    }
    done = subprocess.run(
        [sys.executable, str(TUTORIAL)], capture_output=True, text=True, timeout=300, check=False
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "Planning failed" not in log, log
    assert log.count("Execution SUCCEEDED") == 7, log
    assert "Executing plan (planner RRTConnectkConfigDefault)" in log  # plan 5: an ompl one
    assert "Robot is in collision: True" in log and "sha_fore touches boxes" in log
    api = AcaMoveIt(node=client.node)
    try:
        stow = api.get_robot_model().named_state("stow")
        assert api.current_positions() == pytest.approx(stow, abs=2e-3)
    finally:
        api.shutdown()
