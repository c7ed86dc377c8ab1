"""The sequencer process killed with SIGKILL in the middle of a step, and restarted.

The simulator runs in this process (full physics, so that the step lasts long enough to be cut
off); the sequencer is a separate process with its inventory file. The kill lands while the
drill is coring (the device finishes the step on its own). The restarted sequencer settles the
cut-off step from the device's own result (fetched by goal id), resumes the sequence when the
same goal is sent again, and the campaign goes on: the inventory equals the hardware, no tube
is lost or counted twice, the core was drilled once.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import rclpy
from aca_interfaces.action import CacheSample
from rclpy.node import Node
from rclpy.parameter import Parameter

sys.path.insert(0, str(Path(__file__).parents[1] / "ros"))

from aca_client import AcaClient, assert_inventory_matches

from aca_sim.caching.inventory import Inventory
from aca_sim.nodes.sim_node import SimNode
from aca_sim.ros.matching import wait_action_matched
from aca_sim.ros.spinning import BackgroundSpinner


def start_sequencer(path: Path, log: Path, domain: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "aca_sim.nodes.sequencer_node", "--ros-args", "-p",
         f"inventory_path:={path}"],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "ROS_DOMAIN_ID": str(domain)},
    )  # fmt: skip


FEEDBACK_TOPIC = "/aca/cache_sample/_action/feedback"


def server_gids(node: Node) -> set[bytes]:
    return {bytes(i.endpoint_gid) for i in node.get_publishers_info_by_topic(FEEDBACK_TOPIC)}


def wait_for_new_server(node: Node, old: set[bytes], timeout_s: float = 30.0) -> None:
    """Wait until a (re)started server is discovered and matched. A SIGKILLed server is not
    unannounced: DDS keeps it until its lease runs out, so wait_for_server() can answer from
    the dead one; and a new server shows in the graph before it has matched our endpoints,
    so a goal sent at once can be lost: a probe round trip settles that (the dead one does not
    answer)."""
    deadline = time.monotonic() + timeout_s
    while not server_gids(node) - old:
        assert time.monotonic() < deadline, "the restarted sequencer was not discovered"
        time.sleep(0.1)
    wait_action_matched(node, CacheSample, "/aca/cache_sample", timeout_s)


@pytest.fixture
def sim_and_client(ros_domain):
    """The sim and a client on this test's own domain (conftest.py), passed on explicitly."""
    domain = ros_domain
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=domain)
    # full physics: fast mode now cores in a tenth of a second of wall time (its waits and
    # turns leap), too short to kill the sequencer inside; stepped, coring takes about 1.1 s
    params = [Parameter("seed", value=5), Parameter("physics_fidelity", value="full")]
    sim = SimNode(context=context, parameter_overrides=params)
    client = AcaClient(Node("crash_client", context=context))
    spinner = BackgroundSpinner([sim, client.node], context=context).start()
    yield client, domain
    spinner.stop()
    sim.destroy_node()
    client.node.destroy_node()
    rclpy.try_shutdown(context=context)


@pytest.mark.slow
def test_sigkill_mid_step_then_restart_loses_nothing_and_the_campaign_finishes(
    sim_and_client, tmp_path
):
    client, domain = sim_and_client
    path, log = tmp_path / "inventory.db", tmp_path / "sequencer.log"
    sequencer = start_sequencer(path, log, domain)
    try:
        wait_for_new_server(client.node, set())
        rock = {"kind": CacheSample.Goal.KIND_ROCK_CORE, "sample_name": "Montdenier"}
        run = client.start(CacheSample, "cache_sample", **rock)
        assert run.accepted
        deadline = time.monotonic() + 120
        while not any(f.step == "core_sample" for f in run.feedback):
            assert time.monotonic() < deadline, "core_sample never started"
            time.sleep(0.02)
        time.sleep(0.2)  # well inside the drill's step (about 1.1 s of wall time, full physics)
        sequencer.send_signal(signal.SIGKILL)
        assert sequencer.wait(10) == -signal.SIGKILL
        assert client.tube(201).location.startswith("bit_"), "killed with the tube in the bit"
        inventory = Inventory(path)
        open_step = inventory.open_step()
        inventory.close()
        assert open_step is not None and open_step.step == "core_sample"
        assert open_step.measurement["goal_id"], "the device goal id was stored before sending"

        old = server_gids(client.node)
        sequencer = start_sequencer(path, log, domain)
        wait_for_new_server(client.node, old)
        resumed = client.send(CacheSample, "cache_sample", **rock)
        assert resumed.result.error_code == CacheSample.Result.NONE, resumed.result.error_msg
        assert resumed.feedback[0].step == "core_sample", "resumed at the cut-off step"
        assert (resumed.result.tube_id, resumed.result.sealed) == (201, True)
        witness = client.send(CacheSample, "cache_sample", kind=CacheSample.Goal.KIND_WITNESS)
        assert witness.result.error_code == CacheSample.Result.NONE, witness.result.error_msg
        assert witness.result.sealed
    finally:
        sequencer.send_signal(signal.SIGINT)
        exit_code = sequencer.wait(20)
    assert exit_code == 0, log.read_text()[-2000:]

    inventory = Inventory(path)
    try:
        records, history = inventory.tubes(), inventory.history()
        hardware = client.state()
        assert len(records) == 43 and sorted(records) == sorted(t.tube_id for t in hardware.tubes)
        assert_inventory_matches(records, hardware.tubes)
        locations = [r.location for r in records.values()]
        assert len(set(locations)) == len(locations), "two tubes in one place"
        assert {d.dispenser_id: d.seals_remaining for d in hardware.dispensers} == (
            inventory.seals()
        )
        sealed = [r for r in records.values() if r.seal_state == 2]
        assert sorted(r.sample_name for r in sealed) == ["", "Montdenier"]  # + the witness
        assert sum(7 - n for n in inventory.seals().values()) == len(sealed)
        assert inventory.open_step() is None and inventory.running_sequence() is None
        cored = [h for h in history if h.step == "core_sample" and h.event != "started"]
        assert [(h.event, h.tube_id) for h in cored] == [("succeeded", 201)], "cored once"
        assert sum(1 for h in history if h.event == "interrupted") == 0
    finally:
        inventory.close()
