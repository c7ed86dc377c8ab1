"""PlanningComponent, PlanRequestParameters, MotionPlanResponse and RobotTrajectory, shaped
like moveit_py's (Jazzy). Planning runs in this process (aca_sim.motion: OMPL in an FCL
planning scene, ruckig timing), against the scene the monitor keeps.

Differences from moveit_py, where they matter:
- one planning group, "sha"; a pose goal is for the fork link (sha_tool), position and yaw
  (the arm has three joints: the yaw picks the elbow branch nearest to it, within
  yaw_tolerance_rad, pi by default); no motion_plan_constraints, no multi-plan requests;
- plan() takes single_plan_parameters only; the result carries a message naming what failed;
- PlanRequestParameters has a `seed` (reproducible plans) and reads no ROS parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moveit_msgs.msg import RobotTrajectory as MoveItRobotTrajectory

from aca_sim.model.names import FORK_LINK, ROOT_FRAME
from aca_sim.motion.arm_planner import GROUP, Goal, JointGoal, NamedGoal, PlanParameters, PoseGoal
from aca_sim.motion.errors import MoveItErrorCode, PlanningError
from aca_sim.motion.joint_trajectory import command_from
from aca_sim.motion.trajectory import Trajectory
from aca_sim.moveit.robot_state import RobotModel, RobotState
from aca_sim.moveit.scene_monitor import PlanningSceneMonitor
from aca_sim.ros.trajectory_codec import trajectory_msg

SAMPLE_PERIOD_S = 0.05  # points of an executed trajectory


@dataclass
class PlanRequestParameters:
    """moveit_py's PlanRequestParameters fields (planner_id takes "RRTConnect",
    "RRTConnectkConfigDefault" or any OMPL geometric planner), plus seed."""

    planner_id: str = "RRTConnect"
    planning_pipeline: str = "ompl"
    planning_time: float = 1.0
    planning_attempts: int = 1
    max_velocity_scaling_factor: float = 1.0
    max_acceleration_scaling_factor: float = 1.0
    seed: int = 0

    def motion_parameters(self) -> PlanParameters:
        if self.planning_pipeline != "ompl":
            raise PlanningError(
                MoveItErrorCode.PLANNING_FAILED,
                f"planning_pipeline {self.planning_pipeline!r}: only 'ompl' here",
            )
        return PlanParameters(
            self.planner_id,
            self.planning_time,
            self.planning_attempts,
            self.max_velocity_scaling_factor,
            self.max_acceleration_scaling_factor,
            self.seed,
        )


class RobotTrajectory:
    """A timed trajectory of the sha group (moveit_py's RobotTrajectory, joint part)."""

    def __init__(self, trajectory: Trajectory) -> None:
        self.trajectory = trajectory

    @property
    def duration(self) -> float:
        """s."""
        return self.trajectory.duration_s

    @property
    def joint_names(self) -> list[str]:
        return list(self.trajectory.joint_names)

    def __len__(self) -> int:
        return len(self.trajectory.points(SAMPLE_PERIOD_S))

    def get_robot_trajectory_msg(self) -> MoveItRobotTrajectory:
        """The moveit_msgs/RobotTrajectory, as moveit_py returns it: its joint_trajectory has
        points every 50 ms with positions, velocities and accelerations, stamp 0 (start on
        arrival); no multi-DOF part."""
        joints = trajectory_msg(command_from(self.trajectory, SAMPLE_PERIOD_S))
        return MoveItRobotTrajectory(joint_trajectory=joints)


@dataclass
class MotionPlanResponse:
    """moveit_py's MotionPlanResponse: truthy on success; trajectory, error_code (with .val),
    planning_time (s of wall time), start_state; plus message (why it failed)."""

    error_code: MoveItErrorCode
    trajectory: RobotTrajectory | None = None
    planning_time: float = 0.0
    start_state: RobotState | None = None
    message: str = ""
    planner_id: str = ""

    def __bool__(self) -> bool:
        return self.error_code == MoveItErrorCode.SUCCESS


class PlanningComponent:
    """Plans for one group ("sha"). Thread rule: one thread at a time per component."""

    def __init__(
        self,
        name: str,
        monitor: PlanningSceneMonitor,
        model: RobotModel,
        on_plan: Callable[[MotionPlanResponse], None] | None = None,
    ) -> None:
        self.planning_group_name = name
        self.named_target_states = model.named_states
        self._monitor, self._model, self._on_plan = monitor, model, on_plan
        self._start: RobotState | None = None  # None: the current state
        self._goal: Goal | None = None

    # ------------------------------------------------------------------ start
    def set_start_state_to_current_state(self) -> None:
        """Plan from the state the hardware shows when plan() runs."""
        self._start = None

    def set_start_state(
        self, configuration_name: str | None = None, robot_state: RobotState | None = None
    ) -> None:
        """Plan from a named state or a RobotState (exactly one)."""
        if (configuration_name is None) == (robot_state is None):
            raise ValueError("give exactly one of configuration_name, robot_state")
        if robot_state is not None:
            self._start = robot_state.copy()
            return
        with self._monitor.locked() as planner:
            values = planner.semantic.state(configuration_name)  # KeyError naming it
        state = RobotState(self._model)
        state.set_joint_group_positions(GROUP, values)
        self._start = state

    # ------------------------------------------------------------------ goal
    def set_goal_state(
        self,
        configuration_name: str | None = None,
        robot_state: RobotState | None = None,
        pose_stamped_msg: Any = None,
        pose_link: str | None = None,
        yaw_tolerance_rad: float = math.pi,
    ) -> None:
        """Set the goal: a named state, a RobotState (its sha joints), or a pose of pose_link
        (sha_tool) as geometry_msgs/PoseStamped in aca_frame. Exactly one. An unknown name
        or a bad pose is reported by plan() with its error code."""
        given = [v is not None for v in (configuration_name, robot_state, pose_stamped_msg)]
        if sum(given) != 1:
            raise ValueError(
                "give exactly one of configuration_name, robot_state, pose_stamped_msg"
            )
        if configuration_name is not None:
            self._goal = NamedGoal(configuration_name)
        elif robot_state is not None:
            self._goal = JointGoal(tuple(robot_state.get_joint_group_positions(GROUP)))
        else:
            frame = pose_stamped_msg.header.frame_id or ROOT_FRAME
            p, q = pose_stamped_msg.pose.position, pose_stamped_msg.pose.orientation
            self._goal = _FramedPose(
                frame,
                PoseGoal(
                    (p.x, p.y, p.z),
                    (q.x, q.y, q.z, q.w),
                    pose_link or FORK_LINK,
                    yaw_tolerance_rad,
                ),
            )

    # ------------------------------------------------------------------ plan
    def plan(
        self, single_plan_parameters: PlanRequestParameters | None = None
    ) -> MotionPlanResponse:
        """Plan from the start to the goal; every failure is a response with its code."""
        parameters = single_plan_parameters or PlanRequestParameters()
        response = self._plan(parameters)
        if self._on_plan is not None:
            self._on_plan(response)
        return response

    def _plan(self, parameters: PlanRequestParameters) -> MotionPlanResponse:
        if self._goal is None:
            return MotionPlanResponse(
                MoveItErrorCode.INVALID_GOAL_CONSTRAINTS, message="no goal set: set_goal_state()"
            )
        goal = self._goal
        if isinstance(goal, _FramedPose):
            if goal.frame != ROOT_FRAME:
                return MotionPlanResponse(
                    MoveItErrorCode.FRAME_TRANSFORM_FAILURE,
                    message=f"pose frame {goal.frame!r}: goals are in {ROOT_FRAME!r}",
                )
            goal = goal.pose
        try:
            motion_parameters = parameters.motion_parameters()
        except PlanningError as error:
            return MotionPlanResponse(error.code, message=error.message)
        if self._start is None:
            self._monitor.update()
        with self._monitor.locked() as planner:
            start = self._start or RobotState(self._model, planner.scene.joint_values)
            result = planner.plan(
                start.get_joint_group_positions(GROUP),
                goal,
                motion_parameters,
                self.planning_group_name,
            )
        return MotionPlanResponse(
            result.error_code,
            RobotTrajectory(result.trajectory) if result.trajectory else None,
            result.planning_time,
            start.copy(),
            result.message,
            parameters.planner_id,
        )


@dataclass(frozen=True)
class _FramedPose:
    frame: str
    pose: PoseGoal
