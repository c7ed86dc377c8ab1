"""Recording and reporting: MCAP message definitions and the run-folder report (no rclpy)."""
