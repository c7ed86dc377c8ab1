"""The real launch files run by `aca-sim launch` as separate processes (each test on a private
ROS_DOMAIN_ID of its own, see conftest.py; localhost-only discovery), driven from a plain rclpy
client. Every wait is bounded; every process must exit cleanly on shutdown."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import rclpy
import yaml
from aca_interfaces.action import CacheSample
from aca_interfaces.srv import GetWorldState
from rclpy.action import ActionClient
from rclpy.node import Node
from visualization_msgs.srv import GetInteractiveMarkers

sys.path.insert(0, str(Path(__file__).parents[1] / "ros"))
from aca_client import assert_inventory_matches

from aca_sim.caching.inventory import Inventory
from aca_sim.model.config import model_text
from aca_sim.ros.blocking import get_result, send_goal
from aca_sim.ros.matching import call_idempotent, wait_action_matched
from aca_sim.ros.spinning import BackgroundSpinner

ACA_SIM = Path(sys.prefix) / "bin" / "aca-sim"


class Launch:
    """`aca-sim launch FILE args` as a child process; its output lines are collected."""

    def __init__(self, *args: str) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [str(ACA_SIM), "launch", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, pattern: str, timeout_s: float = 60) -> re.Match:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = re.search(pattern, line)
                if match:
                    return match
            if self.process.poll() is not None and not self._reader.is_alive():
                break  # the launcher ended and all its output is in
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r} in {timeout_s} s:\n{self.output}")

    def pid_of(self, name: str) -> int:
        return int(self.wait_for_line(rf"\[launch\] started {name} \(pid (\d+)\)").group(1))

    def stop(self, timeout_s: float = 60) -> int:
        """Ctrl-C the launcher; its exit code (it stops its processes within the bound)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout_s)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(10)
            self._reader.join(10)
            print(self.output)  # pytest shows it when the test fails, a timeout included
        return code


@pytest.fixture
def client():
    context = rclpy.Context()
    rclpy.init(context=context)
    node = Node("launch_test_client", context=context)
    spinner = BackgroundSpinner([node], context=context).start()
    yield node
    spinner.stop()
    node.destroy_node()
    rclpy.try_shutdown(context=context)


def cache_client(node: Node) -> ActionClient:
    action = ActionClient(node, CacheSample, "/aca/cache_sample")
    wait_action_matched(node, CacheSample, "/aca/cache_sample", 60)
    return action


def send(node: Node, action: ActionClient, feedback: list, **goal) -> object:
    handle = send_goal(node, action, CacheSample.Goal(**goal), 30, feedback.append)
    assert handle.accepted
    return handle


@pytest.mark.parametrize("launch_file", ["sim.launch.xml", "teleop.launch.xml"])
def test_each_launch_file_comes_up_and_shuts_down_cleanly(launch_file, client, tmp_path):
    teleop = launch_file == "teleop.launch.xml"
    launch = Launch(
        launch_file,
        "seed:=1",
        *(["run_dir:=" + str(tmp_path), "web_port:=0", "ws_port:=0"] * teleop),
    )
    try:
        state = client.create_client(GetWorldState, "/aca/sim/get_state")
        world = call_idempotent(state, GetWorldState.Request(), 60, "get_state")
        assert len(world.tubes) == 43
        if launch_file == "teleop.launch.xml":
            markers = client.create_client(
                GetInteractiveMarkers, "/aca/teleop/get_interactive_markers"
            )
            names = {
                m.name
                for m in call_idempotent(
                    markers, GetInteractiveMarkers.Request(), 60, "get_interactive_markers"
                ).markers
            }
            assert {"fork_target", "slot_01", "station_cachecam"} <= names
            page = launch.wait_for_line(r"teleop page: (http://127\.0\.0\.1:\d+/)")
            with urllib.request.urlopen(page.group(1), timeout=10) as response:
                assert b'<canvas id="view"' in response.read()
    finally:
        code = launch.stop()
    assert code == 0, launch.output
    assert "sim stopped (SIGINT), exit code 0" in launch.output
    if launch_file == "teleop.launch.xml":
        for name in ("sequencer", "state_publisher", "teleop", "teleop_web"):
            assert f"{name} stopped (SIGINT), exit code 0" in launch.output, name


