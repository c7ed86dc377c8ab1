"""Monte Carlo study files (config/studies/*.yaml) and the trials drawn from them.

A study names what each trial caches (`campaign:` a campaign name or file, or `sample:` one
sample in the campaign-file grammar), priors over model parameters (`parameters:`, dotted
keys of the model file) and over faults per sample (`faults:`), and defaults for the trial
count and the study seed:

    description: dusty rims and the seal that would not leave its dispenser
    trials: 200
    seed: 2022
    sample: {name: Mageik, kind: rock_core, recover_sweeps: 12}
    parameters:
      seal_carousel.release_limit_n: {dist: normal, mean: 150, sd: 10, low: 100}
    faults:
      Mageik:
        rim_dust: {dist: beta, a: 6, b: 3}              armed at every trial
        carousel_debris: {probability: 0.1, value: 4}   armed at one trial in ten

Trial k of study seed S draws each quantity from its own generator, seeded by (S, k, the
quantity's name): a trial is the same whatever the trial count, the worker or the order, and
`aca-sim run --study FILE --study-seed S --trial k` replays it. Drawn faults are armed after
a sample's own scenario and faults, so a drawn value replaces the file's for that kind.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from aca_sim.caching.campaign_file import (
    CampaignItem,
    campaign_item,
    load_campaign,
)
from aca_sim.model.config import ConfigError, model_text, override_type
from aca_sim.model.fault_kinds import FAULT_KINDS, fault_problem
from aca_sim.montecarlo.priors import Prior, StudyError, parse_prior
from aca_sim.paths import share_path

KEYS = {"description", "trials", "seed", "campaign", "sample", "model", "parameters", "faults"}
MAX_TRIALS = 1_000_000
SEED_STREAM = "sim seed"  # the name of the trial's simulation seed stream


@dataclass(frozen=True)
class FaultPrior:
    """A fault armed with `probability` (1 = every trial) at a value drawn from `value`."""

    value: Prior
    probability: float = 1.0


@dataclass(frozen=True)
class Study:
    """A validated study file."""

    path: Path
    sha256: str  # of the file's text
    description: str
    trials: int
    seed: int
    campaign: str  # what the trials cache, as the file says it
    items: tuple[CampaignItem, ...]
    model: Path | None  # None: config/aca_model.yaml
    parameters: dict[str, Prior]
    faults: dict[str, dict[str, FaultPrior]]  # sample name -> fault kind -> prior

    @property
    def parameter_columns(self) -> list[str]:
        """Table columns of the drawn model parameters."""
        return [f"p:{key}" for key in self.parameters]

    @property
    def fault_columns(self) -> list[str]:
        """Table columns of the drawn faults (empty when not armed at a trial)."""
        return [f"f:{name}:{kind}" for name, kinds in self.faults.items() for kind in kinds]


@dataclass(frozen=True)
class TrialSpec:
    """What trial `index` runs: its simulation seed, model parameters and samples (with the
    drawn faults added to each sample's)."""

    index: int
    seed: int
    parameters: dict[str, float]
    faults: dict[str, dict[str, float]]  # sample name -> kind -> value, armed ones only
    items: tuple[CampaignItem, ...]


def stream(study_seed: int, index: int, name: str) -> np.random.Generator:
    """The generator of quantity `name` at trial `index`."""
    return np.random.default_rng([study_seed, index, zlib.crc32(name.encode())])


def draw_trial(study: Study, study_seed: int, index: int) -> TrialSpec:
    """Trial `index` (0-based) of the study under `study_seed`."""
    seed = int(stream(study_seed, index, SEED_STREAM).integers(0, 2**31 - 1))
    parameters = {
        key: prior.draw(stream(study_seed, index, f"parameter {key}"))
        for key, prior in study.parameters.items()
    }
    faults: dict[str, dict[str, float]] = {}
    for name, kinds in study.faults.items():
        for kind, fault in kinds.items():
            rng = stream(study_seed, index, f"fault {name} {kind}")
            occurs, value = float(rng.random()) < fault.probability, fault.value.draw(rng)
            if occurs:
                faults.setdefault(name, {})[kind] = value
    items = tuple(
        replace(item, faults=item.faults + tuple(faults.get(item.sample_name, {}).items()))
        for item in study.items
    )
    return TrialSpec(index, seed, parameters, faults, items)


def load_study(path: str | Path) -> Study:
    """A study file (a path, or a name in config/studies), validated; StudyError naming the
    file, the key and the bad value."""
    path = study_path(path)
    if not path.is_file():
        raise StudyError(f"study {str(path)!r} does not exist")
    text = path.read_text()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise StudyError(f"{path}: not YAML: {error}") from None
    where = str(path)
    if not isinstance(data, dict):
        raise StudyError(f"{where}: expected a mapping at the top level")
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise StudyError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(KEYS)}")
    trials = _whole(data.get("trials", 100), f"{where}: trials", 1, MAX_TRIALS)
    seed = _whole(data.get("seed", 0), f"{where}: seed", 0, 2**32 - 1)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise StudyError(f"{where}: description must be a string, got {description!r}")
    model = _model(data.get("model"), path)
    campaign, items = _samples(data, path)
    parameters = _parameters(data.get("parameters", {}), where, model)
    faults = _fault_priors(data.get("faults", {}), where, items)
    return Study(
        path, hashlib.sha256(text.encode()).hexdigest(), description, trials, seed,
        campaign, tuple(items), model, parameters, faults,
    )  # fmt: skip


