#!/usr/bin/env python3
"""moveit2_tutorials' motion planning Python API tutorial (its five plans, then its planning
scene part), for the ACA's arm: the same calls in the same order, with this robot's group,
states, link and frame. Only the imports differ from a moveit_py script: `moveit.` becomes
`aca_sim.moveit.`, and CollisionObject and SolidPrimitive come from aca_sim.moveit (no
moveit_msgs or shape_msgs wheel exists here).

Against a running simulator (another terminal: `.venv/bin/aca-sim launch sim.launch.xml`):
    .venv/bin/python examples/moveit_py_tutorial.py
"""

import time

# generic ros libraries
import rclpy
from geometry_msgs.msg import Pose, PoseStamped
from rclpy.impl.rcutils_logger import RcutilsLogger
from rclpy.logging import get_logger

# moveit python library (moveit_py: moveit.core.robot_state, moveit.planning, ...)
from aca_sim.moveit import CollisionObject, SolidPrimitive
from aca_sim.moveit.core.kinematic_constraints import construct_joint_constraint
from aca_sim.moveit.core.robot_state import RobotState
from aca_sim.moveit.planning import (
    MoveItPy,
    MultiPipelinePlanRequestParameters,
    PlanningComponent,
    PlanningSceneMonitor,
    PlanRequestParameters,
)

SLEEP_S = 0.0  # the tutorial waits 3 s after each motion, to watch it in rviz: set it so


def plan_and_execute(
    robot: MoveItPy,
    planning_component: PlanningComponent,
    logger: RcutilsLogger,
    single_plan_parameters: PlanRequestParameters | None = None,
    multi_plan_parameters: MultiPipelinePlanRequestParameters | None = None,
    sleep_time: float = 0.0,
) -> None:
    """Helper function to plan and execute a motion."""
    # plan to goal
    logger.info("Planning trajectory")
    if multi_plan_parameters is not None:
        plan_result = planning_component.plan(multi_plan_parameters=multi_plan_parameters)
    elif single_plan_parameters is not None:
        plan_result = planning_component.plan(single_plan_parameters=single_plan_parameters)
    else:
        plan_result = planning_component.plan()

    # execute the plan
    if plan_result:
        logger.info(f"Executing plan (planner {plan_result.planner_id or 'default'})")
        robot_trajectory = plan_result.trajectory
        status = robot.execute(robot_trajectory, blocking=True, controllers=[]).status
        logger.info(f"Execution {status}")
    else:
        logger.error(f"Planning failed: {plan_result.error_code.name} {plan_result.message}")

    time.sleep(sleep_time)


def add_collision_objects(planning_scene_monitor: PlanningSceneMonitor) -> None:
    """Helper function that adds collision objects to the planning scene: two boxes, one
    where the fork goes in the collision check below."""
    object_positions = [(0.30, 0.12, 0.09), (-0.30, 0.25, 0.10)]
    object_dimensions = [(0.04, 0.04, 0.04), (0.05, 0.05, 0.05)]

    with planning_scene_monitor.read_write() as scene:
        collision_object = CollisionObject()
        collision_object.header.frame_id = "aca_frame"
        collision_object.id = "boxes"

        for position, dimensions in zip(object_positions, object_dimensions, strict=True):
            box_pose = Pose()
            box_pose.position.x = position[0]
            box_pose.position.y = position[1]
            box_pose.position.z = position[2]

            box = SolidPrimitive()
            box.type = SolidPrimitive.BOX
            box.dimensions = dimensions

            collision_object.primitives.append(box)
            collision_object.primitive_poses.append(box_pose)
            collision_object.operation = CollisionObject.ADD

        scene.apply_collision_object(collision_object)
        scene.current_state.update()  # Important to ensure the scene is updated


