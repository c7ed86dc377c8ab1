"""Node parameters as aca_sim declares them: read once at start, never changed afterwards."""

from __future__ import annotations

from typing import Any

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node


def read_only_parameter(node: Node, name: str, default: Any, description: str) -> Any:
    """Declare a read-only parameter with its description; return its value."""
    descriptor = ParameterDescriptor(description=description, read_only=True)
    return node.declare_parameter(name, default, descriptor).value
