"""The durable sample inventory: a SQLite file that survives any process death.

Tables: `tubes` (every field of each tube's record, aca_sim.model.records.Tube), `dispensers`
(seals left), `history` (append-only: a row when a step starts and a row when it ends,
enforced by triggers), `sequences` (each multi-step sequence: its goal, its remaining plan,
how far it got, its running summary) and `meta`. A step's outcome, its history row, the
tube/dispenser changes it caused and the sequence's progress commit in one transaction, so
after a crash the file shows either the step's start alone (the step was cut off) or the step
and all its effects. Comparing it with the hardware is caching.reconciliation's job; the
schema and its migrations are caching.inventory_schema's.

Thread rule: one thread at a time uses an Inventory (it may be created on another).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aca_sim.caching.inventory_records import (
    DepotEntry,
    HistoryRow,
    Progress,
    SequenceRecord,
)
from aca_sim.caching.inventory_schema import (
    SCHEMA,
    SCHEMA_VERSION,
    TUBE_COLUMNS,
    column_value,
    migrate,
    tube_from_row,
    tube_row,
)
from aca_sim.model.records import Tube
from aca_sim.model.status import STEP_ENDINGS, SequenceStatus, StepStatus

__all__ = [
    "DepotEntry",
    "HistoryRow",
    "Inventory",
    "InventoryMismatch",
    "Progress",
    "SequenceRecord",
]


class InventoryMismatch(RuntimeError):  # noqa: N818 - the name says what it is
    """The inventory contradicts the hardware in a way no cut-off step explains."""


class Inventory:
    """The inventory database at `path` (created when missing; an older schema is migrated)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(
            self.path, isolation_level=None, timeout=10.0, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)  # creates what a new file lacks; older tables stay
        version = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if version is None or int(version[0]) != SCHEMA_VERSION:
            with self._transaction():
                if version is not None:
                    try:
                        migrate(self._db, int(version[0]))
                    except ValueError as error:
                        raise InventoryMismatch(f"{self.path}: {error}") from None
                self._db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ------------------------------------------------------------------ set-up
    @property
    def is_empty(self) -> bool:
        return self._db.execute("SELECT COUNT(*) FROM tubes").fetchone()[0] == 0

    def initialise(
        self, tubes: list[Tube], seals: Mapping[int, int], meta: Mapping[str, str]
    ) -> None:
        """Fill an empty inventory with the tubes, dispenser counts and run metadata."""
        if not self.is_empty:
            raise InventoryMismatch(f"{self.path} already holds an inventory")
        with self._transaction():
            self._db.executemany(
                f"INSERT INTO tubes ({', '.join(TUBE_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(TUBE_COLUMNS))})",
                [tube_row(tube) for tube in tubes],
            )
            self._db.executemany("INSERT INTO dispensers VALUES (?, ?)", sorted(seals.items()))
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", sorted(meta.items()))

    # ------------------------------------------------------------------ reading
    def tubes(self) -> dict[int, Tube]:
        """Every tube record, by id."""
        rows = self._db.execute(f"SELECT {', '.join(TUBE_COLUMNS)} FROM tubes ORDER BY tube_id")
        return {row[0]: tube_from_row(row) for row in rows}

    def tube(self, tube_id: int) -> Tube:
        """One tube record; KeyError naming the id when unknown."""
        row = self._db.execute(
            f"SELECT {', '.join(TUBE_COLUMNS)} FROM tubes WHERE tube_id=?", (tube_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"tube {tube_id} is not in the inventory")
        return tube_from_row(row)

    def seals(self) -> dict[int, int]:
        """Seals remaining per dispenser."""
        return dict(
            self._db.execute(
                "SELECT dispenser_id, seals_remaining FROM dispensers ORDER BY dispenser_id"
            )
        )

    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta ORDER BY key"))

    def history(self, tube_id: int | None = None) -> list[HistoryRow]:
        """History rows in order (of one tube when tube_id is given)."""
        query = (
            "SELECT * FROM history"
            + (" WHERE tube_id=?" if tube_id is not None else "")
            + " ORDER BY id"
        )
        rows = self._db.execute(query, () if tube_id is None else (tube_id,))
        return [HistoryRow(*row[:-1], json.loads(row[-1])) for row in rows]

    def open_step(self) -> HistoryRow | None:
        """The step that started and never ended (at most one: steps run one at a time)."""
        row = self._db.execute(
            "SELECT * FROM history h WHERE event=? AND NOT EXISTS "
            "(SELECT 1 FROM history e WHERE e.step_id=h.step_id AND e.event!=?) "
            "ORDER BY id DESC",
            (StepStatus.STARTED, StepStatus.STARTED),
        ).fetchone()
        return None if row is None else HistoryRow(*row[:-1], json.loads(row[-1]))

    # ------------------------------------------------------------------ writing
    def begin_step(
        self,
        step: str,
        tube_id: int,
        sim_time_s: float,
        sample_name: str = "",
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Record that a step starts; return its step id. Refused while another is open.
        detail (stored with the start) names what a restart needs, such as the device goal id."""
        with self._transaction():
            open_step = self.open_step()
            if open_step is not None:
                raise InventoryMismatch(
                    f"step {open_step.step} (id {open_step.step_id}) is still open"
                )
            step_id = self._next_step_id()
            self._insert_history(
                step_id, StepStatus.STARTED, step, tube_id, sample_name, sim_time_s, "", "", detail
            )
        return step_id

    def end_step(
        self,
        step_id: int,
        outcome: StepStatus,
        sim_time_s: float,
        tube_changes: Mapping[int, Mapping[str, Any]] | None = None,
        seals_used: Mapping[int, int] | None = None,
        error_code: str = "",
        error_msg: str = "",
        measurement: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> None:
        """Record a step's outcome together with what it changed (and the progress of its
        sequence), in one transaction."""
        if outcome not in STEP_ENDINGS:
            endings = [str(e) for e in STEP_ENDINGS]
            raise ValueError(f"outcome must be one of {endings}, got {outcome!r}")
        with self._transaction():
            if progress is not None:
                self._save_progress(progress)
            start = self._db.execute(
                "SELECT step, tube_id, sample_name FROM history WHERE step_id=? AND event=?",
                (step_id, StepStatus.STARTED),
            ).fetchone()
            if start is None:
                raise InventoryMismatch(f"step id {step_id} was never started")
            ended = self._db.execute(
                "SELECT event FROM history WHERE step_id=? AND event!=?",
                (step_id, StepStatus.STARTED),
            ).fetchone()
            if ended is not None:
                raise InventoryMismatch(f"step id {step_id} already ended ({ended[0]})")
            self._apply(tube_changes or {}, seals_used or {})
            self._insert_history(
                step_id, outcome, *start, sim_time_s, error_code, error_msg, measurement
            )

    def record_step(
        self,
        step: str,
        tube_id: int,
        sim_time_s: float,
        sample_name: str,
        tube_changes: Mapping[int, Mapping[str, Any]],
        progress: Progress | None = None,
    ) -> None:
        """A bookkeeping step with no hardware (such as catalogue): start and success rows,
        the changes and the sequence progress in one transaction."""
        with self._transaction():
            step_id = self._next_step_id()
            for event in (StepStatus.STARTED, StepStatus.SUCCEEDED):
                self._insert_history(
                    step_id, event, step, tube_id, sample_name, sim_time_s, "", "", None
                )
            self._apply(tube_changes, {})
            if progress is not None:
                self._save_progress(progress)

    def _apply(
        self, tube_changes: Mapping[int, Mapping[str, Any]], seals_used: Mapping[int, int]
    ) -> None:
        for tube_id, changes in tube_changes.items():
            unknown = sorted(set(changes) - set(TUBE_COLUMNS[1:]))
            if unknown:
                raise ValueError(f"unknown tube field(s) {unknown}")
            if not changes:
                continue
            assignments = ", ".join(f"{name}=?" for name in changes)
            values = [column_value(v) for v in changes.values()]
            cursor = self._db.execute(
                f"UPDATE tubes SET {assignments} WHERE tube_id=?", (*values, tube_id)
            )
            if cursor.rowcount != 1:
                raise KeyError(f"tube {tube_id} is not in the inventory")
        for dispenser, used in seals_used.items():
            self._db.execute(
                "UPDATE dispensers SET seals_remaining = seals_remaining - ? WHERE dispenser_id=?",
                (used, dispenser),
            )

    def _insert_history(
        self,
        step_id: int,
        event: str,
        step: str,
        tube_id: int,
        sample_name: str,
        sim_time_s: float,
        error_code: str,
        error_msg: str,
        measurement: Mapping[str, Any] | None,
    ) -> None:
        self._db.execute(
            "INSERT INTO history (step_id, event, step, tube_id, sample_name, sim_time_s, "
            "error_code, error_msg, measurement) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                step_id,
                event,
                step,
                tube_id,
                sample_name,
                sim_time_s,
                error_code,
                error_msg,
                json.dumps(dict(measurement or {}), sort_keys=True),
            ),
        )

    def _next_step_id(self) -> int:
        return self._db.execute("SELECT COALESCE(MAX(step_id), 0) + 1 FROM history").fetchone()[0]

    def operator_adopt(
        self,
        tube_changes: Mapping[int, Mapping[str, Any]],
        seal_counts: Mapping[int, int],
        sim_time_s: float,
        reason: str,
        notes: Mapping[int, str],
    ) -> None:
        """The operator adopts what the hardware shows, in one transaction: an open step is
        closed as interrupted, an unfinished sequence is closed, and each changed tube
        (notes[tube_id] says from what to what) and each dispenser count gets an
        'operator_adopt' history row carrying the reason."""
        if not reason.strip():
            raise ValueError("adopting the hardware needs a reason (it is recorded)")
        with self._transaction():
            open_step = self.open_step()
            if open_step is not None:
                self._insert_history(
                    open_step.step_id, StepStatus.INTERRUPTED, open_step.step, open_step.tube_id,
                    open_step.sample_name, sim_time_s, "OPERATOR",
                    f"closed by the operator's reconciliation: {reason}", None,
                )  # fmt: skip
            running = self.running_sequence()
            if running is not None:
                state = {**running.state, "closed_by_operator": reason}
                self._save_progress(
                    Progress(running.sequence_id, running.steps, running.next_index, state, True)
                )
            for tube_id, changes in sorted(tube_changes.items()):
                self._insert_history(
                    self._next_step_id(), StepStatus.SUCCEEDED, "operator_adopt", tube_id, "",
                    sim_time_s, "", "", {"reason": reason, "change": notes.get(tube_id, "")},
                )  # fmt: skip
                self._apply({tube_id: changes}, {})
            for dispenser, count in sorted(seal_counts.items()):
                self._insert_history(
                    self._next_step_id(), StepStatus.SUCCEEDED, "operator_adopt", 0, "",
                    sim_time_s, "", "",
                    {"reason": reason, "dispenser": dispenser, "seals_remaining": count},
                )  # fmt: skip
                self._db.execute(
                    "UPDATE dispensers SET seals_remaining=? WHERE dispenser_id=?",
                    (count, dispenser),
                )

    def record_drop(
        self, tube_id: int, sim_time_s: float, landed_on_end: bool, progress: Progress | None
    ) -> DepotEntry:
        """Put a dropped tube in the depot inventory with the next drop order, keeping its
        catalogue (sample name and kind), in one transaction with its sequence's progress."""
        with self._transaction():
            tube = self.tube(tube_id)
            order = self._db.execute("SELECT COALESCE(MAX(drop_order), 0) + 1 FROM depot")
            entry = DepotEntry(
                order.fetchone()[0], tube_id, tube.sample_name, tube.catalogued_kind.value,
                sim_time_s, landed_on_end,
            )  # fmt: skip
            self._db.execute(
                "INSERT INTO depot VALUES (?, ?, ?, ?, ?, ?)",
                (entry.drop_order, tube_id, entry.sample_name, entry.catalogued_kind,
                 sim_time_s, int(landed_on_end)),
            )  # fmt: skip
            step_id = self._next_step_id()
            for event in (StepStatus.STARTED, StepStatus.SUCCEEDED):
                self._insert_history(
                    step_id, event, "depot", tube_id, tube.sample_name, sim_time_s, "", "",
                    {"drop_order": entry.drop_order},
                )  # fmt: skip
            if progress is not None:
                self._save_progress(progress)
        return entry

    def depot(self) -> list[DepotEntry]:
        """The depot inventory in drop order."""
        rows = self._db.execute("SELECT * FROM depot ORDER BY drop_order")
        return [DepotEntry(*row[:-1], bool(row[-1])) for row in rows]

    def tube_named(self, sample_name: str) -> Tube | None:
        """The tube whose catalogued sample has this name, if any."""
        return next((t for t in self.tubes().values() if t.sample_name == sample_name), None)

    # ------------------------------------------------------------------ sequences
    def start_sequence(
        self, action: str, goal: Mapping[str, Any], steps: list[dict[str, Any]]
    ) -> int:
        """Record a new sequence; refused while another one is still running."""
        with self._transaction():
            running = self.running_sequence()
            if running is not None:
                raise InventoryMismatch(
                    f"sequence {running.sequence_id} ({running.action}) is still running"
                )
            cursor = self._db.execute(
                "INSERT INTO sequences (action, goal, status, steps, next_index) "
                "VALUES (?, ?, ?, ?, 0)",
                (
                    action,
                    json.dumps(dict(goal), sort_keys=True),
                    SequenceStatus.RUNNING,
                    json.dumps(steps),
                ),
            )
        return int(cursor.lastrowid)

    def running_sequence(self) -> SequenceRecord | None:
        """The sequence that started and did not finish (at most one)."""
        row = self._db.execute(
            "SELECT sequence_id, action, goal, status, steps, next_index, state FROM sequences "
            "WHERE status=? ORDER BY sequence_id DESC",
            (SequenceStatus.RUNNING,),
        ).fetchone()
        if row is None:
            return None
        sequence_id, action, goal, status, steps, next_index, state = row
        return SequenceRecord(
            sequence_id,
            action,
            json.loads(goal),
            status,
            json.loads(steps),
            next_index,
            json.loads(state),
        )

    def save_progress(self, progress: Progress) -> None:
        """Store a sequence's progress on its own (when no step outcome goes with it)."""
        with self._transaction():
            self._save_progress(progress)

    def _save_progress(self, progress: Progress) -> None:
        cursor = self._db.execute(
            "UPDATE sequences SET steps=?, next_index=?, state=?, status=? "
            "WHERE sequence_id=? AND status=?",
            (
                json.dumps(progress.steps),
                progress.next_index,
                json.dumps(progress.state, sort_keys=True),
                SequenceStatus.FINISHED if progress.finished else SequenceStatus.RUNNING,
                progress.sequence_id,
                SequenceStatus.RUNNING,
            ),
        )
        if cursor.rowcount != 1:
            raise InventoryMismatch(f"sequence {progress.sequence_id} is not running")
