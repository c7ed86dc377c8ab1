"""`aca-sim montecarlo`: run a study's trials on Ray into an output folder, then write its
summary and plots.

The folder (default runs/<UTC time>-montecarlo-<study>-seed<S>): trials.csv (one row per
trial, streamed as trials end), study.json, summary.md, plots/. With resume, the trials
already in the table are not run again; the others are, and the summary covers them all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aca_sim.model.status import TrialStatus
from aca_sim.montecarlo.analysis import replay_command, summary_markdown, worst_trials
from aca_sim.montecarlo.plots import write_plots
from aca_sim.montecarlo.priors import StudyError
from aca_sim.montecarlo.progress import Progress
from aca_sim.montecarlo.study import Study, draw_trial, load_study
from aca_sim.montecarlo.table import TrialTable, read_rows
from aca_sim.montecarlo.trial import trial_columns


@dataclass(frozen=True)
class StudyRun:
    """What a study run did: its folder, rows (by trial), and this run's own numbers."""

    folder: Path
    rows: list[dict[str, str]]
    ran: int  # trials run by this invocation
    cluster_start_s: float  # starting or joining the cluster
    trials_wall_s: float  # from the first submission to the last row
    cpus: int


def default_folder(study: Study, study_seed: int) -> Path:
    """runs/<UTC time>-montecarlo-<study name>-seed<S>."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return Path("runs") / f"{stamp}-montecarlo-{study.path.stem}-seed{study_seed}"


def run_study(
    study_file: str | Path,
    trials: int | None = None,
    seed: int | None = None,
    out: Path | None = None,
    resume: bool = False,
    address: str | None = None,
    workers: int | None = None,
    retries: int = 1,
    say: Callable[[str], None] = print,
    progress_period_s: float = 10.0,
) -> StudyRun:
    """Run (or resume) a study; StudyError for a bad study, count, seed or folder."""
    study = load_study(study_file)
    trials = study.trials if trials is None else trials
    study_seed = study.seed if seed is None else seed
    if trials < 1:
        raise StudyError(f"--trials must be >= 1, got {trials}")
    if study_seed < 0:
        raise StudyError(f"--seed must be >= 0, got {study_seed}")
    if workers is not None and workers < 1:
        raise StudyError(f"--workers must be >= 1, got {workers}")
    if resume and out is None:
        raise StudyError("--resume needs --out, the folder of the study to go on with")
    folder = out or default_folder(study, study_seed)
    columns = trial_columns(study)
    open_table = TrialTable.resume if resume else TrialTable.create
    table = open_table(folder, study, study_seed, columns)
    done = {k for k in table.rows() if k < trials}
    pending = [draw_trial(study, study_seed, k) for k in range(trials) if k not in done]
    say(
        f"study {study.path.stem}: {trials} trials of {study.campaign}, study seed {study_seed}, "
        f"folder {folder}" + (f"; resuming, {len(done)} already in the table" if resume else "")
    )
    progress = Progress(trials, already=len(done), period_s=progress_period_s)
    start_s = trials_s = 0.0
    cpus = 0

    def on_row(row: dict[str, Any]) -> None:
        table.append(row)
        progress.trial_ended(row["status"] != TrialStatus.OK, int(row["attempts"]))

    try:
        if pending:
            from aca_sim.montecarlo.cluster import ray_cluster, run_trials

            started = time.perf_counter()
            with ray_cluster(address, workers) as cpus:
                start_s = time.perf_counter() - started
                say(f"Ray: {cpus} CPUs " + (f"at {address}" if address else "on 127.0.0.1"))
                progress.show()
                run_trials(study, pending, cpus, on_row, retries)
                trials_s = time.perf_counter() - started - start_s
            progress.show(final=True)
    except KeyboardInterrupt:
        say(
            f"\ninterrupted: {progress.done} of {trials} trials in {folder / 'trials.csv'}; "
            f"go on with: aca-sim montecarlo {study.path} --seed {study_seed} --trials {trials} "
            f"--out {folder} --resume"
        )
        raise
    finally:
        table.close()
    rows = [row for row in read_rows(folder) if int(row["trial"]) < trials]
    throughput = (
        f"This run: {len(pending)} trials in {trials_s:.1f} s on {cpus} CPUs "
        f"({len(pending) / trials_s:.3f} trials/s; cluster start {start_s:.1f} s)."
        if pending and trials_s > 0
        else ""
    )
    plots = write_plots(study, rows, folder / "plots")
    summary = summary_markdown(study, study_seed, rows, trials, plots, throughput)
    (folder / "summary.md").write_text(summary)
    failed = sum(row["status"] != TrialStatus.OK for row in rows)
    say(f"{len(rows)} trials in the table, {failed} failed; wrote {folder}/summary.md, plots/")
    say("worst trials (replay over ROS with a run folder):")
    for row in worst_trials(rows, 3):
        say(f"  {replay_command(study, study_seed, row)}")
    return StudyRun(folder, rows, len(pending), start_s, trials_s, cpus)
