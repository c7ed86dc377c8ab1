"""Named places the SHA serves: stations, storage slots and the stow pose (aca_frame, m)."""

from __future__ import annotations

from dataclasses import dataclass

from aca_sim.model.config import ModelConfig


@dataclass(frozen=True)
class Station:
    """A place the held tube's open end goes to: xy, engaged height, guarded-move length."""

    name: str
    x: float
    y: float
    engage_z: float
    guard_dz: float
    elbow_sign: int  # preferred IK branch; the other is used if this one breaks a limit


def storage_slot_name(slot: int) -> str:
    """Frame name of a storage slot, e.g. 'storage_slot_07'."""
    return f"storage_slot_{slot:02d}"


def station_table(cfg: ModelConfig) -> dict[str, Station]:
    """Every named place of the model, keyed by frame name."""
    transit_top = cfg.sha.transit_z_m + cfg.sha.tube_top_above_tool_m
    bc, sc = cfg.bit_carousel, cfg.seal_carousel
    rows = [
        (
            "station_bitcar_port",
            (bc.center_xy_m[0] - bc.radius_m, bc.center_xy_m[1]),
            bc.engage_z_m,
            bc.guard_dz_m,
            1,
        ),
        ("station_seal_dispenser", sc.port_xy_m, sc.engage_z_m, sc.guard_dz_m, 1),
        (
            "station_volume_probe",
            cfg.volume_probe.xy_m,
            cfg.volume_probe.engage_z_m,
            cfg.volume_probe.guard_dz_m,
            -1,
        ),
        (
            "station_cachecam",
            cfg.cachecam.xy_m,
            cfg.cachecam.engage_z_m,
            cfg.cachecam.guard_dz_m,
            -1,
        ),
        (
            "station_bst",
            cfg.bore_sweep_tool.xy_m,
            cfg.bore_sweep_tool.engage_z_m,
            cfg.bore_sweep_tool.guard_dz_m,
            -1,
        ),
        (
            "station_sealing",
            cfg.sealing_station.xy_m,
            cfg.sealing_station.engage_z_m,
            cfg.sealing_station.guard_dz_m,
            -1,
        ),
        ("station_drop", cfg.drop_port.xy_m, cfg.drop_port.engage_z_m, 0.0, 1),
        ("pose_stow", cfg.stow.xy_m, transit_top, 0.0, 1),
    ]
    table = {name: Station(name, xy[0], xy[1], z, dz, elbow) for name, xy, z, dz, elbow in rows}
    for slot in range(1, cfg.storage.slot_count + 1):
        x, y = cfg.storage.slot_xy(slot)
        name = storage_slot_name(slot)
        table[name] = Station(name, x, y, cfg.storage.engage_z_m, cfg.storage.guard_dz_m, 1)
    return table
