"""Inventory cost per caching step against raw SQLite with the same durability settings.

Baseline: one INSERT of a history-sized row committed in its own transaction (WAL,
synchronous=FULL), twice per step (a step commits its start and its outcome). Measured: what
the sequencer does per step: begin_step (with the goal id) and end_step with a tube change,
the measurement and the sequence's progress, then check() against a 43-tube hardware reading.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from pathlib import Path

from aca_sim.caching.inventory import Inventory, Progress
from aca_sim.caching.reconciliation import check
from aca_sim.model.kinds import TubeKind
from aca_sim.model.locations import Location
from aca_sim.model.records import Tube


def _raw_ms(path: Path, steps: int) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE h (id INTEGER PRIMARY KEY, step TEXT, t REAL, m TEXT)")
    start = time.perf_counter()
    for i in range(steps * 2):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO h (step, t, m) VALUES (?, ?, ?)", ("s", i, json.dumps({"f": i})))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed / steps * 1000


def _inventory_ms(path: Path, steps: int) -> float:
    inventory = Inventory(path)
    tubes = [Tube(200 + s, TubeKind.SAMPLE, s, Location.storage(s)) for s in range(1, 44)]
    inventory.initialise(tubes, {d: 7 for d in range(1, 8)}, {})
    plan = [{"action": "retrieve_tube", "goal": {"slot": 1}}] * 10
    sequence = inventory.start_sequence("cache_sample", {"sample_name": "bench"}, plan)
    observed = {t.tube_id: t for t in tubes}
    start = time.perf_counter()
    for i in range(steps):
        step = inventory.begin_step("retrieve_tube", 201, i, "bench", {"goal_id": "ab" * 16})
        progress = Progress(sequence, plan, i % 10, {"tube_id": 201, "sweeps_done": i})
        inventory.end_step(
            step, "succeeded", i + 1.0, {201: {"rim_dust": i / steps}}, {},
            measurement={"duration_s": 1.0}, progress=progress,
        )  # fmt: skip
        check(inventory, observed, {d: 7 for d in range(1, 8)})
    elapsed = time.perf_counter() - start
    inventory.close()
    return elapsed / steps * 1000


def measure(steps: int = 300) -> list[tuple[str, float, str, float | None]]:
    """Rows (name, value, unit, ratio to the baseline or None)."""
    with tempfile.TemporaryDirectory() as folder:
        raw = _raw_ms(Path(folder) / "raw.db", steps)
        ours = _inventory_ms(Path(folder) / "inventory.db", steps)
    return [
        ("raw SQLite: 2 commits per step", raw, "ms", None),
        ("Inventory: step start + outcome + check", ours, "ms", ours / raw),
    ]
