"""A study's output folder: trials.csv (one row per trial, appended as results arrive) and
study.json (which study, seed and columns the table belongs to).

Each row is one line, written with one write() and fsync'd: a study killed at any moment
leaves whole rows and at most one partial last line, which opening the table for a resume
cuts away. Rows arrive in completion order; readers sort by trial.

Thread rule: one writer (the study's driver thread).
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from aca_sim.montecarlo.priors import StudyError
from aca_sim.montecarlo.study import Study

TABLE = "trials.csv"
META = "study.json"


class TrialTable:
    """trials.csv of an output folder, opened for appending."""

    def __init__(self, folder: Path, columns: list[str]) -> None:
        self.path, self.columns = folder / TABLE, columns
        self._file = open(self.path, "a", newline="", encoding="utf-8")  # noqa: SIM115

    @classmethod
    def create(cls, folder: Path, study: Study, study_seed: int, columns: list[str]) -> TrialTable:
        """A new table (and study.json) in folder, which must be empty or absent."""
        if folder.exists() and any(folder.iterdir()):
            raise StudyError(f"--out {folder} is not empty (use --resume to go on with it)")
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "study": str(study.path), "study_sha256": study.sha256, "study_seed": study_seed,
            "columns": columns,
        }  # fmt: skip
        (folder / META).write_text(json.dumps(meta, indent=2) + "\n")
        table = cls(folder, columns)
        table._write(columns)
        return table

    @classmethod
    def resume(cls, folder: Path, study: Study, study_seed: int, columns: list[str]) -> TrialTable:
        """The table of an interrupted study, its partial last line cut away; StudyError
        when the folder holds another study, seed or column set."""
        meta_path = folder / META
        if not meta_path.is_file() or not (folder / TABLE).is_file():
            raise StudyError(f"--resume: {folder} holds no study ({META}, {TABLE})")
        meta = json.loads(meta_path.read_text())
        if meta.get("study_sha256") != study.sha256:
            raise StudyError(
                f"--resume: {folder} was made by another study file ({meta['study']})"
            )
        if meta.get("study_seed") != study_seed:
            raise StudyError(
                f"--resume: {folder} is study seed {meta.get('study_seed')}, not {study_seed}"
            )
        if meta.get("columns") != columns:
            raise StudyError(f"--resume: {folder} has other columns than this study's")
        _cut_partial_line(folder / TABLE)
        return cls(folder, columns)

    def rows(self) -> dict[int, dict[str, str]]:
        """The rows written so far, by trial (a trial written twice: the last row)."""
        return _rows_by_trial(self.path)

    def append(self, row: dict[str, Any]) -> None:
        """Write one row (missing columns empty; newlines in text become ' | ')."""
        unknown = sorted(set(row) - set(self.columns))
        if unknown:
            raise ValueError(f"row has columns the table does not: {unknown}")
        self._write([_cell(row.get(column, "")) for column in self.columns])

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def _write(self, values: list[Any]) -> None:
        line = io.StringIO()
        csv.writer(line, lineterminator="\n").writerow(values)
        self._file.write(line.getvalue())
        self._file.flush()
        os.fsync(self._file.fileno())


def read_rows(folder: Path) -> list[dict[str, str]]:
    """The rows of a study's table, in trial order."""
    rows = _rows_by_trial(folder / TABLE)
    return [rows[k] for k in sorted(rows)]


def _rows_by_trial(path: Path) -> dict[int, dict[str, str]]:
    """trial -> its last row in the table at path."""
    with open(path, newline="", encoding="utf-8") as stream:
        return {int(row["trial"]): row for row in csv.DictReader(stream)}


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)  # exact: the table is the data
    return str(value).replace("\r", " ").replace("\n", " | ")


def _cut_partial_line(path: Path) -> None:
    """Remove a last line that has no newline (a row cut off by a kill)."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as stream:
            stream.truncate(data.rfind(b"\n") + 1)
