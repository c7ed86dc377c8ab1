"""moveit_py's `moveit.core.robot_model` names over aca_sim (see ../robot_state.py)."""

from aca_sim.moveit.robot_state import JointModelGroup, RobotModel

__all__ = ["JointModelGroup", "RobotModel"]
