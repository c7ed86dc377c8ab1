"""The `aca-sim` command: one entry point for the main job and tools."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from aca_sim import __version__


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `aca-sim` with all sub-commands."""
    parser = argparse.ArgumentParser(
        prog="aca-sim",
        description="Simulator of the Adaptive Caching Assembly of NASA's Perseverance rover.",
    )
    parser.add_argument("--version", action="version", version=f"aca-sim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser(
        "run",
        help="run the default caching campaign headless (sim + sequencer over ROS, fast mode)",
        description="Start the simulation and the sequencer headless in fast mode and cache a "
        "rock core, an empty core (sealed as atmospheric), a witness tube and a Mageik-like "
        "dusty core (recovered with bore sweeps). Writes a run folder.",
    )
    run.add_argument("--seed", type=int, default=0, help="random seed, >= 0 (default 0)")
    run.add_argument(
        "--run-dir",
        type=Path,
        default=None,
        help="output folder (default runs/<UTC time>-seed<N>)",
    )
    return parser


def run_main_job(args: argparse.Namespace) -> int:
    """Run the default campaign; print progress and a summary; return the exit code."""
    if args.seed < 0:
        print(f"aca-sim run: --seed {args.seed} must be >= 0", file=sys.stderr)
        return 2
    run_dir = args.run_dir or Path("runs") / time.strftime(
        f"%Y%m%dT%H%M%SZ-seed{args.seed}", time.gmtime()
    )
    if run_dir.exists() and any(run_dir.iterdir()):
        print(f"aca-sim run: --run-dir {run_dir} is not empty", file=sys.stderr)
        return 2
    from aca_sim.nodes.campaign import run_campaign, summary_table

    wall0 = time.perf_counter()
    print(
        f"aca-sim {__version__}: default campaign, seed {args.seed}, run folder {run_dir}",
        flush=True,
    )
    outcomes = run_campaign(args.seed, run_dir, say=lambda line: print(line, flush=True))
    wall = time.perf_counter() - wall0
    sim_s = sum(o.sim_s for o in outcomes)
    print()
    print(summary_table(outcomes, args.seed))
    print(
        f"\ncampaign: {sim_s:.0f} s of sim time in {wall:.0f} s wall; wrote {run_dir}/"
        "{inventory.db,manifest.json,summary.md}"
    )
    return 0 if all(o.sealed for o in outcomes) else 1


def main(argv: list[str] | None = None) -> int:
    """Run `aca-sim` with argv (default: sys.argv[1:]) and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "run":
        return run_main_job(args)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
