"""Starts a launch plan's processes and supervises them.

- Output: every line a process prints is echoed prefixed with `[name] ` (output="screen"), or
  written to <log_dir>/<name>.log (output="log"), or both.
- Each process runs in its own session (its own process group), so a terminal Ctrl-C reaches
  only the supervisor, which then stops the processes one by one in reverse start order:
  SIGINT, then after `shutdown_timeout_s` SIGTERM, then after 5 s more SIGKILL, each sent to
  the process's whole group (so what a node started stops with it). SIGTERM and SIGHUP (the
  terminal closed) are handled like Ctrl-C. A second signal kills every remaining group at
  once. Should the supervisor itself die without a chance to act (SIGKILL), the kernel sends
  each child SIGTERM (PR_SET_PDEATHSIG), so no node outlives it.
- A process with on_exit="shutdown" that exits stops the launch; the launch exits with its
  exit code. Another process that exits is reported and the rest go on.
- Exit code: that of the required process that ended the launch; otherwise 0 when every
  process stopped cleanly (exit 0 or on SIGINT), 1 when one had to be killed or failed.

Thread rule: run() on the main thread (it installs SIGINT/SIGTERM/SIGHUP handlers); one
reader thread per process copies its output.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from aca_sim.launching.description import ProcessSpec

KILL_GRACE_S = 5.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the supervisor dies (Linux; best effort)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class Supervisor:
    """Runs ProcessSpecs until they end, a required one exits, or SIGINT/SIGTERM."""

    def __init__(
        self,
        specs: list[ProcessSpec],
        log_dir: Path,
        shutdown_timeout_s: float = 10.0,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.specs, self.log_dir, self.shutdown_timeout_s = specs, log_dir, shutdown_timeout_s
        self._echo = echo or (lambda line: (sys.stdout.write(line + "\n"), sys.stdout.flush()))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._force = False
        self.processes: dict[str, subprocess.Popen] = {}
        self._readers: list[threading.Thread] = []
        self.exit_codes: dict[str, int] = {}

    def say(self, line: str) -> None:
        """Print a supervisor line (thread-safe)."""
        with self._lock:
            self._echo(f"[launch] {line}")

    def _copy_output(self, spec: ProcessSpec, stream: IO[bytes]) -> None:
        log = None
        if spec.output in ("log", "both"):
            log = (self.log_dir / f"{spec.name}.log").open("ab")
        for raw in iter(stream.readline, b""):
            if log is not None:
                log.write(raw)
                log.flush()
            if spec.output in ("screen", "both"):
                with self._lock:
                    self._echo(f"[{spec.name}] {raw.decode(errors='replace').rstrip()}")
        if log is not None:
            log.close()

    def start(self) -> None:
        """Start every process in order."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for spec in self.specs:
            process = subprocess.Popen(
                spec.command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=process_environment(spec.env),
                cwd=spec.cwd,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            self.processes[spec.name] = process
            reader = threading.Thread(
                target=self._copy_output, args=(spec, process.stdout), daemon=True
            )
            reader.start()
            self._readers.append(reader)
            self.say(f"started {spec.name} (pid {process.pid}) from {spec.where}")

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self._stop.is_set():
            self._force = True
            self.say(f"{signal.Signals(signum).name} again: killing every process now")
            for process in self.processes.values():
                _signal_group(process, signal.SIGKILL)
            return
        self._stop.set()
        self.say(f"{signal.Signals(signum).name}: shutting down")

    def run(self) -> int:
        """Start, supervise, shut down; return the launch's exit code."""
        previous = {s: signal.signal(s, self._on_signal) for s in STOP_SIGNALS}
        try:
            self.start()
            code = self._supervise()
            failed = self._shutdown()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        for reader in self._readers:
            reader.join(2.0)
        if code is not None:
            return code
        return 1 if failed else 0

    def _supervise(self) -> int | None:
        """Wait for a stop request, a required exit, or the end of all; the required code."""
        required = {s.name for s in self.specs if s.required}
        while not self._stop.wait(0.1):
            for name, process in self.processes.items():
                if name in self.exit_codes or process.poll() is None:
                    continue
                self.exit_codes[name] = process.returncode
                self.say(f"{name} exited with code {process.returncode}")
                if name in required:
                    self.say(f"{name} is required (on_exit=shutdown): stopping the launch")
                    return process.returncode
            if len(self.exit_codes) == len(self.processes):
                self.say("every process has exited")
                return None
        return None

    def _shutdown(self) -> bool:
        """Stop the running processes in reverse order; True if one had to be killed or
        ended with an error."""
        failed = any(code not in (0, -signal.SIGINT) for code in self.exit_codes.values())
        for spec in reversed(self.specs):
            process = self.processes[spec.name]
            if process.poll() is None:
                code = self._stop_one(spec.name, process)
                self.exit_codes[spec.name] = code
                failed = failed or code not in (0, -signal.SIGINT)
        return failed

    def _stop_one(self, name: str, process: subprocess.Popen) -> int:
        steps = ((signal.SIGINT, self.shutdown_timeout_s), (signal.SIGTERM, KILL_GRACE_S))
        for signum, wait_s in steps:
            if self._force:
                break
            _signal_group(process, signum)
            code = self._wait(process, wait_s)
            if code is None:
                if not self._force:
                    self.say(f"{name} did not stop {wait_s:g} s after {signum.name}")
                continue
            self.say(f"{name} stopped ({signum.name}), exit code {code}")
            _signal_group(process, signal.SIGKILL)  # what it started and left behind
            return code if signum == signal.SIGINT else 1
        _signal_group(process, signal.SIGKILL)
        process.wait()
        self.say(f"{name} killed")
        return 1

    def _wait(self, process: subprocess.Popen, wait_s: float) -> int | None:
        """The process's exit code within wait_s, or None; returns at once when forced."""
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and not self._force:
            try:
                return process.wait(min(0.05, max(0.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                continue
        return process.poll()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    """Send a signal to a process's group (it leads one: start_new_session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def process_environment(changes: dict[str, str | None]) -> dict[str, str]:
    """The launcher's environment with a process's changes (None: unset), unbuffered."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env
