"""The caching sequences, in the documented order (brief A6; assumptions B10, B11).

A plan is a list of Steps naming device actions and their goal fields; the sequencer node
sends them in order. No ROS, no physics: this is the domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class SampleKind(str, Enum):
    ROCK_CORE = "rock_core"
    REGOLITH = "regolith"
    ATMOSPHERIC = "atmospheric"
    WITNESS = "witness"
    DEPOT_DROP = "depot_drop"


@dataclass(frozen=True)
class Step:
    """One device action of a sequence and its goal fields."""

    action: str
    goal: dict[str, Any] = field(default_factory=dict)


def _seal_and_store(dispenser: int) -> list[Step]:
    return [
        Step("dispense_seal", {"dispenser": dispenser}),
        Step("activate_seal"),
        Step("store_tube", {"slot": 0}),
    ]


def plan(kind: SampleKind, slot: int, dispenser: int = 0) -> list[Step]:
    """The steps that cache one sample of `kind` from the tube in storage `slot`."""
    retrieve = Step("retrieve_tube", {"slot": slot})
    if kind in (SampleKind.ROCK_CORE, SampleKind.REGOLITH):
        drill_kind = 1 if kind == SampleKind.ROCK_CORE else 2  # CoreSample.Goal.KIND_*
        return [
            retrieve,
            Step("transfer_tube_to_bit", {"bit_slot": 0}),
            Step("core_sample", {"bit_slot": 0, "kind": drill_kind}),
            Step("receive_tube_from_bit", {"bit_slot": 0}),
            Step("assess_volume"),
            Step("capture_image"),
            *_seal_and_store(dispenser),
        ]
    if kind == SampleKind.ATMOSPHERIC:  # B11: exposure at the bit carousel port, no coring
        return [
            retrieve,
            Step("move_arm", {"station": "station_bitcar_port", "engage": True}),
            Step("assess_volume"),
            Step("capture_image"),
            *_seal_and_store(dispenser),
        ]
    if kind == SampleKind.WITNESS:  # B10: open and expose, seal, image, store
        return [
            retrieve,
            Step("move_arm", {"station": "station_bitcar_port", "engage": True}),
            Step("dispense_seal", {"dispenser": dispenser}),
            Step("activate_seal"),
            Step("capture_image"),
            Step("store_tube", {"slot": 0}),
        ]
    if kind == SampleKind.DEPOT_DROP:  # A6: retrieve, view it once more, drop
        return [retrieve, Step("capture_image"), Step("drop_tube", {"allow_unsealed": False})]
    raise ValueError(f"unknown sample kind {kind!r}")
