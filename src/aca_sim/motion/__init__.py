"""SHA kinematics, planning and trajectory timing. No rclpy."""
