"""The physical model configuration (config/aca_model.yaml) as frozen dataclasses.

Units are SI and in the field names; positions are in aca_frame. Loading checks every key:
a missing or unknown key raises ConfigError naming it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

import yaml

from aca_sim.paths import share_path

T = TypeVar("T")
FIDELITIES = ("fast", "full")  # physics.fidelity's values


class ConfigError(ValueError):
    """The model configuration is missing a key, has an unknown one, or a bad value."""


def checked_fidelity(value: str, where: str = "physics.fidelity", hint: str = "") -> str:
    """value, if it is one of FIDELITIES; ConfigError naming `where` and the value if not
    (with the hint in brackets)."""
    if value not in FIDELITIES:
        also = f" ({hint})" if hint else ""
        raise ConfigError(f"{where}={value!r}: use one of {', '.join(FIDELITIES)}{also}")
    return value


@dataclass(frozen=True)
class Physics:
    time_step_s: float
    gravity_mps2: float
    solver_iterations: int
    fidelity: str  # "fast": free-space SHA moves coast (sim.coasting); "full": every step

    def __post_init__(self) -> None:
        checked_fidelity(self.fidelity)

    @property
    def coasts(self) -> bool:
        """Fidelity "fast": moves with nothing near skip PyBullet's steps (sim.coasting)."""
        return self.fidelity == "fast"


@dataclass(frozen=True)
class JointLimits:
    lower: float
    upper: float
    velocity: float
    effort: float


@dataclass(frozen=True)
class ShaConfig:
    link1_m: float
    link2_m: float
    tube_top_above_tool_m: float
    transit_z_m: float
    z: JointLimits
    shoulder: JointLimits
    elbow: JointLimits
    position_tolerance_m: float
    angle_tolerance_rad: float
    move_timeout_margin: float
    guard_force_n: float
    capture_radius_m: float
    capture_height_m: float
    link_mass_kg: float
    unload_below_n: float
    unload_backoff_m: float
    jaw_gap_m: float


@dataclass(frozen=True)
class TubeConfig:
    length_m: float
    outer_radius_m: float
    bore_radius_m: float
    bottom_thickness_m: float
    mass_kg: float
    wall_segments: int
    race_outer_radius_m: float
    race_eccentricity_m: float
    race_drop_m: float
    witness_plate_depth_m: float

    @property
    def bore_depth_m(self) -> float:
        """Depth of the bore from the rim to the bottom, m."""
        return self.length_m - self.bottom_thickness_m


@dataclass(frozen=True)
class CoreConfig:
    radius_m: float
    density_kgpm3: float
    height_mean_m: float
    height_sd_m: float
    height_min_m: float
    height_max_m: float
    top_gap_mean_m: float
    regolith_height_m: float


@dataclass(frozen=True)
class SealConfig:
    plug_radius_m: float
    plug_length_m: float
    cap_radius_m: float
    cap_thickness_m: float
    mass_kg: float
    activation_stroke_m: float


@dataclass(frozen=True)
class DustConfig:
    insertion_base_force_n: float
    insertion_dust_gain_n: float
    sweep_transfer_fraction: float
    sweep_transfer_jitter: float
    nominal_rim_dust_max: float
    lip_share: float
    deposit_clumps: int
    deposit_scale_m: float
    brush_contrast: float

    def insertion_force_n(self, rim_dust: float) -> float:
        """Force needed to push a seal into a bore with this rim dust (0..1), N."""
        return self.insertion_base_force_n + self.insertion_dust_gain_n * rim_dust


@dataclass(frozen=True)
class SealCarouselConfig:
    dispensers: int
    seals_per_dispenser: int
    radius_m: float
    port_xy_m: tuple[float, float]
    engage_z_m: float
    guard_dz_m: float
    release_limit_n: float
    press_contact_n: float
    press_force_rate_npm: float
    press_overshoot_m: float
    velocity_radps: float
    effort_nm: float


@dataclass(frozen=True)
class SealingStationConfig:
    xy_m: tuple[float, float]
    engage_z_m: float
    guard_dz_m: float
    ram_stroke_m: float
    ram_home_gap_m: float
    ram_velocity_mps: float
    ram_effort_n: float
    activation_force_n: float
    activation_stroke_min_m: float
    ram_force_rate_nps: float


