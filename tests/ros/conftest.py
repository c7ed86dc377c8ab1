"""Fixtures for in-process ROS tests: a context per test, a sim node and a client node."""

import os
import sys
from pathlib import Path

import pytest
import rclpy
from rclpy.node import Node
from rclpy.parameter import Parameter

sys.path.insert(0, str(Path(__file__).parent))

from aca_client import AcaClient

from aca_sim.ros.spinning import BackgroundSpinner


@pytest.fixture
def ros_context():
    assert os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] in {"LOCALHOST", "OFF"}
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        yield context
    finally:
        rclpy.try_shutdown(context=context)


def start_sim(context, seed=3):
    """A SimNode and a client, spun together; returns (sim, client, spinner)."""
    from aca_sim.nodes.sim_node import SimNode

    sim = SimNode(context=context, parameter_overrides=[Parameter("seed", value=seed)])
    node = Node("test_client", context=context)
    spinner = BackgroundSpinner([sim, node], context=context).start()
    return sim, AcaClient(node), spinner


@pytest.fixture
def aca(ros_context):
    sim, client, spinner = start_sim(ros_context)
    yield client, sim
    spinner.stop()
    sim.destroy_node()
    client.node.destroy_node()
