"""A campaign as a node: drives an already running sim + sequencer (a launch file's), writes
summary.md and the plots into run_dir, and exits (0 when every sample ended sealed).

Parameters: campaign (default, short, or a YAML file), run_dir (where the sequencer keeps
inventory.db), sample_timeout_s, wait_for_recorder (true: start only once the launch's
recorder, /aca/recorder, has subscribed to the CacheCam frames, so that the first sample's
images are in the recording). The seal release limit of the plots and the summary is the
running sim's (its dispensers, from /aca/sim/get_state: the model configuration it was started
with), kept in run_dir/manifest.json for `aca-sim report RUN_DIR`, which extracts the CacheCam
images from the recording once the recorder has finished it. Thread rule: the driver runs on
the main thread, the node spins in a background thread.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rclpy.node import Node


def main(argv: list[str] | None = None) -> int:
    """Run the campaign against the running system; return the exit code."""
    from aca_sim.ros_env import ensure_local_discovery

    ensure_local_discovery()
    import rclpy
    from aca_interfaces.srv import GetWorldState
    from rclpy.signals import SignalHandlerOptions

    from aca_sim.caching.campaign import run_campaign_items, summary_table
    from aca_sim.caching.campaign_file import load_campaign
    from aca_sim.recording.report import write_manifest, write_report
    from aca_sim.recording.rim_series import series_markdown
    from aca_sim.ros.conversions import hardware_of
    from aca_sim.ros.device_link import STATE_SERVICE
    from aca_sim.ros.matching import call_idempotent
    from aca_sim.ros.parameters import read_only_parameter
    from aca_sim.ros.sequencer_link import SequencerLink
    from aca_sim.ros.spinning import BackgroundSpinner

    rclpy.init(
        args=argv if argv is not None else sys.argv, signal_handler_options=SignalHandlerOptions.NO
    )
    node = Node("campaign", namespace="aca")
    try:

        def param(name: str, default: object, description: str) -> object:
            return read_only_parameter(node, name, default, description)

        campaign = str(param("campaign", "default", "default, short, or a campaign YAML file"))
        run_dir = Path(str(param("run_dir", "aca_run", "the run folder (inventory.db is here)")))
        timeout_s = float(param("sample_timeout_s", 3600.0, "wall-time bound per goal, s"))
        recorded = bool(param("wait_for_recorder", False, "start once the recorder records"))
        try:
            items = load_campaign(campaign)
        except ValueError as error:
            print(f"aca_sim campaign: parameter campaign={campaign!r}: {error}", file=sys.stderr)
            return 2
        say = node.get_logger().info
        wall0 = time.perf_counter()
        state = node.create_client(GetWorldState, STATE_SERVICE)
        with BackgroundSpinner([node]):
            link = SequencerLink(node, timeout_s)
            link.wait_ready()
            if recorded:
                _wait_recorder(node)
            outcomes = run_campaign_items(items, link, say)
            hardware = hardware_of(
                call_idempotent(state, GetWorldState.Request(), 60.0, STATE_SERVICE)
            )
        limit = hardware.release_limit_n()
        wall_s = time.perf_counter() - wall0
        run_dir.mkdir(parents=True, exist_ok=True)
        series, report = "", {}
        if (run_dir / "inventory.db").exists():
            report = write_report(run_dir, limit, images=False)
            series = series_markdown(report.get("rim_series", []))
        write_manifest(run_dir, {"campaign": campaign, "wall_s": round(wall_s, 1)}, report)
        summary = summary_table(outcomes, None, wall_s, limit)
        (run_dir / "summary.md").write_text(summary + series + "\n")
        say(f"campaign {campaign} done in {wall_s:.0f} s wall; wrote {run_dir}/summary.md")
        return 0 if all(o.sealed for o in outcomes) else 1
    except KeyboardInterrupt:
        return 130
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


def _wait_recorder(node: Node, timeout_s: float = 60.0) -> None:
    """Wait until /aca/recorder subscribes to every CacheCam frame topic (RuntimeError
    naming the topics it lacks after timeout_s)."""
    from aca_sim.ros.cachecam_topics import FOCUS_TOPICS

    topics = [f"/aca/{topic}" for topic in FOCUS_TOPICS.values()]
    deadline = time.monotonic() + timeout_s
    while True:
        missing = [
            topic
            for topic in topics
            if not any(
                (info.node_name, info.node_namespace) == ("recorder", "/aca")
                for info in node.get_subscriptions_info_by_topic(topic)
            )
        ]
        if not missing:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the recorder did not subscribe to {missing} in {timeout_s:g} s")
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())
