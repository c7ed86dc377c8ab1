"""The MCAP recorder node as a child process of the main job (it records on the other core)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


class RecorderProcess:
    """aca_sim.nodes.recorder_node in a child process (same domain, sim-time stamps)."""

    def __init__(self, output: Path, log: Path) -> None:
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aca_sim.nodes.recorder_node",
                "--ros-args",
                "-p",
                f"output:={output}",
                "-p",
                "use_sim_time:=true",
                "-p",
                "discovery_period_s:=0.2",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
        )

    def wait_subscribed(self, node: Any, topics: tuple[str, ...], timeout_s: float = 30) -> None:
        """Wait until the recorder subscribes to `topics` (so nothing is missed)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the recorder exited with {self.process.returncode}")
            if all(node.count_subscribers(t) > 0 for t in topics):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the recorder did not subscribe to {topics} in {timeout_s} s")

    def stop(self, timeout_s: float = 30) -> int:
        """Ctrl-C the recorder (it finishes the file); kill it after timeout_s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode
