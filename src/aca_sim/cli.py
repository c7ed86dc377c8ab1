"""The `aca-sim` command: one entry point for the main job and tools."""

from __future__ import annotations

import argparse
import sys
import time

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
        help="cache a rock core headless through the physics model",
        description="Cache one rock core through the PyBullet model of the ACA, headless, "
        "and print each step with its sim time, wall time and measurement.",
    )
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.add_argument("--slot", type=int, default=1, help="storage slot of the tube, 1..38")
    run.add_argument("--gui", action="store_true", help="show the PyBullet GUI")
    return parser


def run_main_job(args: argparse.Namespace) -> int:
    """Cache one rock core and print a step table; return the exit code."""
    from aca_sim.scripted import cache_one_core
    from aca_sim.sim.errors import StepError
    from aca_sim.sim.world import AcaWorld

    if not 1 <= args.slot <= 38:
        print(
            f"aca-sim run: --slot {args.slot} is not a sample-tube slot (1..38)", file=sys.stderr
        )
        return 2
    wall0 = time.perf_counter()
    world = AcaWorld.create(gui=args.gui, seed=args.seed)
    print(f"aca-sim {__version__}: caching a rock core from slot {args.slot}, seed {args.seed}")
    print(f"{'step':<24}{'sim s':>8}{'wall s':>8}  measurement")
    try:
        for report in cache_one_core(world, args.slot):
            line = f"{report.name:<24}{report.sim_s:>8.1f}{report.wall_s:>8.2f}"
            print(f"{line}  {report.measurement}", flush=True)
    except StepError as error:
        print(f"step failed: {error.code}: {error.message}", file=sys.stderr)
        return 1
    finally:
        sim_s = world.time_s
        world.close()
    wall = time.perf_counter() - wall0
    print(f"done: {sim_s:.1f} s of sim time in {wall:.1f} s wall ({sim_s / wall:.1f}x real time)")
    return 0


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
