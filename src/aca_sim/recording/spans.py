"""The history's steps as sim-time spans, and file-name slugs: shared by the report and the
rim-dust series. No ROS."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aca_sim.caching.inventory import HistoryRow
from aca_sim.model.status import StepStatus


@dataclass(frozen=True)
class StepSpan:
    """One step of the history: its name, sample, outcome and sim-time interval, s."""

    step: str
    sample_name: str
    tube_id: int
    outcome: str
    start_s: float
    end_s: float
    measurement: dict


def step_spans(history: list[HistoryRow]) -> list[StepSpan]:
    """Pair each step's 'started' row with its ending row (steps still open are left out)."""
    starts = {row.step_id: row for row in history if row.event == StepStatus.STARTED}
    spans = []
    for row in history:
        if row.event != StepStatus.STARTED and row.step_id in starts:
            start = starts[row.step_id]
            spans.append(
                StepSpan(
                    row.step,
                    row.sample_name,
                    row.tube_id,
                    row.event,
                    start.sim_time_s,
                    row.sim_time_s,
                    row.measurement,
                )
            )
    return spans


def slug(text: str) -> str:
    """`text` as a file-name part: runs of other characters than letters and digits become _."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "unnamed"
