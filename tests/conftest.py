"""Test-run environment: isolated ROS domain, local-only discovery, ROS logs in a temp folder.

This runs before any test module imports rclpy, which is what makes the settings take effect.
"""

import faulthandler
import os
import sys
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


# A test that outlives pytest-timeout's 300 s is ended by its SIGALRM, unless the main thread
# never gets back to Python (C code holding the GIL, a wait inside DDS) or its teardown hangs
# after the alarm fired once: then the whole suite would wait for CI's limit. This C-level
# watchdog (faulthandler: no GIL needed) writes every thread's stack to the worker's real stderr
# and ends the worker; pytest-xdist reports the test as crashed, by name (make test then stops:
# see its --max-worker-restart 0). Over pytest-timeout's limit, so that one fires first.
HANG_LIMIT_S = float(os.environ.get("ACA_TEST_HANG_S", "400"))


def pytest_configure(config):
    # fd 2 as it was before pytest captured it (as pytest's own faulthandler plugin does)
    config.aca_real_stderr = os.fdopen(os.dup(sys.stderr.fileno()), "w")


def pytest_unconfigure(config):
    config.aca_real_stderr.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    faulthandler.dump_traceback_later(HANG_LIMIT_S, exit=True, file=item.config.aca_real_stderr)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
