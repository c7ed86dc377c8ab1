"""Runs ROS 2 XML launch files where the `launch` package is missing (`aca-sim launch`)."""
