"""moveit_py's `moveit.core.planning_scene` names over aca_sim (see ../scene_monitor.py)."""

from aca_sim.moveit.scene_monitor import PlanningScene

__all__ = ["PlanningScene"]
