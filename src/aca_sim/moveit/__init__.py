"""A moveit_py-shaped Python API for the ACA's arm over the running simulator (see api.py)."""

from aca_sim.motion.errors import MoveItErrorCode, PlanningError
from aca_sim.moveit.api import AcaMoveIt
from aca_sim.moveit.collision_object import CollisionObject, SolidPrimitive
from aca_sim.moveit.component import (
    MotionPlanResponse,
    PlanningComponent,
    PlanRequestParameters,
    RobotTrajectory,
)
from aca_sim.moveit.execution import ExecutionResult
from aca_sim.moveit.robot_state import RobotModel, RobotState

__all__ = [
    "AcaMoveIt",
    "CollisionObject",
    "ExecutionResult",
    "MotionPlanResponse",
    "MoveItErrorCode",
    "PlanRequestParameters",
    "PlanningComponent",
    "PlanningError",
    "RobotModel",
    "RobotState",
    "RobotTrajectory",
    "SolidPrimitive",
]
