"""Campaign files: the list of samples a campaign caches (config/campaigns/*.yaml).

No ROS here: a campaign is data. load_campaign() validates every key and value and names the
bad one (file, sample number, key, value) in a ValueError.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from aca_sim.model.kinds import SampleKind
from aca_sim.paths import share_path

KEYS = {"name", "kind", "scenario", "recover_sweeps", "max_recovery_rounds"}


@dataclass(frozen=True)
class CampaignItem:
    """One sample: its name, kind, fault scenario to arm first (or ''), the bore sweeps per
    ground recovery round for a stuck seal (0 = none) and the most rounds to try."""

    sample_name: str
    kind: SampleKind
    scenario: str = ""
    recover_sweeps: int = 0
    max_recovery_rounds: int = 6


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
    items = []
    for number, entry in enumerate(data["samples"], 1):
        where = f"{path}: sample {number}"
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
            raise ValueError(
                f"{where}: kind {entry.get('kind')!r} is not one of {allowed}"
            ) from None
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
        items.append(CampaignItem(name, kind, scenario, **numbers))
    names = [i.sample_name for i in items if i.kind != SampleKind.DEPOT_DROP]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{path}: sample names must be unique, repeated: {duplicates}")
    return items
