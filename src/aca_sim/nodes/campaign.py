"""The main job: a caching campaign over ROS, headless, in fast mode.

Starts the sim node and the sequencer in this process (one SingleThreadedExecutor, real DDS
on a private domain, local-only discovery), sends cache_sample goals (and, for a stuck seal,
recover_seal rounds as the ground would), prints progress, and writes a run folder:
inventory.db (the durable inventory), manifest.json (seed, config hash, versions) and
summary.md (one row per sample).
"""

from __future__ import annotations

import json
import os
import platform
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from aca_sim import __version__


@dataclass(frozen=True)
class CampaignItem:
    """One sample of a campaign: its name, kind, fault scenario, and recovery sweeps per round."""

    sample_name: str
    kind: int
    scenario: str = ""
    recover_sweeps: int = 0


def default_campaign() -> list[CampaignItem]:
    """A rock core, an empty core (Roubion), a witness tube and a dusty core (Mageik)."""
    from aca_interfaces.action import CacheSample

    goal = CacheSample.Goal
    return [
        CampaignItem("Montdenier", goal.KIND_ROCK_CORE),
        CampaignItem("Roubion", goal.KIND_ROCK_CORE, scenario="roubion"),
        CampaignItem("Witness 1", goal.KIND_WITNESS),
        CampaignItem("Mageik", goal.KIND_ROCK_CORE, scenario="mageik", recover_sweeps=12),
    ]


@dataclass(frozen=True)
class SampleOutcome:
    sample_name: str
    tube_id: int
    catalogued_kind: str
    sealed: bool
    sample_height_m: float
    sweeps: int
    seal_attempts: int
    sim_s: float
    outcome: str


def _wait(future: Any, timeout_s: float = 1800.0) -> Any:
    event = threading.Event()
    future.add_done_callback(lambda _: event.set())
    if not event.wait(timeout_s):
        raise TimeoutError(f"no answer within {timeout_s} s")
    return future.result()


def _versions() -> dict[str, str]:
    names = ["ros-jazzy-rclpy", "pybullet", "numpy", "xacro"]
    found = {"aca_sim": __version__, "python": platform.python_version()}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def run_campaign(
    seed: int,
    run_dir: Path,
    items: list[CampaignItem] | None = None,
    say: Callable[[str], None] = print,
) -> list[SampleOutcome]:
    """Run the campaign; write the run folder; return one outcome per sample."""
    from aca_sim.ros_env import claim_domain_id, ensure_local_discovery

    ensure_local_discovery()
    if "ROS_DOMAIN_ID" not in os.environ:
        os.environ["ROS_DOMAIN_ID"] = str(claim_domain_id())
    import rclpy
    from aca_interfaces.action import CacheSample, RecoverSeal
    from aca_interfaces.srv import InjectFault
    from rclpy.action import ActionClient
    from rclpy.node import Node
    from rclpy.parameter import Parameter

    from aca_sim.nodes.sequencer_node import SequencerNode
    from aca_sim.nodes.sim_node import SimNode
    from aca_sim.nodes.spinning import BackgroundSpinner

    items = items or default_campaign()
    run_dir.mkdir(parents=True, exist_ok=True)
    context = rclpy.Context()
    rclpy.init(context=context)
    sim = SimNode(context=context, parameter_overrides=[Parameter("seed", value=seed)])
    sequencer = SequencerNode(
        context=context,
        parameter_overrides=[Parameter("inventory_path", value=str(run_dir / "inventory.db"))],
    )
    client = Node("campaign", context=context)
    outcomes: list[SampleOutcome] = []
    manifest = {
        "seed": seed,
        "model_config": sim.model.source_path,
        "model_config_sha256": sim.model.sha256,
        "versions": _versions(),
        "campaign": [asdict(item) for item in items],
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    try:
        with BackgroundSpinner([sim, sequencer, client], context=context):
            cache = ActionClient(client, CacheSample, "/aca/cache_sample")
            recover = ActionClient(client, RecoverSeal, "/aca/recover_seal")
            inject = client.create_client(InjectFault, "/aca/sim/inject_fault")
            if not (
                cache.wait_for_server(timeout_sec=10) and recover.wait_for_server(timeout_sec=10)
            ):
                raise RuntimeError("the sequencer's actions did not come up")
            for number, item in enumerate(items, 1):
                say(
                    f"sample {number}/{len(items)}: {item.sample_name}"
                    + (f" (fault scenario: {item.scenario})" if item.scenario else "")
                )
                if item.scenario:
                    armed = _wait(
                        inject.call_async(
                            InjectFault.Request(kind="scenario", scenario=item.scenario)
                        )
                    )
                    if not armed.success:
                        raise RuntimeError(armed.message)
                outcomes.append(_cache_one(cache, recover, item, say))
    finally:
        sequencer.destroy_node()
        sim.destroy_node()
        client.destroy_node()
        rclpy.try_shutdown(context=context)
    from dataclasses import replace

    from aca_sim.caching.inventory import Inventory

    inventory = Inventory(run_dir / "inventory.db")  # the catalogue as recorded
    try:
        outcomes = [
            replace(o, catalogued_kind=inventory.tube(o.tube_id).catalogued_kind) for o in outcomes
        ]
    finally:
        inventory.close()
    (run_dir / "summary.md").write_text(summary_table(outcomes, seed) + "\n")
    return outcomes


def _progress(say: Callable[[str], None], prefix: str) -> Callable[[Any], None]:
    """A feedback callback that prints each finished step with its measurement."""
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


def _cache_one(
    cache: Any, recover: Any, item: CampaignItem, say: Callable[[str], None]
) -> SampleOutcome:
    from aca_interfaces.action import CacheSample, RecoverSeal

    goal = CacheSample.Goal(kind=item.kind, sample_name=item.sample_name)
    handle = _wait(cache.send_goal_async(goal, feedback_callback=_progress(say, "")))
    result = _wait(handle.get_result_async()).result
    sim_s, sweeps, attempts = result.duration_s, 0, 1
    sealed, outcome = result.sealed, result.error_msg or "ok"
    if result.error_code == CacheSample.Result.SEAL_NOT_RELEASED and item.recover_sweeps:
        say(f"  seal not released: {result.error_msg}")
        for round_number in range(1, 7):
            say(
                f"  ground: recover_seal round {round_number}, "
                f"{item.recover_sweeps} bore sweeps then retry"
            )
            rgoal = RecoverSeal.Goal(tube_id=result.tube_id, sweeps=item.recover_sweeps)
            rhandle = _wait(
                recover.send_goal_async(rgoal, feedback_callback=_progress(say, "recovery "))
            )
            rresult = _wait(rhandle.get_result_async()).result
            sim_s += rresult.duration_s
            sweeps += rresult.sweeps_done
            attempts += 1
            if rresult.error_code == RecoverSeal.Result.NONE:
                sealed, outcome = True, f"sealed after {sweeps} sweeps and {attempts} attempts"
                break
            if rresult.error_code != RecoverSeal.Result.SEAL_NOT_RELEASED:
                outcome = rresult.error_msg
                break
    say(f"  -> tube {result.tube_id}: sealed={sealed}, {outcome}")
    return SampleOutcome(
        item.sample_name,
        result.tube_id,
        result.catalogued_kind,
        sealed,
        result.sample_height_m,
        sweeps,
        attempts,
        sim_s,
        outcome,
    )


def summary_table(outcomes: list[SampleOutcome], seed: int) -> str:
    """A Markdown table of the campaign's samples."""
    lines = [
        f"# aca_sim campaign, seed {seed}",
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
    return "\n".join(lines)
