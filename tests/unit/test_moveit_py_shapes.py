"""moveit_py's shapes without a simulator: PlanRequestParameters loaded from the MoveItPy
parameters as MoveItCpp reads them, goal constraints turned into goals or refused with their
code, RobotState's IK, random and named states, and the multi-pipeline selection."""

import math
from types import SimpleNamespace

import pytest
from geometry_msgs.msg import Pose

from aca_sim.model.config import load_model_config
from aca_sim.model.names import SHA_JOINTS
from aca_sim.motion.arm_planner import ArmPlanner, JointGoal, PoseGoal, quaternion_of_yaw
from aca_sim.motion.errors import MoveItErrorCode, PlanningError
from aca_sim.moveit.component import MotionPlanResponse, RobotTrajectory, shortest_solution
from aca_sim.moveit.core.kinematic_constraints import (
    Constraints,
    JointConstraint,
    construct_joint_constraint,
    construct_link_constraint,
    goal_of,
)
from aca_sim.moveit.plan_parameters import (
    MultiPipelinePlanRequestParameters,
    PlanRequestParameters,
    load_parameters,
)
from aca_sim.moveit.robot_state import RobotModel, RobotState


@pytest.fixture(scope="module")
def model():
    return RobotModel(ArmPlanner.for_config(load_model_config()), seed=0)


def robot(**tree):
    return SimpleNamespace(parameters=load_parameters(tree) if tree else load_parameters())


# ---------------------------------------------------------------------- parameters
def test_plan_request_parameters_are_read_where_moveit_cpp_reads_them(tmp_path):
    aca = robot()  # config/moveit_cpp.yaml
    named = PlanRequestParameters(aca, "ompl_rrt_star")
    assert (named.planning_pipeline, named.planner_id, named.planning_time) == (
        "ompl",
        "RRTstarkConfigDefault",
        0.5,
    )
    default = PlanRequestParameters(aca, "")  # plan_request_params.*
    assert (default.planner_id, default.planning_attempts) == ("RRTConnectkConfigDefault", 1)
    assert default.motion_parameters().planner_id == "RRTConnectkConfigDefault"
    missing = PlanRequestParameters(aca, "pilz_lin")  # not in the file: MoveIt's defaults
    assert (missing.planning_pipeline, missing.planning_attempts, missing.planning_time) == (
        "",
        5,
        1.0,
    )
    with pytest.raises(PlanningError) as error:
        missing.motion_parameters()
    assert error.value.code == MoveItErrorCode.PLANNING_FAILED
    assert "pilz_lin.plan_request_params" in error.value.message
    chomp = PlanRequestParameters(
        robot(c={"plan_request_params": {"planning_pipeline": "chomp"}}), "c"
    )
    with pytest.raises(PlanningError, match=r"'chomp'.*only 'ompl'"):
        chomp.motion_parameters()
    assert PlanRequestParameters(aca, "ompl_rrtc", planning_time=3.0).planning_time == 3.0
    multi = MultiPipelinePlanRequestParameters(aca, ["ompl_rrtc", "chomp"])
    assert [p.planning_pipeline for p in multi.multi_plan_request_parameters] == ["ompl", ""]
    ros_file = tmp_path / "params.yaml"
    ros_file.write_text(
        "moveit_py:\n  ros__parameters:\n    x:\n      plan_request_params:\n"
        "        planning_pipeline: ompl\n        planner_id: PRM\n"
    )
    from_file = SimpleNamespace(parameters=load_parameters(launch_params_filepaths=[ros_file]))
    assert PlanRequestParameters(from_file, "x").planner_id == "PRM"
    ros_file.write_text("- a list\n")
    with pytest.raises(ValueError, match=r"params\.yaml: not a YAML mapping"):
        load_parameters(launch_params_filepaths=[ros_file])


# ---------------------------------------------------------------------- constraints
def test_joint_and_link_constraints_become_goals(model):
    state = RobotState(model)
    state.joint_positions = {"sha_z": 0.02, "sha_shoulder": -0.6, "sha_elbow": 1.4}
    constraints = construct_joint_constraint(state, model.get_joint_model_group("sha"))
    assert [
        (c.joint_name, c.tolerance_above, c.weight) for c in constraints.joint_constraints
    ] == [(name, 0.01, 1.0) for name in SHA_JOINTS]
    assert goal_of(constraints) == JointGoal((0.02, -0.6, 1.4))
    link = construct_link_constraint(
        "sha_tool", "aca_frame", [0.3, 0.1, 0.05], 0.001, list(quaternion_of_yaw(0.4)), 0.2
    )
    goal = goal_of(link)
    assert isinstance(goal, PoseGoal) and goal.position == (0.3, 0.1, 0.05)
    assert goal.yaw_tolerance_rad == 0.2 and goal.orientation == pytest.approx(
        quaternion_of_yaw(0.4)
    )
    position_only = goal_of(construct_link_constraint("sha_tool", "", [0.3, 0.1, 0.05], 0.01))
    assert position_only.yaw_tolerance_rad == math.pi  # any yaw: nothing asked of it