def test_caching_launch_caches_a_sample_and_every_process_exits_cleanly(client, tmp_path):
    launch = Launch("caching.launch.xml", f"run_dir:={tmp_path}", "seed:=2")
    try:
        action = cache_client(client)
        feedback = []
        handle = send(
            client, action, feedback, kind=CacheSample.Goal.KIND_WITNESS, sample_name="W1"
        )
        result = get_result(client, handle, 300, "cache_sample").result
        assert result.error_code == CacheSample.Result.NONE, result.error_msg
        assert result.sealed and result.catalogued_kind == "witness"
        assert feedback[0].feedback.step == "retrieve_tube"
    finally:
        code = launch.stop()
    assert code == 0, launch.output
    for name in ("recorder", "sequencer", "sim"):
        assert f"{name} stopped (SIGINT), exit code 0" in launch.output, name
    order = [
        re.search(r"\] (\w+) stopped", line).group(1)
        for line in launch.lines
        if " stopped (" in line
    ]
    assert order == ["recorder", "sequencer", "sim"], "reverse start order"
    inventory = Inventory(tmp_path / "inventory.db")
    try:
        tube = inventory.tube(result.tube_id)
        assert (tube.sample_name, tube.catalogued_kind, tube.seal_state) == ("W1", "witness", 2)
        assert inventory.open_step() is None and inventory.running_sequence() is None
    finally:
        inventory.close()
    from mcap.reader import make_reader

    with (tmp_path / "recording.mcap").open("rb") as stream:
        channels = make_reader(stream).get_summary().channels.values()
    offered = {c.topic: yaml.safe_load(c.metadata["offered_qos_profiles"]) for c in channels}
    assert {"/joint_states", "/aca/tubes", "/aca/cachecam/image_raw"} <= set(offered)
    assert [p["durability"] for p in offered["/aca/tubes"]] == ["transient_local"]