def study_path(name_or_path: str | Path) -> Path:
    """A study file: a path, or the name of one in config/studies ('mageik_dust')."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return path
    return share_path("config", "studies", f"{name_or_path}.yaml")


def write_replay(study: Study, spec: TrialSpec, folder: Path) -> tuple[Path, Path]:
    """Write trial `spec`'s model file and campaign file into folder (for `aca-sim run`);
    return their paths. Loading them gives the trial's configuration and samples exactly."""
    folder.mkdir(parents=True, exist_ok=True)
    model_path, campaign_file = folder / "trial_model.yaml", folder / "trial_campaign.yaml"
    model_path.write_text(model_text(study.model, spec.parameters))
    samples = []
    for item in spec.items:
        entry: dict[str, Any] = {"name": item.sample_name, "kind": item.kind.value}
        if item.scenario:
            entry["scenario"] = item.scenario
        if item.faults:
            entry["faults"] = dict(item.faults)  # a later kind replaces an earlier, as arming
        entry["recover_sweeps"] = item.recover_sweeps
        entry["max_recovery_rounds"] = item.max_recovery_rounds
        samples.append(entry)
    header = f"# trial {spec.index} of {study.path}, seed {spec.seed} (aca-sim montecarlo)\n"
    campaign_file.write_text(header + yaml.safe_dump({"samples": samples}, sort_keys=False))
    return model_path, campaign_file


def _whole(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StudyError(f"{where} must be an integer in {low}..{high}, got {value!r}")
    return value


def _model(value: Any, path: Path) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise StudyError(f"{path}: model must be a file path, got {value!r}")
    model = (path.parent / value) if not Path(value).is_absolute() else Path(value)
    if not model.is_file():
        raise StudyError(f"{path}: model {value!r}: {model} does not exist")
    return model


def _samples(data: dict[str, Any], path: Path) -> tuple[str, list[CampaignItem]]:
    """What each trial caches: `campaign` (name or file) or `sample` (one mapping)."""
    if ("campaign" in data) == ("sample" in data):
        raise StudyError(f"{path}: give exactly one of 'campaign' (a campaign) or 'sample'")
    campaign = data.get("campaign")
    if "campaign" in data and not isinstance(campaign, str):
        raise StudyError(f"{path}: campaign must be a name or a file, got {campaign!r}")
    if "sample" in data:
        try:
            item = campaign_item(data["sample"], f"{path}: sample")
        except ValueError as error:  # it names the study file, the key and the value
            raise StudyError(str(error)) from None
        return f"sample {item.sample_name} ({item.kind.value})", [item]
    local = path.parent / campaign
    source = local if local.suffix in (".yaml", ".yml") and local.is_file() else campaign
    try:
        return campaign, load_campaign(str(source))
    except ValueError as error:  # it names the campaign file, the key and the value
        raise StudyError(f"{path}: {error}") from None


def _parameters(value: Any, where: str, model: Path | None) -> dict[str, Prior]:
    if not isinstance(value, dict):
        raise StudyError(f"{where}: parameters must be a mapping of key: prior, got {value!r}")
    priors = {}
    for key, spec in value.items():
        try:
            kind = override_type(str(key), model)
        except ConfigError as error:
            raise StudyError(f"{where}: parameters.{key}: {error}") from None
        prior = parse_prior(spec, f"{where}: parameters.{key}")
        if kind is int and not prior.whole:
            raise StudyError(
                f"{where}: parameters.{key} is a whole number; {prior.describe()} is not"
            )
        priors[str(key)] = prior
    return priors


def _fault_priors(
    value: Any, where: str, items: list[CampaignItem]
) -> dict[str, dict[str, FaultPrior]]:
    if not isinstance(value, dict):
        raise StudyError(f"{where}: faults must map sample names to faults, got {value!r}")
    names = [item.sample_name for item in items]
    faults: dict[str, dict[str, FaultPrior]] = {}
    for name, kinds in value.items():
        here = f"{where}: faults.{name}"
        if name not in names:
            raise StudyError(f"{here}: no sample {name!r} in the study (samples: {names})")
        if not isinstance(kinds, dict) or not kinds:
            raise StudyError(f"{here}: expected a mapping of fault kind: prior, got {kinds!r}")
        faults[name] = {}
        for kind, spec in kinds.items():
            if kind not in FAULT_KINDS:
                raise StudyError(f"{here}: unknown fault {kind!r}; known: {list(FAULT_KINDS)}")
            faults[name][kind] = _fault_prior(spec, kind, f"{here}.{kind}")
    return faults


def _fault_prior(spec: Any, kind: str, where: str) -> FaultPrior:
    probability = 1.0
    if isinstance(spec, dict) and "probability" in spec:
        extra = sorted(set(spec) - {"probability", "value"})
        if extra or "value" not in spec:
            raise StudyError(f"{where}: with probability, give exactly 'value' too, got {spec!r}")
        probability = spec["probability"]
        if (
            isinstance(probability, bool)
            or not isinstance(probability, int | float)
            or not (0.0 <= probability <= 1.0)
        ):
            raise StudyError(f"{where}.probability: must be in 0..1, got {probability!r}")
        spec = spec["value"]
    prior = parse_prior(spec, where)
    for end in prior.support():
        problem = fault_problem(kind, end)
        if problem is not None:
            raise StudyError(f"{where}: {prior.describe()} can draw {end:g}: {problem}")
    if kind != "rim_dust" and not prior.whole:
        raise StudyError(f"{where}: {kind} takes whole numbers; {prior.describe()} does not")
    return FaultPrior(prior, float(probability))
