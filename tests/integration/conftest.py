"""Every integration test on a ROS domain of its own (released after the test), so processes a
test SIGKILLs, which linger in DDS discovery until their lease runs out, never meet the next
test. Child processes inherit ROS_DOMAIN_ID; rclpy.init() reads it when the context starts."""

import pytest

from aca_sim.ros_env import DOMAIN_VAR, private_domain


@pytest.fixture(autouse=True)
def ros_domain(monkeypatch):
    with private_domain() as domain:
        monkeypatch.setenv(DOMAIN_VAR, str(domain))
        yield domain
