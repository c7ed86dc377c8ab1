"""Runs launch/*.launch.xml where the ROS 2 launch package is not installed."""
