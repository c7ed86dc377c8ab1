"""The durable sample inventory: a SQLite file that survives any process death.

Tables: `tubes` (what each tube holds, where it is, its seal), `dispensers` (seals left),
`history` (append-only: a row when a step starts and a row when it ends, enforced by triggers),
`sequences` (each multi-step sequence: its goal, its remaining plan, how far it got, its running
summary) and `meta`. A step's outcome, its history row, the tube/dispenser changes it caused and
the sequence's progress commit in one transaction, so after a crash the file shows either the
step's start alone (the step was cut off) or the step and all its effects. On start,
check()/reconcile() compare the file with what the hardware shows: a difference on the tube of
a cut-off step is what that step did (adopted and recorded); any other difference stops with
InventoryMismatch naming it.

Thread rule: one thread at a time uses an Inventory (it may be created on another).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tubes (
    tube_id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('sample', 'witness')),
    home_slot INTEGER NOT NULL,
    location TEXT NOT NULL,
    contents TEXT NOT NULL,
    sample_name TEXT NOT NULL DEFAULT '',
    catalogued_kind TEXT NOT NULL DEFAULT '',
    sample_height_m REAL NOT NULL DEFAULT 0,
    rim_dust REAL NOT NULL DEFAULT 0,
    seal_state INTEGER NOT NULL DEFAULT 0 CHECK (seal_state IN (0, 1, 2))
);
CREATE TABLE IF NOT EXISTS dispensers (
    dispenser_id INTEGER PRIMARY KEY,
    seals_remaining INTEGER NOT NULL CHECK (seals_remaining >= 0)
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    step_id INTEGER NOT NULL,
    event TEXT NOT NULL
        CHECK (event IN ('started', 'succeeded', 'failed', 'canceled', 'interrupted')),
    step TEXT NOT NULL,
    tube_id INTEGER NOT NULL,
    sample_name TEXT NOT NULL DEFAULT '',
    sim_time_s REAL NOT NULL,
    error_code TEXT NOT NULL DEFAULT '',
    error_msg TEXT NOT NULL DEFAULT '',
    measurement TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS history_step ON history (step_id);
CREATE TABLE IF NOT EXISTS sequences (
    sequence_id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL,
    goal TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished')),
    steps TEXT NOT NULL,
    next_index INTEGER NOT NULL CHECK (next_index >= 0),
    state TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER IF NOT EXISTS history_no_update BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS history_no_delete BEFORE DELETE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
"""
ENDINGS = ("succeeded", "failed", "canceled", "interrupted")


class InventoryMismatch(RuntimeError):  # noqa: N818 - the name says what it is
    """The inventory contradicts the hardware in a way no cut-off step explains."""


@dataclass(frozen=True)
class TubeRecord:
    """A tube as the inventory knows it. seal_state: 0 none, 1 inserted, 2 hermetic."""

    tube_id: int
    kind: str
    home_slot: int
    location: str
    contents: str
    sample_name: str = ""
    catalogued_kind: str = ""
    sample_height_m: float = 0.0
    rim_dust: float = 0.0
    seal_state: int = 0


@dataclass(frozen=True)
class Observed:
    """What the hardware shows of a tube (the fields reconciliation compares)."""

    location: str
    contents: str
    seal_state: int


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


@dataclass(frozen=True)
class Comparison:
    """What check() found on the open step's tube (and the dispensers): the hardware's values."""

    tube_changes: dict[int, dict[str, Any]]
    seals_used: dict[int, int]
    adopted: tuple[str, ...]


@dataclass(frozen=True)
class Reconciliation:
    """What reconcile() found: the cut-off step it closed (if any) and what it adopted."""

    interrupted_step_id: int | None
    adopted: tuple[str, ...]


_TUBE_FIELDS = [f.name for f in fields(TubeRecord)]
_OBSERVED_FIELDS = [f.name for f in fields(Observed)]


