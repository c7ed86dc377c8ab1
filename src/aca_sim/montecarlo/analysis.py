"""What a study's table says: per-sample rates and means with 95 % intervals, the worst
trials with the commands that replay them, and summary.md.

Rows are trials.csv's (text cells). "Seal released at the first try" counts the trials whose
first cache_sample tried the seal: it ended NONE (sealed) or SEAL_NOT_RELEASED (stuck); a
trial that stopped before the seal (pebbles, an empty tube left unsealed) is not in its n.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from aca_sim.model.status import TrialStatus
from aca_sim.montecarlo.stats import Estimate, bootstrap, mean_t, wilson
from aca_sim.montecarlo.study import Study

TRIED_SEAL = ("NONE", "SEAL_NOT_RELEASED")


def ok_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The trials that ran to their end."""
    return [row for row in rows if row["status"] == TrialStatus.OK]


def release_points(rows: list[dict[str, str]], sample: str) -> list[tuple[float, bool]]:
    """(drawn rim dust, seal released at the first try) of the trials where `sample` had a
    drawn rim_dust and its first try reached the seal."""
    points = []
    for row in ok_rows(rows):
        dust = row.get(f"f:{sample}:rim_dust", "")
        if dust != "" and row[f"s:{sample}:first_code"] in TRIED_SEAL:
            points.append((float(dust), row[f"s:{sample}:first_code"] == "NONE"))
    return points


def stuck_sweeps(rows: list[dict[str, str]], sample: str) -> tuple[list[int], list[int]]:
    """Bore sweeps of the trials whose seal stuck at the first try: (sealed in the end, not)."""
    sealed, unsealed = [], []
    for row in ok_rows(rows):
        if row[f"s:{sample}:first_code"] == "SEAL_NOT_RELEASED":
            bucket = sealed if row[f"s:{sample}:sealed"] == "1" else unsealed
            bucket.append(int(row[f"s:{sample}:sweeps"]))
    return sealed, unsealed


@dataclass(frozen=True)
class SampleStats:
    """The estimates of one sample over the study's trials."""

    released_first: Estimate
    sealed: Estimate
    sweeps_when_stuck: Estimate
    attempts: Estimate
    codes: dict[str, Estimate]  # final code -> its rate


def sample_stats(rows: list[dict[str, str]], sample: str) -> SampleStats:
    """Rates (Wilson) and means (t) of one sample over the trials that ran to their end."""
    done = ok_rows(rows)
    tried = [r for r in done if r[f"s:{sample}:first_code"] in TRIED_SEAL]
    released = sum(r[f"s:{sample}:first_code"] == "NONE" for r in tried)
    sealed = sum(r[f"s:{sample}:sealed"] == "1" for r in done)
    codes = Counter(r[f"s:{sample}:code"] for r in done)
    stuck_sealed, stuck_unsealed = stuck_sweeps(rows, sample)
    return SampleStats(
        wilson(released, len(tried)),
        wilson(sealed, len(done)),
        mean_t(stuck_sealed + stuck_unsealed),
        mean_t([int(r[f"s:{sample}:seal_attempts"]) for r in done]),
        {code: wilson(count, len(done)) for code, count in sorted(codes.items())},
    )


def worst_trials(rows: list[dict[str, str]], count: int = 5) -> list[dict[str, str]]:
    """The trials to look at first: failed ones, then the most samples not ending NONE,
    then the longest sim time."""

    def badness(row: dict[str, str]) -> tuple[int, int, float]:
        failed = row["status"] != TrialStatus.OK
        codes = len([c for c in row["error_codes"].split(";") if c])
        return (int(failed), codes, float(row["sim_s"] or 0.0))

    return sorted(rows, key=badness, reverse=True)[:count]


def replay_command(study: Study, study_seed: int, row: dict[str, str]) -> str:
    """The command that replays a trial over ROS (the main job, with a run folder)."""
    return f"aca-sim run --study {study.path} --study-seed {study_seed} --trial {row['trial']}"


def summary_markdown(
    study: Study,
    study_seed: int,
    rows: list[dict[str, str]],
    requested: int,
    plots: list[Path],
    throughput: str = "",
) -> str:
    """summary.md of a study's output folder."""
    done, failed = ok_rows(rows), [r for r in rows if r["status"] != TrialStatus.OK]
    lines = [
        f"# Monte Carlo study: {study.path.stem}",
        "",
        study.description,
        "",
        f"Study file `{study.path}` (sha256 {study.sha256[:12]}), study seed {study_seed}; "
        f"each trial caches {study.campaign}.",
        f"Trials: {requested} requested, {len(rows)} in the table, {len(done)} ran to their "
        f"end, {len(failed)} failed after their retries."
        + (f" {throughput}" if throughput else ""),
        "",
        "## Priors",
        "",
        "| quantity | prior | drawn at |",
        "|---|---|---|",
    ]
    for key, prior in study.parameters.items():
        lines.append(f"| model `{key}` | {prior.describe()} | every trial |")
    for name, kinds in study.faults.items():
        for kind, fault in kinds.items():
            when = "every trial" if fault.probability == 1 else f"p = {fault.probability:g}"
            lines.append(f"| fault `{kind}` of {name} | {fault.value.describe()} | {when} |")
    lines += [
        "",
        "## Results",
        "",
        "95 % confidence intervals: Wilson score for rates, Student t for means, percentile "
        "bootstrap (2000 resamples) for the median.",
        "",
        "| sample | quantity | estimate [95 % CI] (n) |",
        "|---|---|---|",
    ]
    for item in study.items:
        name = item.sample_name
        found = sample_stats(rows, name)
        lines.append(
            f"| {name} | seal released at the first try | {found.released_first.text()} |"
        )
        lines.append(f"| {name} | sealed in the end | {found.sealed.text()} |")
        lines.append(f"| {name} | bore sweeps, when stuck | {found.sweeps_when_stuck.text(1)} |")
        lines.append(f"| {name} | seal attempts | {found.attempts.text(2)} |")
        for code, rate in found.codes.items():
            lines.append(f"| {name} | ends {code} | {rate.text()} |")
    sim = [float(r["sim_s"]) for r in done]
    wall = [float(r["wall_s"]) for r in done]
    lines += [
        f"| all | sim time per trial, s (mean) | {mean_t(sim).text(1)} |",
        f"| all | sim time per trial, s (median) | {bootstrap(sim).text(1)} |",
        f"| all | wall time per trial, s (mean) | {mean_t(wall).text(2)} |",
        "",
    ]
    if failed:
        lines += ["## Failed trials", ""]
        lines += [f"- trial {r['trial']} ({r['attempts']} attempts): {r['error']}" for r in failed]
        lines.append("")
    lines += ["## Worst trials, and how to replay one over ROS", ""]
    for row in worst_trials(rows):
        what = (
            row["error"] if row["status"] != TrialStatus.OK else (row["error_codes"] or "all NONE")
        )
        lines.append(f"- trial {row['trial']}: {what}, sim {row['sim_s'] or '-'} s")
        lines.append(f"  `{replay_command(study, study_seed, row)}`")
    lines += ["", "## Plots", ""]
    lines += [f"![{plot.stem}](plots/{plot.name})" for plot in plots]
    return "\n".join(lines) + "\n"
