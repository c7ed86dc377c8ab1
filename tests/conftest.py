"""Test-run environment: isolated ROS domain, local-only discovery, ROS logs in a temp folder.

This runs before any test module imports rclpy, which is what makes the settings take effect.
"""

import os
from pathlib import Path

import pytest

from aca_sim.ros_env import prepare_test_environment

ROS_DOMAIN_ID = prepare_test_environment()
ARTIFACTS = Path(
    os.environ.get(
        "ACA_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "results" / "artifacts"
    )
)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests keep what a person should be able to look at afterwards (screenshots):
    results/artifacts in the checkout, or $ACA_TEST_ARTIFACTS."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
