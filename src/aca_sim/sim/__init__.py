"""PyBullet world and device models of the ACA. Pure Python + pybullet; never imports rclpy."""
