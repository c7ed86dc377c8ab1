"""moveit_py's `moveit.core` modules over aca_sim (robot_state, robot_model,
kinematic_constraints, planning_scene)."""
