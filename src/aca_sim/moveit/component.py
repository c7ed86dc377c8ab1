"""PlanningComponent, MotionPlanResponse and RobotTrajectory, shaped like moveit_py's (Jazzy).
Planning runs in this process (aca_sim.motion: OMPL in an FCL planning scene, ruckig
timing), against the scene the monitor keeps.

Differences from moveit_py, where they matter:
- one planning group, "sha"; a pose goal is for the fork link (sha_tool), position and yaw
  (the arm has three joints: the yaw picks the elbow branch nearest to it, within
  yaw_tolerance_rad, pi by default); a tilted orientation is refused (NO_IK_SOLUTION);
- motion_plan_constraints: joint constraints or the fork's position (+ orientation), see
  core/kinematic_constraints.py; several Constraints are alternatives, tried in order;
- a multi-pipeline request plans its pipelines one after the other (not in parallel
  threads), then picks with the selection function (the shortest solution by default);
- the response carries a message naming what failed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from moveit_msgs.msg import RobotTrajectory as MoveItRobotTrajectory

from aca_sim.model.names import FORK_LINK, ROOT_FRAME
from aca_sim.motion.arm_planner import GROUP, Goal, JointGoal, NamedGoal, PoseGoal
from aca_sim.motion.errors import MoveItErrorCode, PlanningError
from aca_sim.motion.joint_trajectory import command_from
from aca_sim.motion.trajectory import Trajectory
from aca_sim.moveit.core.kinematic_constraints import goal_of
from aca_sim.moveit.plan_parameters import (
    MultiPipelinePlanRequestParameters,
    PlanRequestParameters,
)
from aca_sim.moveit.robot_state import RobotModel, RobotState
from aca_sim.moveit.scene_monitor import PlanningSceneMonitor
from aca_sim.ros.trajectory_codec import trajectory_msg

SAMPLE_PERIOD_S = 0.05  # points of an executed trajectory


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
        motion_plan_constraints: Sequence[Any] | None = None,
        yaw_tolerance_rad: float = math.pi,
    ) -> None:
        """Set the goal: a named state, a RobotState (its sha joints), a pose of pose_link
        (sha_tool) as geometry_msgs/PoseStamped in aca_frame, or a list of Constraints
        (alternatives). Exactly one (ValueError). What is wrong with a goal's content (an
        unknown name, a pose out of reach, constraints this arm cannot take) is reported by
        plan() with its error code."""
        given = [
            v is not None
            for v in (configuration_name, robot_state, pose_stamped_msg, motion_plan_constraints)
        ]
        if sum(given) != 1:
            raise ValueError(
                "give exactly one of configuration_name, robot_state, pose_stamped_msg, "
                "motion_plan_constraints"
            )
        if configuration_name is not None:
            self._goal = NamedGoal(configuration_name)
        elif robot_state is not None:
            self._goal = JointGoal(tuple(robot_state.get_joint_group_positions(GROUP)))
        elif motion_plan_constraints is not None:
            self._goal = _ConstraintGoals(tuple(motion_plan_constraints))
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
        self,
        single_plan_parameters: PlanRequestParameters | None = None,
        multi_plan_parameters: MultiPipelinePlanRequestParameters | None = None,
        planning_scene: Any = None,
        solution_selection_function: Callable[[list[MotionPlanResponse]], MotionPlanResponse]
        | None = None,
        stopping_criterion_callback: Callable[[list[MotionPlanResponse], Any], bool] | None = None,
    ) -> MotionPlanResponse:
        """Plan from the start to the goal with one set of parameters or several pipelines
        (ValueError for both, or for a planning_scene: plans use the monitor's scene);
        every planning failure is a response with its code."""
        if single_plan_parameters is not None and multi_plan_parameters is not None:
            raise ValueError("Cannot specify both single and multi plan parameters")
        if planning_scene is not None:
            raise ValueError("planning_scene: plans here use the monitor's scene only")
        if multi_plan_parameters is None:
            response = self._plan(single_plan_parameters or PlanRequestParameters())
        else:
            response = self._plan_pipelines(
                multi_plan_parameters, solution_selection_function, stopping_criterion_callback
            )
        if self._on_plan is not None:
            self._on_plan(response)
        return response

    def _plan_pipelines(
        self,
        multi: MultiPipelinePlanRequestParameters,
        select: Callable[[list[MotionPlanResponse]], MotionPlanResponse] | None,
        stop: Callable[[list[MotionPlanResponse], Any], bool] | None,
    ) -> MotionPlanResponse:
        responses: list[MotionPlanResponse] = []
        for parameters in multi.multi_plan_request_parameters:
            responses.append(self._plan(parameters))
            if stop is not None and stop(responses, multi):
                break
        if not responses:
            return MotionPlanResponse(
                MoveItErrorCode.INVALID_MOTION_PLAN, message="no plan request parameters"
            )
        return (select or shortest_solution)(responses)

    def _plan(self, parameters: PlanRequestParameters) -> MotionPlanResponse:
        if self._goal is None:
            return MotionPlanResponse(
                MoveItErrorCode.INVALID_GOAL_CONSTRAINTS, message="no goal set: set_goal_state()"
            )
        try:
            goals = self._planner_goals()
            motion_parameters = parameters.motion_parameters()
        except PlanningError as error:
            return MotionPlanResponse(
                error.code, message=error.message, planner_id=parameters.planner_id
            )
        if self._start is None:
            self._monitor.update()
        with self._monitor.locked() as planner:
            start = self._start or RobotState(self._model, planner.scene.joint_values)
            for goal in goals:  # alternatives: the first that plans
                result = planner.plan(
                    start.get_joint_group_positions(GROUP),
                    goal,
                    motion_parameters,
                    self.planning_group_name,
                )
                if result:
                    break
        return MotionPlanResponse(
            result.error_code,
            RobotTrajectory(result.trajectory) if result.trajectory else None,
            result.planning_time,
            start.copy(),
            result.message,
            parameters.planner_id,
        )

    def _planner_goals(self) -> list[Goal]:
        goal = self._goal
        if isinstance(goal, _FramedPose):
            if goal.frame != ROOT_FRAME:
                raise PlanningError(
                    MoveItErrorCode.FRAME_TRANSFORM_FAILURE,
                    f"pose frame {goal.frame!r}: goals are in {ROOT_FRAME!r}",
                )
            return [goal.pose]
        if isinstance(goal, _ConstraintGoals):
            if not goal.constraints:
                raise PlanningError(
                    MoveItErrorCode.INVALID_GOAL_CONSTRAINTS, "motion_plan_constraints is empty"
                )
            return [goal_of(c) for c in goal.constraints]
        assert goal is not None
        return [goal]


def path_length(response: MotionPlanResponse) -> float:
    """The joint-space length of a response's trajectory (sum over its samples of the
    joints' absolute steps, m + rad, as MoveIt's path_length); inf without one."""
    if response.trajectory is None:
        return math.inf
    points = response.trajectory.trajectory.points(SAMPLE_PERIOD_S)
    return sum(
        sum(abs(b - a) for a, b in zip(p.positions, q.positions, strict=True))
        for p, q in itertools.pairwise(points)
    )


def shortest_solution(responses: list[MotionPlanResponse]) -> MotionPlanResponse:
    """moveit's getShortestSolution: the successful response with the shortest path; when
    none succeeded, the first failure (its code and message)."""
    solved = [r for r in responses if r]
    return min(solved, key=path_length) if solved else responses[0]


@dataclass(frozen=True)
class _FramedPose:
    frame: str
    pose: PoseGoal


@dataclass(frozen=True)
class _ConstraintGoals:
    constraints: tuple[Any, ...]
