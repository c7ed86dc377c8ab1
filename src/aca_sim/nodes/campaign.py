"""The main job: a caching campaign over ROS, headless, in fast mode.

run_campaign() starts the sim node and the sequencer in this process (one SingleThreadedExecutor,
real DDS on a private domain, local-only discovery) and the MCAP recorder as a child process
(it records every topic on the other core), drives the campaign with CampaignDriver, and
writes a run folder:

- inventory.db: the durable inventory (tubes, dispensers, the whole step history)
- recording.mcap: every topic (profile ros2, CDR; rosbag2 and Foxglove read it), sim-time stamps
- manifest.json: seed, campaign, model config and its sha256, package versions, times
- summary.md: one row per sample, and the campaign's sim and wall time
- plots/insertion_force.png, plots/step_timeline.png, images/*.png (aca_sim.recording.report)

CampaignDriver only needs a node: it also drives nodes started elsewhere (a launch file).
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from aca_sim import __version__
from aca_sim.caching.campaign_file import CampaignItem, load_campaign
from aca_sim.nodes.blocking import get_result, send_goal
from aca_sim.nodes.matching import call_idempotent, wait_action_matched

RECORDED_BEFORE_START = ("/joint_states", "/aca/cachecam/image_raw", "/aca/tubes")


@dataclass(frozen=True)
class SampleOutcome:
    """What one sample of the campaign came to; sim_s is its sim time in s."""

    sample_name: str
    tube_id: int
    catalogued_kind: str
    sealed: bool
    sample_height_m: float
    sweeps: int
    seal_attempts: int
    sim_s: float
    error_code: int
    outcome: str


class CampaignDriver:
    """Sends cache_sample goals (arming fault scenarios first) and, for a stuck seal,
    recover_seal rounds as the ground did for Mageik. Thread rule: call run() from a thread
    that is not spinning the node."""

    def __init__(self, node: Any, say: Callable[[str], None] = print, timeout_s: float = 3600):
        from aca_interfaces.action import CacheSample, RecoverSeal
        from aca_interfaces.srv import InjectFault
        from rclpy.action import ActionClient

        self.node, self.say, self.timeout_s = node, say, timeout_s
        self.cache = ActionClient(node, CacheSample, "/aca/cache_sample")
        self.recover = ActionClient(node, RecoverSeal, "/aca/recover_seal")
        self.inject = node.create_client(InjectFault, "/aca/sim/inject_fault")

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Wait until the sequencer's actions have answered a probe from this node (matched
        both ways, see nodes/matching.py) and the sim's fault service is up."""
        from aca_interfaces.action import CacheSample, RecoverSeal

        try:
            wait_action_matched(self.node, CacheSample, "/aca/cache_sample", timeout_s)
            wait_action_matched(self.node, RecoverSeal, "/aca/recover_seal", timeout_s)
        except TimeoutError as error:
            raise RuntimeError(f"the sequencer did not come up: {error}") from error
        if not self.inject.wait_for_service(timeout_sec=timeout_s):
            raise RuntimeError("/aca/sim/inject_fault did not come up")

    def run(self, items: list[CampaignItem]) -> list[SampleOutcome]:
        """Cache every sample in order; return one outcome per sample."""
        from aca_interfaces.srv import InjectFault

        self.wait_ready()
        outcomes = []
        for number, item in enumerate(items, 1):
            self.say(
                f"sample {number}/{len(items)}: {item.sample_name} ({item.kind.value})"
                + (f", fault scenario: {item.scenario}" if item.scenario else "")
            )
            if item.scenario:
                request = InjectFault.Request(kind="scenario", scenario=item.scenario)
                armed = call_idempotent(self.inject, request, 30, "inject_fault")
                if not armed.success:
                    raise RuntimeError(armed.message)
            outcomes.append(self.cache_one(item))
        return outcomes

    def _result(self, client: Any, goal: Any, prefix: str) -> Any:
        handle = send_goal(self.node, client, goal, 30, _progress(self.say, prefix))
        if not handle.accepted:
            raise RuntimeError(f"{type(goal).__name__} was rejected (a sequence is running)")
        return get_result(self.node, handle, self.timeout_s, "sequence result").result

    def cache_one(self, item: CampaignItem) -> SampleOutcome:
        """One cache_sample goal, then recovery rounds while the seal does not release."""
        from aca_interfaces.action import CacheSample, RecoverSeal

        from aca_sim.nodes.sequencer_node import KINDS

        goal_kind = next(number for number, kind in KINDS.items() if kind == item.kind)
        goal = CacheSample.Goal(kind=goal_kind, sample_name=item.sample_name)
        result = self._result(self.cache, goal, "")
        sim_s, sweeps, attempts = result.duration_s, 0, 1
        sealed, outcome, code = result.sealed, result.error_msg or "ok", result.error_code
        stuck = result.error_code == CacheSample.Result.SEAL_NOT_RELEASED
        if stuck:
            self.say(f"  seal not released: {result.error_msg}")
        for round_number in range(1, item.max_recovery_rounds + 1):
            if not (stuck and item.recover_sweeps):
                break
            self.say(
                f"  ground: recover_seal round {round_number}, "
                f"{item.recover_sweeps} bore sweeps then retry"
            )
            rgoal = RecoverSeal.Goal(tube_id=result.tube_id, sweeps=item.recover_sweeps)
            rresult = self._result(self.recover, rgoal, "recovery ")
            sim_s += rresult.duration_s
            sweeps += rresult.sweeps_done
            attempts += 1
            code = rresult.error_code
            stuck = code == RecoverSeal.Result.SEAL_NOT_RELEASED
            if code == RecoverSeal.Result.NONE:
                sealed, outcome = True, f"sealed after {sweeps} sweeps and {attempts} attempts"
            elif not stuck:
                outcome = rresult.error_msg
        if stuck and item.recover_sweeps:
            outcome = f"still unsealed after {attempts} attempts and {sweeps} sweeps"
        self.say(f"  -> tube {result.tube_id}: sealed={sealed}, {outcome}")
        return SampleOutcome(
            item.sample_name,
            result.tube_id,
            result.catalogued_kind,
            sealed,
            result.sample_height_m,
            sweeps,
            attempts,
            sim_s,
            code,
            outcome,
        )


