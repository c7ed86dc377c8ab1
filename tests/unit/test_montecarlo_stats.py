"""A study's statistics against hand-computed cases, its table's resume rules, and the
summary of a hand-made table."""

from __future__ import annotations

import math

import pytest

from aca_sim.montecarlo.analysis import release_points, sample_stats, summary_markdown
from aca_sim.montecarlo.priors import StudyError
from aca_sim.montecarlo.stats import bootstrap, mean_t, wilson
from aca_sim.montecarlo.study import load_study
from aca_sim.montecarlo.table import TrialTable, read_rows
from aca_sim.montecarlo.trial import trial_columns


def test_wilson_interval_by_hand():
    # p = 0.8, z = 1.959964: centre (0.8 + z^2/20) / (1 + z^2/10) = 0.71674,
    # half z sqrt(0.016 + z^2/400) / (1 + z^2/10) = 0.22657
    rate = wilson(8, 10)
    assert rate.value == 0.8
    assert rate.low == pytest.approx(0.49016, abs=1e-5)
    assert rate.high == pytest.approx(0.94332, abs=1e-5)
    none = wilson(0, 20)  # p = 0: [0, z^2 / (n + z^2)] = [0, 0.16113]
    assert (none.value, none.low) == (0.0, 0.0) and none.high == pytest.approx(0.16113, abs=1e-5)
    every = wilson(7, 7)  # p = 1: [n / (n + z^2), 1] = [0.64566, 1], 1 exactly
    assert (every.value, every.high) == (1.0, 1.0)
    assert every.low == pytest.approx(0.64566, abs=1e-5)
    for n in range(1, 60):  # the interval always holds its estimate (plots draw value - low)
        for k in range(n + 1):
            rate = wilson(k, n)
            assert rate.low <= rate.value <= rate.high
    assert math.isnan(wilson(0, 0).value)
    with pytest.raises(ValueError, match=r"successes 11 must be in 0\.\.n=10"):
        wilson(11, 10)


def test_t_interval_by_hand():
    # mean 3, s = sqrt(2.5) = 1.58114, s / sqrt(5) = 0.70711, t(0.975, 4) = 2.77645
    mean = mean_t([1, 2, 3, 4, 5])
    assert mean.value == 3.0
    assert mean.low == pytest.approx(3 - 1.96324, abs=1e-5)
    assert mean.high == pytest.approx(3 + 1.96324, abs=1e-5)
    one = mean_t([7.0])
    assert one.value == 7.0 and math.isnan(one.low) and one.n == 1


def test_bootstrap_is_seeded_and_brackets_the_median():
    values = [float(v) for v in range(1, 102)]
    first, again = bootstrap(values), bootstrap(values)
    assert first == again and first.value == 51.0
    assert first.low < 51.0 < first.high and first.high - first.low < 30


ROWS = [  # trial, first try code, sealed, sweeps, rim dust; by hand: 2 of 3 released
    (0, "NONE", 1, 0, 0.2),
    (1, "NONE", 1, 0, 0.3),
    (2, "SEAL_NOT_RELEASED", 1, 24, 0.8),
    (3, "EARLY_DRAG", 0, 0, 0.9),  # never reached the seal: not in the release rate's n
]


def hand_rows(study) -> list[dict[str, str]]:
    rows = []
    for trial, first, sealed, sweeps, dust in ROWS:
        row = {c: "" for c in trial_columns(study)}
        code = first if first != "SEAL_NOT_RELEASED" else "NONE"
        row.update({
            "trial": str(trial), "seed": "1", "status": "ok", "attempts": "1", "wall_s": "2.0",
            "sim_s": str(1000.0 + 100 * trial), "sweeps": str(sweeps), "seal_attempts": "1",
            "error_codes": "" if code == "NONE" else f"Mageik={code}",
            "f:Mageik:rim_dust": str(dust),
            "s:Mageik:first_code": first, "s:Mageik:code": code, "s:Mageik:sealed": str(sealed),
            "s:Mageik:sweeps": str(sweeps), "s:Mageik:seal_attempts": "3" if sweeps else "1",
        })  # fmt: skip
        rows.append(row)
    rows.append({**rows[0], "trial": "4", "status": "failed", "error": "WorkerCrashedError: x"})
    return rows


def test_the_summary_counts_what_the_table_says():
    study = load_study("mageik_dust")
    rows = hand_rows(study)
    found = sample_stats(rows, "Mageik")
    assert (found.released_first.value, found.released_first.n) == (2 / 3, 3)
    assert (found.sealed.value, found.sealed.n) == (3 / 4, 4), "the failed trial is not counted"
    assert (found.sweeps_when_stuck.value, found.sweeps_when_stuck.n) == (24.0, 1)
    assert found.codes["EARLY_DRAG"].value == 0.25
    assert release_points(rows, "Mageik") == [(0.2, True), (0.3, True), (0.8, False)]
    text = summary_markdown(study, 7, rows, 5, [])
    assert "| Mageik | seal released at the first try | 0.667 [" in text
    assert "0 failed" not in text and "1 failed after their retries" in text
    assert "- trial 4 (1 attempts): WorkerCrashedError: x" in text
    worst = text.split("## Worst trials")[1]
    assert worst.index("trial 4") < worst.index("trial 3") < worst.index("trial 2")
    assert "aca-sim run --study" in worst and "--study-seed 7 --trial 4" in worst


def test_a_resumed_table_cuts_a_partial_row_and_refuses_another_study(tmp_path):
    study = load_study("mageik_dust")
    columns = trial_columns(study)
    table = TrialTable.create(tmp_path / "out", study, 7, columns)
    table.append({"trial": 0, "status": "ok", "error": "two\nlines", "wall_s": 0.1 + 0.2})
    table.close()
    with open(tmp_path / "out" / "trials.csv", "a") as stream:
        stream.write("1,123,ok,1,2.5")  # a row cut off by a kill
    with pytest.raises(StudyError, match="is study seed 7, not 8"):
        TrialTable.resume(tmp_path / "out", study, 8, columns)
    with pytest.raises(StudyError, match="not empty"):
        TrialTable.create(tmp_path / "out", study, 7, columns)
    other = load_study("campaign")
    with pytest.raises(StudyError, match="another study file"):
        TrialTable.resume(tmp_path / "out", other, 7, trial_columns(other))
    table = TrialTable.resume(tmp_path / "out", study, 7, columns)
    assert list(table.rows()) == [0]
    table.append({"trial": 1, "status": "ok"})
    table.close()
    rows = read_rows(tmp_path / "out")
    assert [r["trial"] for r in rows] == ["0", "1"]
    assert rows[0]["error"] == "two | lines" and rows[0]["wall_s"] == repr(0.1 + 0.2)
