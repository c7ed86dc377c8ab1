"""The `aca-sim` command: one entry point for the main job, the launcher and tools."""

from __future__ import annotations

import argparse
import sys

from aca_sim import __version__


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `aca-sim` with all sub-commands."""
    parser = argparse.ArgumentParser(
        prog="aca-sim",
        description="Simulator of the Adaptive Caching Assembly of NASA's Perseverance rover.",
    )
    parser.add_argument("--version", action="version", version=f"aca-sim {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run `aca-sim` with argv (default: sys.argv[1:]) and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
