"""The node executables as separate processes: parameter errors and clean shutdown."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

BIN = Path(sys.prefix) / "bin"


def test_sim_node_refuses_a_bad_parameter_naming_it():
    result = subprocess.run(
        [str(BIN / "sim_node"), "--ros-args", "-p", "mode:=warp"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "parameter mode='warp': use one of fast, realtime" in result.stderr


@pytest.mark.parametrize("executable", ["sim_node", "sequencer_node"])
def test_node_shuts_down_cleanly_on_ctrl_c(executable, tmp_path):
    args = [str(BIN / executable)]
    if executable == "sequencer_node":
        args += ["--ros-args", "-p", f"inventory_path:={tmp_path / 'inventory.db'}"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(3.0)
        assert process.poll() is None, "the node should be running"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
