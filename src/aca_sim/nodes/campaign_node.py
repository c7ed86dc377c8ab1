"""A campaign as a node: drives an already running sim + sequencer (a launch file's), writes
summary.md and the plots into run_dir, and exits (0 when every sample ended sealed).

Parameters: campaign (default, short, or a YAML file), run_dir (where the sequencer keeps
inventory.db), sample_timeout_s. The CacheCam images come from the recording once the recorder
has finished it: `aca-sim report RUN_DIR`. Thread rule: the driver runs on the main thread, the
node spins in a background thread.
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
    from rclpy.signals import SignalHandlerOptions

    from aca_sim.caching.campaign import run_campaign_items, summary_table
    from aca_sim.caching.campaign_file import load_campaign
    from aca_sim.model.config import load_model_config
    from aca_sim.recording.report import write_report
    from aca_sim.recording.rim_series import series_markdown
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
        try:
            items = load_campaign(campaign)
        except ValueError as error:
            print(f"aca_sim campaign: parameter campaign={campaign!r}: {error}", file=sys.stderr)
            return 2
        say = node.get_logger().info
        wall0 = time.perf_counter()
        with BackgroundSpinner([node]):
            link = SequencerLink(node, timeout_s)
            link.wait_ready()
            outcomes = run_campaign_items(items, link, say)
        wall_s = time.perf_counter() - wall0
        run_dir.mkdir(parents=True, exist_ok=True)
        series = ""
        if (run_dir / "inventory.db").exists():
            limit = load_model_config().seal_carousel.release_limit_n
            report = write_report(run_dir, limit, images=False)
            series = series_markdown(report.get("rim_series", []))
        (run_dir / "summary.md").write_text(summary_table(outcomes, None, wall_s) + series + "\n")
        say(f"campaign {campaign} done in {wall_s:.0f} s wall; wrote {run_dir}/summary.md")
        return 0 if all(o.sealed for o in outcomes) else 1
    except KeyboardInterrupt:
        return 130
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    sys.exit(main())
