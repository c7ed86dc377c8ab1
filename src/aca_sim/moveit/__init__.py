"""A moveit_py-shaped Python API for the ACA's arm over the running simulator (see api.py)."""

from aca_sim.motion.errors import MoveItErrorCode, PlanningError
from aca_sim.moveit.api import AcaMoveIt
from aca_sim.moveit.collision_object import CollisionObject, SolidPrimitive
from aca_sim.moveit.component import MotionPlanResponse, PlanningComponent, RobotTrajectory
from aca_sim.moveit.core.kinematic_constraints import (
    Constraints,
    construct_joint_constraint,
    construct_link_constraint,
)
from aca_sim.moveit.execution import ExecutionResult
from aca_sim.moveit.plan_parameters import (
    MultiPipelinePlanRequestParameters,
    PlanRequestParameters,
)
from aca_sim.moveit.robot_state import JointModelGroup, RobotModel, RobotState

__all__ = [
    "AcaMoveIt",
    "CollisionObject",
    "Constraints",
    "ExecutionResult",
    "JointModelGroup",
    "MotionPlanResponse",
    "MoveItErrorCode",
    "MultiPipelinePlanRequestParameters",
    "PlanRequestParameters",
    "PlanningComponent",
    "PlanningError",
    "RobotModel",
    "RobotState",
    "RobotTrajectory",
    "SolidPrimitive",
    "construct_joint_constraint",
    "construct_link_constraint",
]
