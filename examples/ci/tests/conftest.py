"""Fixtures for testing your own sequencing code against aca_sim: the caching system in its own
processes, and a plain rclpy node to talk to it.

This folder is an example of a user's test suite. It needs nothing but an installed aca_sim
(the `aca_sim:runtime` image has it) and runs with

    docker run --rm --network none -v "$PWD/tests:/work/tests:ro" \
        aca_sim:runtime pytest /work/tests

On a machine with a full ROS 2 install, `ros2 launch aca_sim caching.launch.xml ...` starts the
same system as `aca-sim launch caching.launch.xml ...` does here.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

# DDS discovery stays on this machine, and this run gets a ROS domain no other process here
# holds, unless you chose them: set both before rclpy is imported.
os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
os.environ.setdefault("ROS_PYTHON_CHECK_FIELDS", "1")  # out-of-range fields fail, not wrap
if "ROS_DOMAIN_ID" not in os.environ:
    from aca_sim.ros_env import claim_domain_id

    os.environ["ROS_DOMAIN_ID"] = str(claim_domain_id())

import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node

LAUNCH_STOP_S = 60  # s the launcher gets to stop its processes after Ctrl-C


def aca_sim_command() -> str:
    """The `aca-sim` program: on PATH (the runtime image), else beside this Python."""
    return shutil.which("aca-sim") or str(Path(sys.executable).with_name("aca-sim"))


@pytest.fixture
def caching_system(tmp_path: Path) -> Iterator[Path]:
    """The simulator, the sequencer (with its inventory) and no recorder, started with
    `aca-sim launch caching.launch.xml`; yields the run folder that holds inventory.db.
    Stopped with Ctrl-C at the end; the test fails if a process did not stop cleanly."""
    log = (tmp_path / "launch.log").open("w")
    launch = subprocess.Popen(
        [aca_sim_command(), "launch", "caching.launch.xml", f"run_dir:={tmp_path}",
         "record:=false", "seed:=7"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield tmp_path
    finally:
        launch.send_signal(signal.SIGINT)
        try:
            code = launch.wait(LAUNCH_STOP_S)
        except subprocess.TimeoutExpired:
            launch.kill()
            code = launch.wait(10)
        log.close()
    output = (tmp_path / "launch.log").read_text()
    assert code == 0, f"the launch exited with {code}:\n{output}"


@pytest.fixture
def node() -> Iterator[Node]:
    """A node on a context of its own; the test spins it (no background threads)."""
    context = rclpy.Context()
    rclpy.init(context=context)
    ros_node = Node("my_sequencing_test", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(ros_node)  # node.executor is this one now
    try:
        yield ros_node
    finally:
        executor.shutdown()
        ros_node.destroy_node()
        rclpy.try_shutdown(context=context)
