"""Campaign files: the list of samples a campaign caches (config/campaigns/*.yaml).

No ROS here: a campaign is data. load_campaign() validates every key and value and names the
bad one (file, sample number, key, value) in a ValueError.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from aca_sim.model.fault_kinds import fault_problem
from aca_sim.model.kinds import SampleKind
from aca_sim.paths import share_path

KEYS = {"name", "kind", "scenario", "faults", "recover_sweeps", "max_recovery_rounds"}


@dataclass(frozen=True)
class CampaignItem:
    """One sample: its name, kind, fault scenario to arm first (or ''), faults to arm first
    (kind, value; after the scenario's), the bore sweeps per ground recovery round for a
    stuck seal (0 = none) and the most rounds to try."""

    sample_name: str
    kind: SampleKind
    scenario: str = ""
    recover_sweeps: int = 0
    max_recovery_rounds: int = 6
    faults: tuple[tuple[str, float], ...] = ()


def campaign_path(name_or_path: str) -> Path:
    """A campaign file: a path, or the name of one in config/campaigns ('default', 'short')."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return path
    return share_path("config", "campaigns", f"{name_or_path}.yaml")


def load_campaign(name_or_path: str = "default") -> list[CampaignItem]:
    """The samples of a campaign file, validated."""
    path = campaign_path(name_or_path)
    if not path.is_file():
        raise ValueError(f"campaign {name_or_path!r}: {path} does not exist")
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("samples"), list):
        raise ValueError(f"{path}: expected a mapping with a 'samples' list")
    if not data["samples"]:
        raise ValueError(f"{path}: 'samples' is empty")
    return campaign_items(data["samples"], str(path))


def campaign_items(entries: list[object], where: str) -> list[CampaignItem]:
    """A campaign's samples from their mappings, validated (names unique); ValueError
    starting with `where`."""
    items = [
        campaign_item(entry, f"{where}: sample {number}")
        for number, entry in enumerate(entries, 1)
    ]
    names = [i.sample_name for i in items if i.kind != SampleKind.DEPOT_DROP]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{where}: sample names must be unique, repeated: {duplicates}")
    return items


def campaign_item(entry: object, where: str) -> CampaignItem:
    """One sample's mapping (a campaign file's entry) validated; ValueError starting with
    `where` and naming the bad key and value."""
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a mapping, got {entry!r}")
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(KEYS)}")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: 'name' must be a non-empty string, got {name!r}")
    try:
        kind = SampleKind(entry.get("kind"))
    except ValueError:
        allowed = [k.value for k in SampleKind]
        raise ValueError(f"{where}: kind {entry.get('kind')!r} is not one of {allowed}") from None
    numbers = {}
    for key, default, top in (("recover_sweeps", 0, 100), ("max_recovery_rounds", 6, 20)):
        value = entry.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
            raise ValueError(f"{where}: {key} must be an integer in 0..{top}, got {value!r}")
        numbers[key] = value
    scenario = entry.get("scenario", "")
    if not isinstance(scenario, str):
        raise ValueError(f"{where}: scenario must be a string, got {scenario!r}")
    if scenario and not share_path("config", "faults", f"{scenario}.yaml").is_file():
        raise ValueError(f"{where}: scenario {scenario!r} is not in config/faults")
    return CampaignItem(
        name, kind, scenario, faults=_faults(entry.get("faults", {}), where), **numbers
    )


def _faults(faults: object, where: str) -> tuple[tuple[str, float], ...]:
    """A sample's `faults` mapping (kind: value), each checked as the sim checks it."""
    if not isinstance(faults, dict):
        raise ValueError(f"{where}: faults must be a mapping of kind: value, got {faults!r}")
    checked = []
    for kind, value in faults.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{where}: faults.{kind} must be a number, got {value!r}")
        problem = fault_problem(str(kind), float(value))
        if problem is not None:
            raise ValueError(f"{where}: faults.{kind}: {problem}")
        checked.append((str(kind), float(value)))
    return tuple(checked)