@dataclass(frozen=True)
class BoreSweepToolConfig:
    xy_m: tuple[float, float]
    engage_z_m: float
    guard_dz_m: float
    brush_radius_m: float
    insertion_depth_m: float
    rotation_per_sweep_rad: float
    velocity_radps: float
    effort_nm: float


@dataclass(frozen=True)
class VolumeProbeConfig:
    xy_m: tuple[float, float]
    engage_z_m: float
    guard_dz_m: float
    rod_radius_m: float
    travel_m: float
    home_gap_m: float
    velocity_mps: float
    effort_n: float
    contact_force_n: float


@dataclass(frozen=True)
class CacheCamConfig:
    xy_m: tuple[float, float]
    engage_z_m: float
    guard_dz_m: float
    width_px: int
    height_px: int
    standoff_m: float
    field_of_view_deg: float
    depth_of_field_m: float
    lamp_offset_m: tuple[float, float, float]
    ambient: float
    read_noise: float


@dataclass(frozen=True)
class BitCarouselConfig:
    bits: tuple[str, ...]
    center_xy_m: tuple[float, float]
    radius_m: float
    engage_z_m: float
    guard_dz_m: float
    velocity_radps: float
    effort_nm: float
    seat_z_m: float
    dropoff_contact_travel_m: float
    dropoff_velocity_mps: float
    dropoff_effort_n: float
    dropoff_overtravel_m: float
    dropoff_drag_threshold_n: float
    early_drag_margin_m: float
    pebble_radius_m: float
    pebble_mass_kg: float
    coring_duration_s: float
    percuss_to_ingest: tuple[int, float]
    dump_percussion_s: float
    clearing_rotation_deg: float


@dataclass(frozen=True)
class HoldsConfig:
    grip_n: float
    core_n: float
    seal_n: float


@dataclass(frozen=True)
class DropPortConfig:
    xy_m: tuple[float, float]
    engage_z_m: float
    ground_drop_m: float
    settle_time_s: float
    on_end_tilt_rad: float
    release_spin_radps: float


@dataclass(frozen=True)
class StorageConfig:
    rows: int
    columns: int
    pitch_m: float
    origin_xy_m: tuple[float, float]
    engage_z_m: float
    guard_dz_m: float
    sample_slots: int
    witness_slots: int

    @property
    def slot_count(self) -> int:
        """Number of storage slots (sample + witness)."""
        return self.sample_slots + self.witness_slots

    def slot_xy(self, slot: int) -> tuple[float, float]:
        """Position of storage slot 1..slot_count in aca_frame, m."""
        if not 1 <= slot <= self.slot_count:
            raise ValueError(f"storage slot {slot} is not in 1..{self.slot_count}")
        row, col = divmod(slot - 1, self.columns)
        return (self.origin_xy_m[0] + col * self.pitch_m, self.origin_xy_m[1] + row * self.pitch_m)


@dataclass(frozen=True)
class StowConfig:
    xy_m: tuple[float, float]


@dataclass(frozen=True)
class ModelConfig:
    physics: Physics
    sha: ShaConfig
    tube: TubeConfig
    core: CoreConfig
    seal: SealConfig
    dust: DustConfig
    seal_carousel: SealCarouselConfig
    sealing_station: SealingStationConfig
    bore_sweep_tool: BoreSweepToolConfig
    volume_probe: VolumeProbeConfig
    cachecam: CacheCamConfig
    bit_carousel: BitCarouselConfig
    holds: HoldsConfig
    drop_port: DropPortConfig
    storage: StorageConfig
    stow: StowConfig
    source_path: str = ""
    sha256: str = ""
    source_sha256: str = ""  # of the file at source_path alone: what the xacro files read


def with_fidelity(config: ModelConfig, fidelity: str) -> ModelConfig:
    """The configuration with physics.fidelity set ("fast" or "full"; ConfigError naming
    the value otherwise)."""
    physics = dataclasses.replace(config.physics, fidelity=fidelity)
    return dataclasses.replace(config, physics=physics)


