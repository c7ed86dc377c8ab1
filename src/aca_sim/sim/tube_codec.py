"""Tube records as plain JSON-able dicts (the form world descriptions store)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from aca_sim.model.kinds import Catalogue, Contents, SealState, TubeKind
from aca_sim.model.locations import Location
from aca_sim.model.records import Tube

_FIELDS = {f.name for f in fields(Tube)}


def tube_to_dict(tube: Tube) -> dict[str, Any]:
    """A tube record as plain data (enums as their values, the location as its text)."""
    data = asdict(tube)
    data.update(
        kind=tube.kind.value,
        location=str(tube.location),
        contents=tube.contents.value,
        seal_state=int(tube.seal_state),
        catalogued_kind=tube.catalogued_kind.value,
    )
    return data


def tube_from_dict(data: dict[str, Any]) -> Tube:
    """The tube record of tube_to_dict() output (fields it lacks take their defaults)."""
    values = {k: v for k, v in data.items() if k in _FIELDS}
    values.update(
        kind=TubeKind(data["kind"]),
        location=Location.parse(data["location"]),
        contents=Contents(data["contents"]),
        seal_state=SealState(data["seal_state"]),
        catalogued_kind=Catalogue(data.get("catalogued_kind", "")),
    )
    return Tube(**values)