def main() -> None:
    ###################################################################
    # MoveItPy Setup
    ###################################################################
    rclpy.init()
    logger = get_logger("moveit_py.pose_goal")

    # instantiate MoveItPy instance and get planning component
    aca = MoveItPy(node_name="moveit_py")
    sha = aca.get_planning_component("sha")
    logger.info("MoveItPy instance created")

    ###########################################################################
    # Plan 1 - set states with predefined string
    ###########################################################################
    sha.set_start_state(configuration_name="stow")
    sha.set_goal_state(configuration_name="above_station_cachecam")
    plan_and_execute(aca, sha, logger, sleep_time=SLEEP_S)

    ###########################################################################
    # Plan 2 - set goal state with RobotState object
    ###########################################################################
    robot_model = aca.get_robot_model()
    robot_state = RobotState(robot_model)
    robot_state.set_to_random_positions()
    sha.set_start_state_to_current_state()
    logger.info("Set goal state to the initialized robot state")
    sha.set_goal_state(robot_state=robot_state)
    plan_and_execute(aca, sha, logger, sleep_time=SLEEP_S)

    ###########################################################################
    # Plan 3 - set goal state with PoseStamped message
    ###########################################################################
    sha.set_start_state_to_current_state()
    pose_goal = PoseStamped()
    pose_goal.header.frame_id = "aca_frame"
    pose_goal.pose.orientation.w = 1.0
    pose_goal.pose.position.x = 0.30
    pose_goal.pose.position.y = 0.12
    pose_goal.pose.position.z = 0.05
    sha.set_goal_state(pose_stamped_msg=pose_goal, pose_link="sha_tool")
    plan_and_execute(aca, sha, logger, sleep_time=SLEEP_S)

    ###########################################################################
    # Plan 4 - set goal state with constraints
    ###########################################################################
    sha.set_start_state_to_current_state()
    joint_values = {"sha_z": 0.02, "sha_shoulder": -0.6, "sha_elbow": 1.4}
    robot_state.joint_positions = joint_values
    joint_constraint = construct_joint_constraint(
        robot_state=robot_state,
        joint_model_group=aca.get_robot_model().get_joint_model_group("sha"),
    )
    sha.set_goal_state(motion_plan_constraints=[joint_constraint])
    plan_and_execute(aca, sha, logger, sleep_time=SLEEP_S)

    ###########################################################################
    # Plan 5 - Planning with Multiple Pipelines simultaneously
    ###########################################################################
    sha.set_start_state_to_current_state()
    sha.set_goal_state(configuration_name="stow")
    multi_pipeline_plan_request_params = MultiPipelinePlanRequestParameters(
        aca, ["ompl_rrtc", "pilz_lin", "chomp", "ompl_rrt_star"]
    )
    plan_and_execute(
        aca,
        sha,
        logger,
        multi_plan_parameters=multi_pipeline_plan_request_params,
        sleep_time=SLEEP_S,
    )

    ###################################################################
    # Planning scene: plan with collision objects
    ###################################################################
    planning_scene_monitor = aca.get_planning_scene_monitor()
    add_collision_objects(planning_scene_monitor)
    sha.set_start_state(configuration_name="stow")
    sha.set_goal_state(configuration_name="above_station_bst")
    plan_and_execute(aca, sha, logger, sleep_time=SLEEP_S)

    ###################################################################
    # Check collisions
    ###################################################################
    with planning_scene_monitor.read_only() as scene:
        robot_state = scene.current_state
        original_joint_positions = robot_state.get_joint_group_positions("sha")

        # Set the pose goal
        pose_goal = Pose()
        pose_goal.position.x = 0.30
        pose_goal.position.y = 0.12
        pose_goal.position.z = 0.05
        pose_goal.orientation.w = 1.0

        # Set the robot state and check collisions
        robot_state.set_from_ik("sha", pose_goal, "sha_tool")
        robot_state.update()  # required to update transforms
        robot_collision_status = scene.is_state_colliding(
            robot_state=robot_state, joint_model_group_name="sha", verbose=True
        )
        logger.info(f"\nRobot is in collision: {robot_collision_status}\n")

        # Restore the original state
        robot_state.set_joint_group_positions("sha", original_joint_positions)
        robot_state.update()  # required to update transforms

    time.sleep(SLEEP_S)

    ###################################################################
    # Remove collision objects and return to the stowed pose
    ###################################################################
    with planning_scene_monitor.read_write() as scene:
        scene.remove_all_collision_objects()
        scene.current_state.update()

    sha.set_start_state_to_current_state()
    sha.set_goal_state(configuration_name="stow")
    plan_and_execute(aca, sha, logger, sleep_time=SLEEP_S)


if __name__ == "__main__":
    main()
