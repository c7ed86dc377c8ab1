"""moveit_py's `moveit.core.robot_state` names over aca_sim (see ../robot_state.py)."""

from aca_sim.moveit.robot_state import RobotState

__all__ = ["RobotState"]