def test_a_sim_killed_mid_sequence_and_restarted_on_its_world_file_lets_the_goal_resume(
    client, tmp_path
):
    """SIGKILL the sim during a step: the goal ends STEP_FAILED, not a hang. A sim restarted
    on the world file (caching.launch.xml keeps run_dir/world.json) continues from the last
    finished step; the same goal sent again resumes the sequence (the cut-off step, which the
    new sim never heard of, is done again) and seals, with the inventory equal to the
    hardware."""
    launch = Launch("caching.launch.xml", f"run_dir:={tmp_path}", "record:=false")
    restarted = None
    try:
        sim_pid = launch.pid_of("sim")
        action = cache_client(client)
        feedback = []
        handle = send(
            client, action, feedback, kind=CacheSample.Goal.KIND_ROCK_CORE, sample_name="R1"
        )
        deadline = time.monotonic() + 120
        while not any(f.feedback.step == "transfer_tube_to_bit" for f in feedback):
            assert time.monotonic() < deadline, launch.output
            time.sleep(0.05)

        os.kill(sim_pid, signal.SIGKILL)
        result = get_result(client, handle, 60, "cache_sample after the kill").result
        assert result.error_code == CacheSample.Result.STEP_FAILED
        assert "the hardware stopped answering" in result.error_msg
        launch.wait_for_line(r"\[launch\] sim exited with code -9")
        inventory = Inventory(tmp_path / "inventory.db")
        try:
            running = inventory.running_sequence()
            assert running is not None and running.next_index == 1, "kept for a restart"
            # The kill lands inside transfer_tube_to_bit (its start row stays open) or just
            # before the sequencer had recorded that start (it reads the hardware first).
            open_step = inventory.open_step()
            assert open_step is None or open_step.step == "transfer_tube_to_bit"
        finally:
            inventory.close()

        world = tmp_path / "world.json"
        assert world.is_file()
        restarted = subprocess.Popen(
            [str(Path(sys.prefix) / "bin" / "sim_node"), "--ros-args", "-r", "__ns:=/aca",
             "-p", f"state_file:={world}"],
            stdout=(tmp_path / "sim2.log").open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_action_matched(client, CacheSample, "/aca/cache_sample", 60)
        state = client.create_client(GetWorldState, "/aca/sim/get_state")
        hardware = call_idempotent(state, GetWorldState.Request(), 60, "get_state")
        assert hardware.held_tube_id == 201, "the world as the last finished step left it"
        handle = send(client, action, [], kind=CacheSample.Goal.KIND_ROCK_CORE, sample_name="R1")
        resumed = get_result(client, handle, 600, "the resumed cache_sample").result
        assert resumed.error_code == CacheSample.Result.NONE, resumed.error_msg
        assert (resumed.tube_id, resumed.sealed) == (201, True)
        hardware = call_idempotent(state, GetWorldState.Request(), 60, "get_state")
        inventory = Inventory(tmp_path / "inventory.db")
        try:
            assert_inventory_matches(inventory.tubes(), hardware.tubes)
            assert inventory.running_sequence() is None and inventory.open_step() is None
        finally:
            inventory.close()
        log = (tmp_path / "sim2.log").read_text()
        assert f"continuing the world of {world}" in log
    finally:
        if restarted is not None:
            restarted.send_signal(signal.SIGINT)
            restarted.wait(30)
        code = launch.stop()
    assert code == 1, "a process of the launch failed"
    assert "sequencer stopped (SIGINT), exit code 0" in launch.output


def test_a_required_node_that_dies_stops_the_launch_with_its_exit_code(tmp_path):
    path = tmp_path / "required.launch.xml"
    path.write_text(
        "<launch>\n"
        f'  <node pkg="aca_sim" exec="sequencer_node" name="sequencer" namespace="aca">\n'
        f'    <param name="inventory_path" value="{tmp_path}/inventory.db"/>\n'
        "  </node>\n"
        '  <node pkg="aca_sim" exec="sim_node" name="sim" namespace="aca" on_exit="shutdown">\n'
        '    <param name="mode" value="warp"/>\n'
        "  </node>\n"
        "</launch>\n"
    )
    launch = Launch(str(path))
    code = launch.process.wait(60)
    launch._reader.join(10)
    assert code == 2, launch.output
    assert "parameter mode='warp'" in launch.output
    assert "sim is required (on_exit=shutdown): stopping the launch" in launch.output
    assert "sequencer stopped (SIGINT), exit code 0" in launch.output


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_campaign_launch_runs_to_the_end_by_itself(tmp_path):
    """campaign_node over a launch: the short campaign plus a Mageik-like sample recovered by
    the ground in one round, whose catalogue cell must be filled as `aca-sim run` fills it.
    The sim runs a model configuration whose seal release limit is not the default's (175 N:
    Mageik's first press, 250 N, still fails; after 30 sweeps it is under 150 N): the summary,
    the plots and `aca-sim report` take the running sim's limit (campaign_node took the
    default model's)."""
    model = tmp_path / "model.yaml"
    model.write_text(model_text(None, {"seal_carousel.release_limit_n": 175.0}))
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(
        "samples:\n"
        "  - {name: Montdenier, kind: rock_core}\n"
        "  - {name: Witness 1, kind: witness}\n"
        "  - {name: Mageik, kind: rock_core, scenario: mageik, recover_sweeps: 30}\n"
    )
    launch = Launch(
        "caching.launch.xml",
        f"run_dir:={tmp_path}",
        "run_campaign:=true",
        f"campaign:={campaign}",
        f"model_config:={model}",
    )
    code = launch.process.wait(600)
    launch._reader.join(10)
    assert code == 0, launch.output
    assert "campaign is required (on_exit=shutdown): stopping the launch" in launch.output
    summary = (tmp_path / "summary.md").read_text()
    assert "| Montdenier | 201 | rock_core | True |" in summary
    assert "| Witness 1 | 239 | witness | True |" in summary
    assert "| Mageik | 202 | rock_core | True |" in summary, summary
    assert "Seal release limit 175 N (the sim's model)." in summary
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["report"]["release_limit_n"] == 175.0
    assert (tmp_path / "plots" / "step_timeline.png").is_file()
    report = subprocess.run(
        [str(ACA_SIM), "report", str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert report.returncode == 0, report.stderr
    assert "'release_limit_n': 175.0" in report.stdout, report.stdout
    # Montdenier, the witness, and Mageik at caching, before sweeping and after the round:
    # five captures of two frames each.
    images = sorted(p.name for p in (tmp_path / "images").iterdir())
    assert [name.split("_")[-2] for name in images] == ["rim", "sample"] * 5, images
    assert "- Mageik, before sweeping, sim " in summary
    assert "- Mageik, after round 1 (30 sweeps), sim " in summary