class Inventory:
    """The inventory database at `path` (created when missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(
            self.path, isolation_level=None, timeout=10.0, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        version = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if version is None:
            with self._transaction():
                self._db.execute(
                    "INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
        elif int(version[0]) != SCHEMA_VERSION:
            raise InventoryMismatch(
                f"{self.path}: schema version {version[0]}, expected {SCHEMA_VERSION}"
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
        self, tubes: list[TubeRecord], seals: Mapping[int, int], meta: Mapping[str, str]
    ) -> None:
        """Fill an empty inventory with the tubes, dispenser counts and run metadata."""
        if not self.is_empty:
            raise InventoryMismatch(f"{self.path} already holds an inventory")
        with self._transaction():
            for tube in tubes:
                self._db.execute(
                    f"INSERT INTO tubes ({', '.join(_TUBE_FIELDS)}) "
                    f"VALUES ({', '.join('?' * len(_TUBE_FIELDS))})",
                    tuple(asdict(tube).values()),
                )
            self._db.executemany("INSERT INTO dispensers VALUES (?, ?)", sorted(seals.items()))
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", sorted(meta.items()))

    # ------------------------------------------------------------------ reading
    def tubes(self) -> dict[int, TubeRecord]:
        """Every tube record, by id."""
        rows = self._db.execute(f"SELECT {', '.join(_TUBE_FIELDS)} FROM tubes ORDER BY tube_id")
        return {row[0]: TubeRecord(*row) for row in rows}

    def tube(self, tube_id: int) -> TubeRecord:
        """One tube record; KeyError naming the id when unknown."""
        row = self._db.execute(
            f"SELECT {', '.join(_TUBE_FIELDS)} FROM tubes WHERE tube_id=?", (tube_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"tube {tube_id} is not in the inventory")
        return TubeRecord(*row)

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
            "SELECT * FROM history h WHERE event='started' AND NOT EXISTS "
            "(SELECT 1 FROM history e WHERE e.step_id=h.step_id AND e.event!='started') "
            "ORDER BY id DESC"
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
                step_id,
                "started",
                step,
                tube_id,
                sample_name,
                sim_time_s,
                "",
                "",
                dict(detail or {}),
            )
        return step_id

    def end_step(
        self,
        step_id: int,
        outcome: str,
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
        if outcome not in ENDINGS:
            raise ValueError(f"outcome must be one of {ENDINGS}, got {outcome!r}")
        with self._transaction():
            if progress is not None:
                self._save_progress(progress)
            start = self._db.execute(
                "SELECT step, tube_id, sample_name FROM history "
                "WHERE step_id=? AND event='started'",
                (step_id,),
            ).fetchone()
            if start is None:
                raise InventoryMismatch(f"step id {step_id} was never started")
            ended = self._db.execute(
                "SELECT event FROM history WHERE step_id=? AND event!='started'", (step_id,)
            ).fetchone()
            if ended is not None:
                raise InventoryMismatch(f"step id {step_id} already ended ({ended[0]})")
            for tube_id, changes in (tube_changes or {}).items():
                self._update_tube(tube_id, changes)
            for dispenser, used in (seals_used or {}).items():
                self._db.execute(
                    "UPDATE dispensers SET seals_remaining = seals_remaining - ? "
                    "WHERE dispenser_id=?",
                    (used, dispenser),
                )
            self._insert_history(
                step_id,
                outcome,
                *start,
                sim_time_s,
                error_code,
                error_msg,
                dict(measurement or {}),
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
            for event in ("started", "succeeded"):
                self._insert_history(
                    step_id, event, step, tube_id, sample_name, sim_time_s, "", "", {}
                )
            for changed, changes in tube_changes.items():
                self._update_tube(changed, changes)
            if progress is not None:
                self._save_progress(progress)

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
                "VALUES (?, ?, 'running', ?, 0)",
                (action, json.dumps(dict(goal), sort_keys=True), json.dumps(steps)),
            )
        return int(cursor.lastrowid)

    def running_sequence(self) -> SequenceRecord | None:
        """The sequence that started and did not finish (at most one)."""
        row = self._db.execute(
            "SELECT sequence_id, action, goal, status, steps, next_index, state FROM sequences "
            "WHERE status='running' ORDER BY sequence_id DESC"
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
            "WHERE sequence_id=? AND status='running'",
            (
                json.dumps(progress.steps),
                progress.next_index,
                json.dumps(progress.state, sort_keys=True),
                "finished" if progress.finished else "running",
                progress.sequence_id,
            ),
        )
        if cursor.rowcount != 1:
            raise InventoryMismatch(f"sequence {progress.sequence_id} is not running")

    def _next_step_id(self) -> int:
        return self._db.execute("SELECT COALESCE(MAX(step_id), 0) + 1 FROM history").fetchone()[0]

    def _update_tube(self, tube_id: int, changes: Mapping[str, Any]) -> None:
        unknown = sorted(set(changes) - set(_TUBE_FIELDS[1:]))
        if unknown:
            raise ValueError(f"unknown tube field(s) {unknown}")
        if not changes:
            return
        assignments = ", ".join(f"{name}=?" for name in changes)
        cursor = self._db.execute(
            f"UPDATE tubes SET {assignments} WHERE tube_id=?", (*changes.values(), tube_id)
        )
        if cursor.rowcount != 1:
            raise KeyError(f"tube {tube_id} is not in the inventory")

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
        measurement: dict[str, Any],
    ) -> None:
        self._db.execute(
            "INSERT INTO history (step_id, event, step, tube_id, sample_name, sim_time_s, "
            "error_code, "
            "error_msg, measurement) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                step_id,
                event,
                step,
                tube_id,
                sample_name,
                sim_time_s,
                error_code,
                error_msg,
                json.dumps(measurement, sort_keys=True),
            ),
        )

    # ------------------------------------------------------------------ reconciliation
    def reconcile(
        self, observed: Mapping[int, Observed], seals: Mapping[int, int], sim_time_s: float
    ) -> Reconciliation:
        """Compare with the hardware. Differences on the tube (and the dispenser counts) of a
        cut-off step are adopted and the step is closed as 'interrupted'; anything else raises
        InventoryMismatch listing every difference."""
        open_step = self.open_step()
        found = self.check(observed, seals)
        if open_step is None:
            return Reconciliation(None, ())
        self.end_step(
            open_step.step_id,
            "interrupted",
            sim_time_s,
            found.tube_changes,
            found.seals_used,
            error_code="INTERRUPTED",
            error_msg="the process stopped during the step; state adopted from the hardware",
            measurement={"adopted": list(found.adopted)},
        )
        return Reconciliation(open_step.step_id, found.adopted)

    def check(self, observed: Mapping[int, Observed], seals: Mapping[int, int]) -> Comparison:
        """Compare with the hardware without writing. Differences on the open step's tube (and
        one seal less when it is a dispense) are returned as what that step did; any other
        difference raises InventoryMismatch listing every difference."""
        known = self.tubes()
        open_step = self.open_step()
        explained_tube = open_step.tube_id if open_step is not None else None
        problems, adopted, changes = [], [], {}
        for tube_id in sorted(set(known) | set(observed)):
            if tube_id not in known or tube_id not in observed:
                where = "the inventory" if tube_id not in known else "the hardware"
                problems.append(f"tube {tube_id} is missing from {where}")
                continue
            record, seen = known[tube_id], observed[tube_id]
            diffs = {
                name: (getattr(record, name), getattr(seen, name))
                for name in _OBSERVED_FIELDS
                if getattr(record, name) != getattr(seen, name)
            }
            if not diffs:
                continue
            text = "; ".join(
                f"{name}: inventory {a!r}, hardware {b!r}" for name, (a, b) in diffs.items()
            )
            if tube_id == explained_tube:
                changes[tube_id] = {name: b for name, (_a, b) in diffs.items()}
                adopted.append(f"tube {tube_id}: {text}")
            else:
                problems.append(f"tube {tube_id}: {text}")
        seal_diffs = {d: (n, seals.get(d)) for d, n in self.seals().items() if seals.get(d) != n}
        seal_used = {}
        for dispenser, (ours, theirs) in seal_diffs.items():
            if open_step is not None and open_step.step == "dispense_seal" and theirs == ours - 1:
                seal_used[dispenser] = 1
                adopted.append(f"dispenser {dispenser}: inventory {ours} seals, hardware {theirs}")
            else:
                problems.append(
                    f"dispenser {dispenser}: inventory {ours} seals, hardware {theirs}"
                )
        if problems:
            cut_off = (
                f" (cut-off step: {open_step.step} on tube {open_step.tube_id})"
                if open_step
                else ""
            )
            raise InventoryMismatch(
                f"{self.path}: the inventory contradicts the hardware{cut_off}: "
                + " | ".join(problems)
            )
        return Comparison(changes, seal_used, tuple(adopted))
