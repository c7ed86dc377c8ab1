"""Test-run environment: isolated ROS domain, local-only discovery, ROS logs in a temp folder.

This runs before any test module imports rclpy, which is what makes the settings take effect.
"""

from aca_sim.ros_env import prepare_test_environment

ROS_DOMAIN_ID = prepare_test_environment()
