"""Fixtures for in-process ROS tests: one rclpy context per test, torn down cleanly."""

import os

import pytest
import rclpy


@pytest.fixture
def ros_context():
    assert os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] in {
        "LOCALHOST",
        "OFF",
        "SUBNET",
        "SYSTEM_DEFAULT",
    }
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        yield context
    finally:
        rclpy.try_shutdown(context=context)
