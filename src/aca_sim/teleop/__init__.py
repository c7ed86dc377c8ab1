"""Teleoperation without ROS: what each thing in the ACA offers an operator."""
