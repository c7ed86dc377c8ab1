"""The main job: a caching campaign over ROS, headless, in fast mode.

run_campaign() starts the sim node, the sequencer and the MCAP recorder in this process (one
SingleThreadedExecutor, real DDS on a private domain, local-only discovery), runs the campaign
through the sequencer's actions, and writes a run folder. The recorder subscribes to every
topic but the two the sim publishes at every tick (/clock, /joint_states: 100 Hz of sim time,
most of the messages), which the sim hands it on its physics thread (RecorderNode.tap): they
cost no DDS round trip, and nothing else subscribing, the sim does not publish them at all.

- inventory.db: the durable inventory (tubes, dispensers, the whole step history)
- recording.mcap: every topic (profile ros2, CDR; rosbag2 and Foxglove read it), sim-time stamps
- manifest.json: seed, campaign, model config and its sha256, package versions, times
- summary.md: one row per sample, and the campaign's sim and wall time
- plots/insertion_force.png, plots/step_timeline.png, images/*.png, and for a tube the ground
  swept plots/rim_series_<sample>.png and a captioned list in summary.md
  (aca_sim.recording.report)
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from aca_sim import __version__
from aca_sim.caching.campaign import SampleOutcome, run_campaign_items, summary_table
from aca_sim.caching.campaign_file import load_campaign

TICK_TOPICS = {"/clock": "rosgraph_msgs/msg/Clock", "/joint_states": "sensor_msgs/msg/JointState"}
RECORDED_BEFORE_START = (
    "/aca/cachecam/image_raw",
    "/aca/cachecam/image_raw/compressed",
    "/aca/cachecam/sample/image_raw",
    "/aca/cachecam/sample/image_raw/compressed",
    "/aca/tubes",
)


def package_versions() -> dict[str, str]:
    """Versions of aca_sim, Python and the packages a run depends on."""
    names = ["ros-jazzy-rclpy", "ros-jazzy-rmw-fastrtps-cpp", "pybullet", "numpy", "mcap"]
    found = {"aca_sim": __version__, "python": platform.python_version()}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def _wait_recording(recorder: Any, topics: tuple[str, ...], timeout_s: float = 30.0) -> None:
    """Wait until the recorder records `topics` (so nothing of the campaign is missed)."""
    deadline = time.monotonic() + timeout_s
    while not set(topics) <= set(recorder.topics):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the recorder did not subscribe to {topics} in {timeout_s} s")
        time.sleep(0.05)


def run_campaign(
    seed: int,
    run_dir: Path,
    campaign: str = "default",
    say: Callable[[str], None] = print,
    physics_fidelity: str = "",
    model_config: str = "",
) -> list[SampleOutcome]:
    """Run a campaign (a name in config/campaigns or a file) over ROS; write the run folder;
    return one outcome per sample. physics_fidelity: "fast", "full" or "" (the model
    configuration's); model_config: a model configuration file ("" = the default)."""
    from aca_sim.ros_env import claim_domain_id, ensure_local_discovery

    items = load_campaign(campaign)
    ensure_local_discovery()
    if "ROS_DOMAIN_ID" not in os.environ:
        os.environ["ROS_DOMAIN_ID"] = str(claim_domain_id())
    import rclpy
    from rclpy.logging import LoggingSeverity
    from rclpy.node import Node
    from rclpy.parameter import Parameter

    from aca_sim.nodes.recorder_node import RecorderNode
    from aca_sim.nodes.sequencer_node import SequencerNode
    from aca_sim.nodes.sim_node import SimNode
    from aca_sim.recording.report import write_manifest, write_report
    from aca_sim.recording.rim_series import series_markdown
    from aca_sim.ros.sequencer_link import SequencerLink
    from aca_sim.ros.spinning import BackgroundSpinner

    run_dir.mkdir(parents=True, exist_ok=True)
    wall0 = time.perf_counter()
    context = rclpy.Context()
    rclpy.init(context=context)
    sim = SimNode(
        context=context,
        parameter_overrides=[
            Parameter("seed", value=seed),
            Parameter("state_file", value=str(run_dir / "world.json")),
            Parameter("physics_fidelity", value=physics_fidelity),
            Parameter("model_config", value=model_config),
        ],
    )
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
        "physics_fidelity": sim.model.physics.fidelity,
        "versions": package_versions(),
        "ros_domain_id": int(os.environ["ROS_DOMAIN_ID"]),
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    release_limit_n = sim.model.seal_carousel.release_limit_n
    recorder = RecorderNode(
        context=context,
        tap_topics=tuple(TICK_TOPICS),
        parameter_overrides=[
            Parameter("output", value=str(run_dir / "recording.mcap")),
            Parameter("discovery_period_s", value=0.2),
        ],
    )
    recorder.get_logger().set_level(LoggingSeverity.WARN)  # not a line per topic
    sim.add_tick_sink(recorder.tap(TICK_TOPICS))
    try:
        with BackgroundSpinner([sim, sequencer, recorder, client], context=context):
            _wait_recording(recorder, RECORDED_BEFORE_START)
            link = SequencerLink(client)
            link.wait_ready()
            outcomes = run_campaign_items(items, link, say)
    finally:
        recorder.destroy_node()  # finishes the file
        sequencer.destroy_node()
        sim.destroy_node()
        client.destroy_node()
        rclpy.try_shutdown(context=context)
    report = write_report(run_dir, release_limit_n)
    wall_s = time.perf_counter() - wall0
    manifest.update(
        finished_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        wall_s=round(wall_s, 1),
        sim_s=round(sum(o.sim_s for o in outcomes), 3),
        recorded=dict(sorted(recorder.counts.items())),
    )
    write_manifest(run_dir, manifest, report)
    series = series_markdown(report.get("rim_series", []))
    summary = summary_table(outcomes, seed, wall_s, release_limit_n)
    (run_dir / "summary.md").write_text(summary + series + "\n")
    return outcomes
