"""Monte Carlo throughput (issue 11): the same trials of a study run one after another in
this process without Ray (the baseline), then on a local Ray cluster with 1 and with 2
workers; trials per second, the ratio to the baseline, the cluster's start, and the memory
of the Ray processes. Run: .venv/bin/python bench/montecarlo_bench.py [--trials N]
(also a section of `make bench`).
"""

from __future__ import annotations

import argparse
import math
import tempfile
import threading
import time
from pathlib import Path

from aca_sim.montecarlo.runner import run_study
from aca_sim.montecarlo.study import draw_trial, load_study
from aca_sim.montecarlo.trial import run_trial

Row = tuple[str, float, str, float | None]  # ratio None: the baseline; nan: no ratio
INFO = math.nan


def ray_rss_mib() -> dict[str, float]:
    """RSS of the running Ray processes by kind (workers summed with their count), MiB."""
    found: dict[str, list[float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")[0].decode()
            rss = int((entry / "statm").read_text().split()[1]) * 4096 / 2**20
        except (OSError, ValueError, IndexError):
            continue
        if args.startswith("ray::"):
            kind = "worker" if args.startswith("ray::run_trial_task") else args[5:]
        elif args.endswith(("gcs_server", "raylet")):
            kind = Path(args).name
        else:
            continue
        found.setdefault(kind, []).append(rss)
    return {kind: max(values) for kind, values in found.items()}


class RssWatch(threading.Thread):
    """Samples ray_rss_mib() every half second; keeps each kind's peak."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak: dict[str, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            for kind, rss in ray_rss_mib().items():
                self.peak[kind] = max(rss, self.peak.get(kind, 0.0))


def measure(study_name: str = "mageik_dust", trials: int = 6) -> list[Row]:
    """Rows (name, value, unit, ratio to the in-process baseline)."""
    study = load_study(study_name)
    specs = [draw_trial(study, study.seed, k) for k in range(trials)]
    start = time.perf_counter()
    for spec in specs:
        run_trial(study, spec)
    base = trials / (time.perf_counter() - start)
    rows: list[Row] = [(f"{trials} trials in this process, no Ray", base, "tr/s", None)]
    watch = RssWatch()
    watch.start()
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as folder:
            run = run_study(
                study.path, trials, out=Path(folder) / "out", workers=workers, say=lambda _: None
            )
        rate = trials / run.trials_wall_s
        rows.append((f"Ray, {workers} worker(s), trials only", rate, "tr/s", rate / base))
        whole = trials / (run.trials_wall_s + run.cluster_start_s)
        rows.append((f"Ray, {workers} worker(s), with cluster start", whole, "tr/s", whole / base))
        rows.append((f"  cluster start ({workers} CPU)", run.cluster_start_s, "s", INFO))
    watch.done.set()
    for kind, rss in sorted(watch.peak.items()):
        rows.append((f"peak RSS {kind}", rss, "MiB", INFO))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--study", default="mageik_dust", help="a study (mageik_dust)")
    parser.add_argument("--trials", type=int, default=6, help="trials per measurement (6)")
    args = parser.parse_args()
    print(f"{'Monte Carlo: ' + args.study:<44}{'value':>10} {'unit':<5}{'ratio':>8}")
    for name, value, unit, ratio in measure(args.study, args.trials):
        ratio_text = (
            f"{'base':>8}" if ratio is None else "" if math.isnan(ratio) else f"{ratio:>8.2f}"
        )
        print(f"{name:<44}{value:>10.3f} {unit:<5}{ratio_text}")


if __name__ == "__main__":
    main()