def default_model_path() -> Path:
    """Path of the default model configuration, config/aca_model.yaml."""
    return share_path("config", "aca_model.yaml")


def load_model_config(
    path: str | Path | None = None, overrides: Mapping[str, float] | None = None
) -> ModelConfig:
    """Load and validate a model configuration file (default: config/aca_model.yaml), with
    `overrides` (see model_text) applied; sha256 is that of model_text's text."""
    path = Path(path) if path else default_model_path()
    source = path.read_text()
    text = _with_overrides(source, overrides, path)
    data = _parsed(text)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    config = _build(ModelConfig, data, str(path), skip={"source_path", "sha256", "source_sha256"})
    return dataclasses.replace(
        config,
        source_path=str(path),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        source_sha256=hashlib.sha256(source.encode()).hexdigest(),
    )


def model_text(
    path: str | Path | None = None, overrides: Mapping[str, float] | None = None
) -> str:
    """The text of a model configuration file; with overrides (dotted key such as
    "seal_carousel.release_limit_n" -> number), the file's data with those values, dumped
    as YAML (floats exactly: loading the text gives the same values). ConfigError names an
    override key that is not a number field of the file, or a value that is not a number."""
    path = Path(path) if path else default_model_path()
    return _with_overrides(path.read_text(), overrides, path)


# libyaml's parser where PyYAML has it: the same safe constructor, so the same values (a
# trial parses its model twice: the file, then the text with its drawn parameters)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parsed(text: str) -> Any:
    """The data of a YAML text (safe: plain types only)."""
    return yaml.load(text, Loader=_SAFE_LOADER)


def _with_overrides(text: str, overrides: Mapping[str, float] | None, path: Path) -> str:
    """model_text of a file's text (read from path)."""
    if not overrides:
        return text
    data = _parsed(text)
    for key, value in overrides.items():
        parent, leaf = _number_field(data, key, str(path))
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ConfigError(f"override {key}: expected a finite number, got {value!r}")
        if isinstance(parent[leaf], int):
            if not float(value).is_integer():
                raise ConfigError(f"override {key}: expected a whole number, got {value!r}")
            value = int(value)
        parent[leaf] = float(value) if isinstance(parent[leaf], float) else value
    return yaml.safe_dump(data, sort_keys=False)


def override_type(key: str, path: str | Path | None = None) -> type:
    """int or float: the type of dotted `key`'s number in the model file; ConfigError naming
    `key` unless it is a number field there."""
    path = Path(path) if path else default_model_path()
    parent, leaf = _number_field(yaml.safe_load(path.read_text()), key, str(path))
    return int if isinstance(parent[leaf], int) else float


def _number_field(data: Any, key: str, where: str) -> tuple[dict[str, Any], str]:
    """The mapping holding dotted `key`'s leaf and the leaf's name; ConfigError unless the
    leaf exists and holds a number."""
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    leaf = parts[-1]
    if not isinstance(node, dict) or leaf not in node:
        raise ConfigError(f"{where}: no model parameter {key!r}")
    if isinstance(node[leaf], bool) or not isinstance(node[leaf], int | float):
        raise ConfigError(f"{where}: {key!r} is not a number ({node[leaf]!r})")
    return node, leaf


def _build(cls: type[T], data: dict[str, Any], where: str, skip: set[str] = frozenset()) -> T:
    hints = get_type_hints(cls)
    fields = [f.name for f in dataclasses.fields(cls) if f.name not in skip]
    unknown = sorted(set(data) - set(fields))
    missing = sorted(set(fields) - set(data))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}")
    if missing:
        raise ConfigError(f"{where}: missing key(s) {missing}")
    values = {}
    for name in fields:
        values[name] = _convert(hints[name], data[name], f"{where}.{name}")
    return cls(**values)


def _convert(hint: Any, value: Any, where: str) -> Any:
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return _build(hint, value, where)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if getattr(hint, "__origin__", None) is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        args = hint.__args__
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, where) for v in value)
        if len(args) != len(value):
            raise ConfigError(f"{where}: expected {len(args)} values, got {value!r}")
        return tuple(_convert(a, v, where) for a, v in zip(args, value, strict=True))
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported type {hint}")
