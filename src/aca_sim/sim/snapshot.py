"""The whole state of a simulated ACA as plain data: the initial one for a seed, a
description of a running one, restoring it exactly, and a hash of it.

A description is JSON-able (bodies' poses and velocities in PyBullet's frames, joints and
their commands, records, constraints' frames, the RNG state, armed faults); restoring it
rebuilds the world so that the same goals give the same results and timeline.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

import numpy as np

from aca_sim.model.codes import Code
from aca_sim.model.config import ModelConfig
from aca_sim.model.kinds import BitType, Contents, TubeKind
from aca_sim.model.locations import Location
from aca_sim.model.names import ACA_JOINTS
from aca_sim.model.records import Dispenser, Tube
from aca_sim.motion.kinematics import ScaraKinematics
from aca_sim.sim.device import Device
from aca_sim.sim.errors import StepError
from aca_sim.sim.faults import FaultArming
from aca_sim.sim.tube_codec import tube_to_dict
from aca_sim.sim.world import World

TUBE_SERIAL_OFFSET = 200  # tube id = 200 + home slot (the rover's serials are three-digit)


def tube_id_for_slot(slot: int) -> int:
    """Serial number of the tube whose home is storage slot `slot`."""
    return TUBE_SERIAL_OFFSET + slot


def initial_description(cfg: ModelConfig, seed: int) -> dict[str, Any]:
    """Description of a freshly built ACA: tubes in their slots, full dispensers, arm stowed."""
    storage = cfg.storage
    tubes, tube_bodies = [], {}
    for slot in range(1, storage.slot_count + 1):
        kind = TubeKind.SAMPLE if slot <= storage.sample_slots else TubeKind.WITNESS
        tube = Tube(
            tube_id=tube_id_for_slot(slot),
            kind=kind,
            home_slot=slot,
            location=Location.storage(slot),
            contents=Contents.WITNESS_MEDIA if kind == TubeKind.WITNESS else Contents.EMPTY,
        )
        tubes.append(tube_to_dict(tube))
        x, y = storage.slot_xy(slot)
        tube_bodies[str(tube.tube_id)] = [
            [x, y, storage.engage_z_m - cfg.tube.length_m],
            [0, 0, 0, 1],
            [0, 0, 0],
            [0, 0, 0],
        ]
    kin = ScaraKinematics(cfg.sha.link1_m, cfg.sha.link2_m, cfg.sha.tube_top_above_tool_m)
    stow = kin.inverse(*cfg.stow.xy_m, cfg.sha.transit_z_m + cfg.sha.tube_top_above_tool_m, 1)
    joints = {name: [0.0, 0.0] for name in ACA_JOINTS}
    joints["sha_z"], joints["sha_shoulder"], joints["sha_elbow"] = (
        [stow.z, 0.0],
        [stow.shoulder, 0.0],
        [stow.elbow, 0.0],
    )
    rng = np.random.default_rng(seed)
    sc = cfg.seal_carousel
    return {
        "time_s": 0.0,
        "step_count": 0,
        "seed": seed,
        "rng": rng.bit_generator.state,
        "halted": False,
        "held_tube": 0,
        "faults": {},
        "grip_orientation": [0.0, 0.0, 0.0, 1.0],
        "bit_orientations": {},
        "joints": joints,
        "commands": {},
        "tubes": tubes,
        "tube_pose_frame": "origin",  # URDF origins; a described world stores PyBullet's frames
        "tube_bodies": tube_bodies,
        "dispensers": [
            asdict(Dispenser(d, sc.seals_per_dispenser, sc.release_limit_n))
            for d in range(1, sc.dispensers + 1)
        ],
        "bit_slots": [
            {"slot": i + 1, "bit_type": BitType(kind).value, "tube_id": 0, "debris_count": 0}
            for i, kind in enumerate(cfg.bit_carousel.bits)
        ],
        "cores": {},
        "seals": [],
        "pebbles": [],
    }


def describe(world: World, faults: FaultArming) -> dict[str, Any]:
    """The whole state of a simulated ACA (its world and armed faults) as plain data."""
    return {**world.describe(), "faults": faults.describe()}


def restore(
    world: World, faults: FaultArming, devices: Iterable[Device], description: dict[str, Any]
) -> None:
    """Rebuild the world and the armed faults from describe() output, then tell the devices;
    StepError BUSY while a device works."""
    devices = list(devices)
    for device in devices:
        if device.busy:
            raise StepError(Code.BUSY, f"cannot restore while {device.name} is busy")
    plain = json.loads(json.dumps(description))
    world.rebuild(plain)
    faults.pending = dict(plain["faults"])
    for device in devices:
        device.on_rebuild()


def state_hash(description: dict[str, Any]) -> str:
    """SHA-256 of a description, floats to 12 significant digits (PyBullet renormalises
    quaternions when a pose is set, which changes the last bit on restore)."""
    blob = json.dumps(_quantised(description), sort_keys=True, default=_json_default)
    return hashlib.sha256(blob.encode()).hexdigest()


def _quantised(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _quantised(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_quantised(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer | np.floating):
        return value.item()
    raise TypeError(f"cannot serialise {type(value)}")
