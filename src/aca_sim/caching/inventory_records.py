"""The rows the inventory hands out: history rows, depot entries, stored sequences, and a
sequence's progress to commit. Plain frozen data; aca_sim.caching.inventory reads and writes
them (and re-exports them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HistoryRow:
    id: int
    step_id: int
    event: str
    step: str
    tube_id: int
    sample_name: str
    sim_time_s: float
    error_code: str
    error_msg: str
    measurement: dict[str, Any]


@dataclass(frozen=True)
class DepotEntry:
    """A tube left at the depot: the order it was dropped in, what it holds (as catalogued),
    when (sim time, s), and whether it landed standing on its end."""

    drop_order: int
    tube_id: int
    sample_name: str
    catalogued_kind: str
    sim_time_s: float
    landed_on_end: bool


@dataclass(frozen=True)
class SequenceRecord:
    """A sequence as stored: its action and goal (JSON-able), the plan as a list of
    {"action", "goal"} dicts, the index of the next step to run, and its running state."""

    sequence_id: int
    action: str
    goal: dict[str, Any]
    status: str
    steps: list[dict[str, Any]]
    next_index: int
    state: dict[str, Any]


@dataclass(frozen=True)
class Progress:
    """A sequence's progress to commit with a step outcome; finished closes the sequence."""

    sequence_id: int
    steps: list[dict[str, Any]]
    next_index: int
    state: dict[str, Any]
    finished: bool = False
