"""The launcher's supervisor as a real process tree: SIGHUP (the terminal closed) and SIGTERM
stop it like Ctrl-C, a node's own children stop with it (signals go to its process group),
and a second Ctrl-C kills at once. Each test checks by pid that no process is left."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# A "node": writes its pid, optionally starts a child that ignores SIGINT, and exits on
# SIGINT unless told to ignore it (then only SIGKILL ends it).
NODE = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    out, stubborn, with_child = sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "1"
    pids = [os.getpid()]
    if with_child:
        child = subprocess.Popen([sys.executable, "-c",
            "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(600)"])
        pids.append(child.pid)
    if stubborn:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    open(out, "w").write(" ".join(map(str, pids)))
    try:
        time.sleep(600)
    except KeyboardInterrupt:
        sys.exit(0)
    """
)
# The launcher: the project's Supervisor over those nodes (as `aca-sim launch` runs it).
LAUNCHER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from aca_sim.launching.description import ProcessSpec
    from aca_sim.launching.supervisor import Supervisor
    node, folder, stubborn, with_child, timeout = sys.argv[1:6]
    specs = [
        ProcessSpec(f"node{i}", [sys.executable, node, f"{folder}/node{i}.pid", stubborn,
                                 with_child], {}, "screen", False, "test")
        for i in range(2)
    ]
    sys.exit(Supervisor(specs, Path(folder), float(timeout)).run())
    """
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is not a live process
        return stat.read().split(")")[-1].split()[0] != "Z"


def start(tmp_path: Path, stubborn=False, with_child=False, timeout_s=20.0):
    node, launcher = tmp_path / "node.py", tmp_path / "launcher.py"
    node.write_text(NODE)
    launcher.write_text(LAUNCHER)
    process = subprocess.Popen(
        [sys.executable, str(launcher), str(node), str(tmp_path), str(int(stubborn)),
         str(int(with_child)), str(timeout_s)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    files = [tmp_path / f"node{i}.pid" for i in range(2)]
    deadline = time.monotonic() + 30
    while not all(f.exists() and f.read_text() for f in files):
        assert time.monotonic() < deadline, "the nodes did not start"
        time.sleep(0.05)
    time.sleep(0.3)  # the nodes' signal handlers are installed
    pids = [int(p) for f in files for p in f.read_text().split()]
    return process, pids


def finish(process, pids, within_s):
    try:
        output, _ = process.communicate(timeout=within_s)
    except subprocess.TimeoutExpired:
        process.kill()
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        pytest.fail(f"the launcher did not exit within {within_s} s")
    deadline = time.monotonic() + 2
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [p for p in pids if alive(p)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left behind: {left}\n{output}"
    return output


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM])
def test_hangup_and_terminate_stop_every_node_like_ctrl_c(tmp_path, signum):
    process, pids = start(tmp_path)
    process.send_signal(signum)
    output = finish(process, pids, within_s=30)
    assert f"{signal.Signals(signum).name}: shutting down" in output
    assert process.returncode == 0, output
    assert output.count("stopped (SIGINT), exit code 0") == 2


def test_what_a_node_started_stops_with_it(tmp_path):
    process, pids = start(tmp_path, with_child=True)
    assert len(pids) == 4  # two nodes, each with a child that ignores SIGINT
    process.send_signal(signal.SIGINT)
    finish(process, pids, within_s=30)


def test_a_second_ctrl_c_kills_at_once(tmp_path):
    process, pids = start(tmp_path, stubborn=True, with_child=True, timeout_s=20.0)
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    output = finish(process, pids, within_s=10)
    assert time.monotonic() - started < 3.0, output
    assert "killing every process now" in output
    assert process.returncode == 1
