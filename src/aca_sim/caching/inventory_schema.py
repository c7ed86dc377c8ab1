"""The inventory file's schema, its migrations, and tube records as table rows.

Schema 3 keeps every field of aca_sim.model.records.Tube. A schema-2 file (aca_sim 0.1) is
migrated in place when opened: the new tube columns get their defaults, and the stored plans
of core_sample steps name the contents instead of the CoreSample kind number.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import fields
from typing import Any

from aca_sim.model.kinds import Catalogue, Contents, SealState, TubeKind
from aca_sim.model.locations import Location
from aca_sim.model.records import Tube
from aca_sim.model.status import SequenceStatus, StepStatus


def _sql_list(values: type[StepStatus] | type[SequenceStatus]) -> str:
    """An enum's texts as an SQL list: 'a', 'b'."""
    return ", ".join(f"'{v}'" for v in values)


SCHEMA_VERSION = 4
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tubes (
    tube_id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('sample', 'witness')),
    home_slot INTEGER NOT NULL,
    location TEXT NOT NULL,
    contents TEXT NOT NULL,
    sample_height_m REAL NOT NULL DEFAULT 0,
    core_top_depth_m REAL NOT NULL DEFAULT 0,
    rim_dust REAL NOT NULL DEFAULT 0,
    bore_dust REAL NOT NULL DEFAULT 0,
    seal_state INTEGER NOT NULL DEFAULT 0 CHECK (seal_state IN (0, 1, 2)),
    seal_id INTEGER NOT NULL DEFAULT 0,
    sample_name TEXT NOT NULL DEFAULT '',
    catalogued_kind TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS dispensers (
    dispenser_id INTEGER PRIMARY KEY,
    seals_remaining INTEGER NOT NULL CHECK (seals_remaining >= 0)
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    step_id INTEGER NOT NULL,
    event TEXT NOT NULL
        CHECK (event IN ({_sql_list(StepStatus)})),
    step TEXT NOT NULL,
    tube_id INTEGER NOT NULL,
    sample_name TEXT NOT NULL DEFAULT '',
    sim_time_s REAL NOT NULL,
    error_code TEXT NOT NULL DEFAULT '',
    error_msg TEXT NOT NULL DEFAULT '',
    measurement TEXT NOT NULL DEFAULT '{{}}'
);
CREATE INDEX IF NOT EXISTS history_step ON history (step_id);
CREATE TABLE IF NOT EXISTS sequences (
    sequence_id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL,
    goal TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ({_sql_list(SequenceStatus)})),
    steps TEXT NOT NULL,
    next_index INTEGER NOT NULL CHECK (next_index >= 0),
    state TEXT NOT NULL DEFAULT '{{}}'
);
CREATE TABLE IF NOT EXISTS depot (
    drop_order INTEGER PRIMARY KEY,
    tube_id INTEGER NOT NULL UNIQUE,
    sample_name TEXT NOT NULL,
    catalogued_kind TEXT NOT NULL,
    sim_time_s REAL NOT NULL,
    landed_on_end INTEGER NOT NULL CHECK (landed_on_end IN (0, 1))
);
CREATE TRIGGER IF NOT EXISTS history_no_update BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS history_no_delete BEFORE DELETE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
"""
TUBE_COLUMNS = [f.name for f in fields(Tube)]
# aca_sim 0.1 stored goal numbers of the actions; schema 3 stores the domain's names.
_CORE_KINDS = {1: Contents.ROCK_CORE.value, 2: Contents.REGOLITH.value}  # CoreSample.kind
_SAMPLE_KINDS = dict(
    enumerate(("rock_core", "regolith", "atmospheric", "witness", "depot_drop"), 1)
)
_EMPTY_POLICIES = dict(enumerate(("seal_as_atmospheric", "hold_unsealed", "abort")))


def migrate(db: sqlite3.Connection, version: int) -> None:
    """Bring a file of an older schema to SCHEMA_VERSION (inside the caller's transaction);
    ValueError for a version this code cannot read."""
    if version == 2:
        for column, sql_type in (("core_top_depth_m", "REAL"), ("bore_dust", "REAL")):
            db.execute(f"ALTER TABLE tubes ADD COLUMN {column} {sql_type} NOT NULL DEFAULT 0")
        db.execute("ALTER TABLE tubes ADD COLUMN seal_id INTEGER NOT NULL DEFAULT 0")
        rows = db.execute("SELECT sequence_id, goal, steps FROM sequences WHERE status='running'")
        for sequence_id, goal, steps in rows.fetchall():
            db.execute(
                "UPDATE sequences SET goal=?, steps=? WHERE sequence_id=?",
                (
                    json.dumps(_v3_goal(json.loads(goal)), sort_keys=True),
                    json.dumps([_v3_step(step) for step in json.loads(steps)]),
                    sequence_id,
                ),
            )
        version = 3
    if version == 3:  # schema 4 adds the depot table (SCHEMA creates it)
        version = 4
    if version != SCHEMA_VERSION:
        raise ValueError(f"schema version {version}, expected {SCHEMA_VERSION}")


def _v3_goal(goal: dict[str, Any]) -> dict[str, Any]:
    goal = dict(goal)
    if isinstance(goal.get("kind"), int):
        goal["kind"] = _SAMPLE_KINDS.get(goal["kind"], goal["kind"])
    if isinstance(goal.get("empty_tube_policy"), int):
        policy = goal["empty_tube_policy"]
        goal["empty_tube_policy"] = _EMPTY_POLICIES.get(policy, policy)
    return goal


def _v3_step(step: dict[str, Any]) -> dict[str, Any]:
    goal = dict(step.get("goal", {}))
    if step["action"] == "core_sample" and "kind" in goal:
        goal["contents"] = _CORE_KINDS.get(goal.pop("kind"), Contents.ROCK_CORE.value)
    return {"action": step["action"], "goal": goal}


def column_value(value: Any) -> Any:
    """A tube field's value as stored (enums by value, a location as its text)."""
    if isinstance(value, Location):
        return str(value)
    if isinstance(value, SealState):
        return int(value)
    if isinstance(value, TubeKind | Contents | Catalogue):
        return value.value
    return value


def tube_from_row(row: tuple[Any, ...]) -> Tube:
    """A tube record from a row of `SELECT <TUBE_COLUMNS> FROM tubes`."""
    data = dict(zip(TUBE_COLUMNS, row, strict=True))
    data.update(
        kind=TubeKind(data["kind"]),
        location=Location.parse(data["location"]),
        contents=Contents(data["contents"]),
        seal_state=SealState(data["seal_state"]),
        catalogued_kind=Catalogue(data["catalogued_kind"]),
    )
    return Tube(**data)


def tube_row(tube: Tube) -> tuple[Any, ...]:
    """A tube record as a row in TUBE_COLUMNS order."""
    return tuple(column_value(getattr(tube, name)) for name in TUBE_COLUMNS)


def shown(value: Any) -> str:
    """A field value as messages show it: texts quoted, numbers bare."""
    return repr(column_value(value))
