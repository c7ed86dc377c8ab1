"""moveit_py's `moveit.planning` names over aca_sim: a moveit_py script imports these from
here instead (MoveItPy is AcaMoveIt; see api.py for the differences)."""

from aca_sim.moveit.api import AcaMoveIt as MoveItPy
from aca_sim.moveit.component import PlanningComponent
from aca_sim.moveit.plan_parameters import (
    MultiPipelinePlanRequestParameters,
    PlanRequestParameters,
)
from aca_sim.moveit.scene_monitor import PlanningSceneMonitor

__all__ = [
    "MoveItPy",
    "MultiPipelinePlanRequestParameters",
    "PlanRequestParameters",
    "PlanningComponent",
    "PlanningSceneMonitor",
]