def _progress(say: Callable[[str], None], prefix: str) -> Callable[[Any], None]:
    """A feedback callback that prints each finished step: a bar, i/n, the step, its
    measurement."""
    seen: set[tuple[int, str]] = set()

    def on_feedback(message: Any) -> None:
        fb = message.feedback
        key = (fb.step_index, fb.step)
        if fb.progress * fb.step_count >= fb.step_index - 1e-6 and key not in seen:
            seen.add(key)
            bar = "#" * round(fb.progress * 20)
            say(
                f"  {prefix}[{bar:<20}] {fb.step_index:>2}/{fb.step_count} "
                f"{fb.step:<22} {fb.last_measurement}"
            )

    return on_feedback


def _versions() -> dict[str, str]:
    names = ["ros-jazzy-rclpy", "ros-jazzy-rmw-fastrtps-cpp", "pybullet", "numpy", "mcap"]
    found = {"aca_sim": __version__, "python": platform.python_version()}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


class Recorder:
    """The MCAP recorder node as a child process (same domain, sim-time stamps)."""

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


def run_campaign(
    seed: int,
    run_dir: Path,
    campaign: str = "default",
    say: Callable[[str], None] = print,
) -> list[SampleOutcome]:
    """Run a campaign (a name in config/campaigns or a file); write the run folder; return
    one outcome per sample."""
    from aca_sim.ros_env import claim_domain_id, ensure_local_discovery

    items = load_campaign(campaign)
    ensure_local_discovery()
    if "ROS_DOMAIN_ID" not in os.environ:
        os.environ["ROS_DOMAIN_ID"] = str(claim_domain_id())
    import rclpy
    from rclpy.node import Node
    from rclpy.parameter import Parameter

    from aca_sim.nodes.sequencer_node import SequencerNode
    from aca_sim.nodes.sim_node import SimNode
    from aca_sim.nodes.spinning import BackgroundSpinner
    from aca_sim.recording.report import write_report

    run_dir.mkdir(parents=True, exist_ok=True)
    wall0 = time.perf_counter()
    context = rclpy.Context()
    rclpy.init(context=context)
    sim = SimNode(context=context, parameter_overrides=[Parameter("seed", value=seed)])
    sequencer = SequencerNode(
        context=context,
        parameter_overrides=[Parameter("inventory_path", value=str(run_dir / "inventory.db"))],
    )
    client = Node("campaign", context=context)
    manifest: dict[str, Any] = {
        "seed": seed,
        "campaign": campaign,
        "samples": [{**asdict(item), "kind": item.kind.value} for item in items],
        "model_config": sim.model.source_path,
        "model_config_sha256": sim.model.sha256,
        "versions": _versions(),
        "ros_domain_id": int(os.environ["ROS_DOMAIN_ID"]),
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    release_limit_n = sim.model.seal_carousel.release_limit_n
    recorder = Recorder(run_dir / "recording.mcap", run_dir / "recorder.log")
    try:
        with BackgroundSpinner([sim, sequencer, client], context=context):
            recorder.wait_subscribed(client, RECORDED_BEFORE_START)
            outcomes = CampaignDriver(client, say).run(items)
    finally:
        recorder_rc = recorder.stop()
        sequencer.destroy_node()
        sim.destroy_node()
        client.destroy_node()
        rclpy.try_shutdown(context=context)
    outcomes = _as_catalogued(outcomes, run_dir / "inventory.db")
    report = write_report(run_dir, release_limit_n)
    wall_s = time.perf_counter() - wall0
    sim_s = sum(o.sim_s for o in outcomes)
    manifest.update(
        finished_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        wall_s=round(wall_s, 1),
        sim_s=round(sim_s, 3),
        recorder_exit_code=recorder_rc,
        report=report,
    )
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (run_dir / "summary.md").write_text(summary_table(outcomes, seed, wall_s) + "\n")
    return outcomes


def _as_catalogued(outcomes: list[SampleOutcome], inventory_path: Path) -> list[SampleOutcome]:
    """The outcomes with the catalogue kind as the inventory finally records it (a recovered
    seal is catalogued by recover_seal, after the first result)."""
    from aca_sim.caching.inventory import Inventory

    inventory = Inventory(inventory_path)
    try:
        return [
            replace(o, catalogued_kind=inventory.tube(o.tube_id).catalogued_kind)
            if o.tube_id
            else o
            for o in outcomes
        ]
    finally:
        inventory.close()


def summary_table(
    outcomes: list[SampleOutcome], seed: int | None, wall_s: float | None = None
) -> str:
    """A Markdown table of the campaign's samples and its totals (seed None: not known here)."""
    lines = [
        "# aca_sim campaign" + (f", seed {seed}" if seed is not None else ""),
        "",
        "| sample | tube | catalogued | sealed | height cm | sweeps | seal attempts | sim s "
        "| outcome |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.sample_name} | {o.tube_id} | {o.catalogued_kind} | {o.sealed} | "
            f"{o.sample_height_m * 100:.2f} | {o.sweeps} | {o.seal_attempts} | {o.sim_s:.0f} "
            f"| {o.outcome} |"
        )
    total = f"\nSim time {sum(o.sim_s for o in outcomes):.0f} s"
    lines.append(total + (f", wall time {wall_s:.0f} s." if wall_s is not None else "."))
    return "\n".join(lines)