@pytest.mark.parametrize(
    ("constraints", "code", "named"),
    [
        (Constraints(), MoveItErrorCode.INVALID_GOAL_CONSTRAINTS, "empty Constraints"),
        (
            Constraints(joint_constraints=[JointConstraint("sha_z", 0.02)]),
            MoveItErrorCode.INVALID_GOAL_CONSTRAINTS,
            "['sha_shoulder', 'sha_elbow'] free",
        ),
        (
            Constraints(joint_constraints=[JointConstraint("panda_joint1", 0.0)]),
            MoveItErrorCode.INVALID_GOAL_CONSTRAINTS,
            "['panda_joint1']",
        ),
        (
            construct_link_constraint("sha_fore", "aca_frame", [0.3, 0.1, 0.0], 0.01),
            MoveItErrorCode.INVALID_LINK_NAME,
            "'sha_fore'",
        ),
        (
            construct_link_constraint("sha_tool", "world", [0.3, 0.1, 0.0], 0.01),
            MoveItErrorCode.FRAME_TRANSFORM_FAILURE,
            "'world'",
        ),
        (
            construct_link_constraint(
                "sha_tool", "aca_frame", orientation=[0, 0, 0, 1], orientation_tolerance=0.1
            ),
            MoveItErrorCode.INVALID_GOAL_CONSTRAINTS,
            "orientation constraint alone",
        ),
    ],
)
def test_constraints_this_arm_cannot_take_are_refused_by_name(constraints, code, named):
    with pytest.raises(PlanningError) as error:
        goal_of(constraints)
    assert error.value.code == code and named in error.value.message


def test_a_link_constraint_with_an_offset_or_a_mesh_is_refused():
    offset = construct_link_constraint("sha_tool", "aca_frame", [0.3, 0.1, 0.0], 0.01)
    offset.position_constraints[0].target_point_offset.z = 0.01
    with pytest.raises(PlanningError, match="target_point_offset"):
        goal_of(offset)
    mesh = construct_link_constraint("sha_tool", "aca_frame", [0.3, 0.1, 0.0], 0.01)
    mesh.position_constraints[0].constraint_region.meshes.append(object())
    with pytest.raises(PlanningError, match="meshes unsupported"):
        goal_of(mesh)


# ---------------------------------------------------------------------- RobotState
def test_robot_state_ik_random_and_named_states(model):
    state = RobotState(model)
    state.set_joint_group_positions("sha", [0.03, -0.5, 1.2])
    pose = state.get_pose("sha_tool")
    solved = RobotState(model)
    assert solved.set_from_ik("sha", pose, "sha_tool")
    assert solved.get_joint_group_positions("sha") == pytest.approx([0.03, -0.5, 1.2], abs=1e-9)
    tilted = Pose(position=pose.position)
    tilted.orientation.x, tilted.orientation.w = math.sin(0.1), math.cos(0.1)
    assert not solved.set_from_ik("sha", tilted, "sha_tool")  # the fork turns only about z
    far = Pose()
    far.position.x = 5.0
    assert not solved.set_from_ik("sha", far, "sha_tool")
    assert solved.get_joint_group_positions("sha") == pytest.approx([0.03, -0.5, 1.2], abs=1e-9)

    group = model.get_joint_model_group("sha")
    draws = []
    for source in (RobotModel(model._planner, seed=7), RobotModel(model._planner, seed=7)):
        random_state = RobotState(source)
        random_state.set_to_random_positions()
        draws.append(random_state.get_joint_group_positions("sha"))
    assert draws[0] == draws[1] and group.satisfies_position_bounds(draws[0])
    assert state.set_to_default_values("sha", "stow")
    assert state.get_joint_group_positions("sha") == pytest.approx(model.named_state("stow"))
    assert not state.set_to_default_values("sha", "no_such_state")
    with pytest.raises(KeyError, match="panda_joint1"):
        state.joint_positions = {"panda_joint1": 0.0}
    with pytest.raises(PlanningError) as error:
        model.get_joint_model_group("panda_arm")
    assert error.value.code == MoveItErrorCode.INVALID_GROUP_NAME


def test_the_multi_pipeline_selection_takes_the_shortest_solution(model):
    planner = model._planner
    short = planner.plan((0.02, -0.6, 1.4), JointGoal((0.02, -0.5, 1.4)), _params())
    long = planner.plan((0.02, -0.6, 1.4), JointGoal((0.02, 0.5, 1.4)), _params())
    failed = MotionPlanResponse(MoveItErrorCode.PLANNING_FAILED, message="chomp")
    responses = [
        failed,
        MotionPlanResponse(MoveItErrorCode.SUCCESS, RobotTrajectory(long.trajectory)),
        MotionPlanResponse(MoveItErrorCode.SUCCESS, RobotTrajectory(short.trajectory)),
    ]
    assert shortest_solution(responses) is responses[2]
    assert (
        shortest_solution([failed, MotionPlanResponse(MoveItErrorCode.NO_IK_SOLUTION)]) is failed
    )


def _params():
    return PlanRequestParameters().motion_parameters()
