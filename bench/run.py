"""Benchmarks of the physics model. Run: make bench (or .venv/bin/python bench/run.py).

Prints the tables: raw PyBullet stepping of this world against Aca.step() (idle and
while the arm moves), CacheCam frames against a bare getCameraImage of the same view
(cachecam_bench, TinyRenderer and EGL where present), the ROS
layer against plain rclpy (ros_bench), and the inventory's cost per step against raw SQLite
(inventory_bench), motion planning against bare OMPL and PyBullet (motion_bench), and the
teleop publishers and page against the bare sim tick and plain rclpy (teleop_bench), Monte
Carlo trials on Ray against the same trials in one process (montecarlo_bench), and issues
13 and 26's speed targets (speed_bench: the headless trial, the default campaign, fast mode,
round trip, suite, memory; also written as JSON for a later --compare).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import cachecam_bench
import inventory_bench
import montecarlo_bench
import motion_bench
import ros_bench
import speed_bench
import teleop_bench
from aca_sim.sim import procedures as steps
from aca_sim.sim.aca import Aca


def rate(fn, seconds: float) -> tuple[float, int]:
    """Calls per second of fn over about `seconds` of wall time (after a warm-up)."""
    for _ in range(50):
        fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            fn()
        n += 100
    return n / (time.perf_counter() - start), n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="wall time per measurement")
    parser.add_argument("--goals", type=int, default=200, help="round trips per action server")
    parser.add_argument("--plans", type=int, default=200, help="random planning queries")
    parser.add_argument(
        "--json",
        type=Path,
        default=speed_bench.DEFAULT_JSON,
        help="where the issue-13 speed lines are written (JSON)",
    )
    parser.add_argument("--compare", type=Path, help="an earlier speed JSON to show beside")
    args = parser.parse_args()
    ros_bench.prepare()
    aca = Aca.create(seed=0)
    world = aca.world
    dt = aca.dt
    rows = []

    raw_idle, _ = rate(world.p.stepSimulation, args.seconds)
    world_idle, _ = rate(aca.step, args.seconds)
    rows.append(("raw stepSimulation, arm idle", raw_idle, "steps/s", raw_idle * dt, None))
    rows.append(
        ("Aca.step, arm idle", world_idle, "steps/s", world_idle * dt, world_idle / raw_idle)
    )

    # A real move: retrieve a tube (transit, guarded Z, grip, retract) with the device models.
    start_steps, start = world.step_count, time.perf_counter()
    aca.run(steps.retrieve_tube(aca, 20))
    moving = (world.step_count - start_steps) / (time.perf_counter() - start)
    rows.append(("retrieve_tube (arm moving)", moving, "steps/s", moving * dt, moving / raw_idle))

    aca.close()

    print(
        f"time step {dt * 1000:.3f} ms ({1 / dt:.0f} Hz); real-time factor = steps/s x time step"
    )
    print(f"{'measurement':<34}{'rate':>12} {'unit':<8}{'RTF':>8}{'ratio':>8}")
    for name, value, unit, rtf, ratio in rows:
        ratio_text = "base" if ratio is None else f"{ratio:.2f}"
        print(f"{name:<34}{value:>12.0f} {unit:<8}{rtf:>7.1f}x{ratio_text:>8}")
    print_rows("CacheCam against a bare getCameraImage", cachecam_bench.measure())
    ros_rows = ros_bench.measure(args.goals)
    print_rows("ROS (one process, SingleThreadedExecutor)", ros_rows)
    print_rows("inventory per step (WAL, synchronous=FULL)", inventory_bench.measure())
    print_rows("motion planning and tracking (no ROS)", motion_bench.measure(args.plans))
    print_rows("teleop: frames, markers, page (real DDS)", teleop_bench.measure())
    print_rows("Monte Carlo on Ray (mageik_dust, same 6 trials)", montecarlo_bench.measure())
    speed = speed_bench.measure(ros_rows)
    previous = speed_bench.load(args.compare)
    speed_bench.print_table(speed, previous)
    speed_bench.save(speed, args.json)


def print_rows(title: str, rows: list[tuple[str, float, str, float | None]]) -> None:
    """A table of (name, value, unit, ratio to the baseline or None for the baseline)."""
    print()
    print(f"{title:<44}{'value':>10} {'unit':<5}{'ratio':>8}")
    for name, value, unit, ratio in rows:
        ratio_text = (
            f"{'base':>8}" if ratio is None else "" if math.isnan(ratio) else _number(ratio, 8)
        )
        print(f"{name:<44}{_number(value, 10)} {unit:<5}{ratio_text}")


def _number(value: float, width: int) -> str:
    """Two decimals, or three significant digits for a small non-zero value."""
    if value and abs(value) < 0.01:
        return f"{value:>{width}.2e}"
    return f"{value:>{width}.2f}"


if __name__ == "__main__":
    main()
