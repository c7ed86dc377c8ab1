"""Logical state of tubes, dispensers and bit slots, as frozen dataclasses.

These are what the hardware's sensors and the operators' bookkeeping would know; poses and
velocities live in PyBullet. Replace a record with dataclasses.replace() to change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum


class TubeKind(str, Enum):
    SAMPLE = "sample"
    WITNESS = "witness"


class Contents(str, Enum):
    EMPTY = "empty"
    ROCK_CORE = "rock_core"
    REGOLITH = "regolith"
    WITNESS_MEDIA = "witness_media"


class SealState(IntEnum):
    NONE = 0
    INSERTED = 1  # in the bore, not yet pressed
    ACTIVATED = 2  # hermetic


class BitType(str, Enum):
    ABRADING = "abrading"
    REGOLITH = "regolith"
    CORING = "coring"


def slot_location(slot: int) -> str:
    """Location string of a storage slot, e.g. 'slot_07'."""
    return f"slot_{slot:02d}"


def bit_location(bit_slot: int) -> str:
    """Location string of a bit slot, e.g. 'bit_4'."""
    return f"bit_{bit_slot}"


GRIPPER = "sha"
GROUND = "ground"


@dataclass(frozen=True)
class TubeState:
    """One tube. Depths are measured down from the rim, m; dust is coverage 0..1."""

    tube_id: int
    kind: TubeKind
    home_slot: int
    location: str
    contents: Contents = Contents.EMPTY
    sample_height_m: float = 0.0  # true height of the sample column
    core_top_depth_m: float = 0.0  # rim to sample top (0 when empty)
    rim_dust: float = 0.0
    bore_dust: float = 0.0
    seal_state: SealState = SealState.NONE
    seal_id: int = 0  # 0 = no seal


@dataclass(frozen=True)
class DispenserState:
    """One seal dispenser of the carousel."""

    dispenser_id: int
    seals_remaining: int
    release_limit_n: float


@dataclass(frozen=True)
class BitSlotState:
    """One of the nine bit slots of the bit carousel."""

    slot: int
    bit_type: BitType
    tube_id: int = 0
    debris_count: int = 0
