"""The world kept in a file, so that a simulator restarted on it continues where the last one
stopped (the sequencer's inventory then still matches it). The file holds the snapshot
description (aca_sim.sim.snapshot: bodies, joints, tubes, seals, pebbles, armed faults, the
random generator) as JSON, written whole and atomically: a temporary file in the same folder,
flushed to disk, then renamed over the old one, so a crash leaves the old or the new world,
never a mix. No ROS here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FORMAT = 1


def save_world(path: Path, description: dict[str, Any]) -> None:
    """Write a world description to path, atomically (creates the folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w") as stream:
        json.dump({"format": FORMAT, "world": description}, stream)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def load_world(path: Path) -> dict[str, Any] | None:
    """The world description in path; None when there is no such file; ValueError naming the
    file when it is not a world file of this format."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"state file {path}: unreadable ({error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or "world" not in data:
        raise ValueError(f"state file {path}: not an aca_sim world file (format {FORMAT})")
    return data["world"]
