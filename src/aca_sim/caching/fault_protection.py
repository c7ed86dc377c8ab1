"""Onboard fault responses, as the rover does them (brief A11).

respond() turns a step's outcome into what the sequence does next. Documented behaviour:
a seal that does not release -> store the tube unsealed and safe, wait for ground (Mageik);
an empty tube -> continue, seal it, catalogue it atmospheric (Roubion); drag too early at bit
drop-off -> halt the caching procedure and wait for ground (Issole pebbles).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from aca_sim.caching.sequences import Step


class EmptyTubePolicy(str, Enum):
    SEAL_AS_ATMOSPHERIC = "seal_as_atmospheric"  # the Roubion response (default)
    HOLD_UNSEALED = "hold_unsealed"  # store it unsealed and wait for ground
    ABORT = "abort"  # store it unsealed and end the sequence with an error


@dataclass(frozen=True)
class Response:
    """What to do next: the steps to run instead of the rest of the plan (None = carry on
    with the plan), whether to then wait for ground, the sequence's error code (or ""),
    and how the sample is catalogued (or "" to keep it)."""

    replace_remaining: tuple[Step, ...] | None = None
    await_ground: bool = False
    error_code: str = ""
    reason: str = ""
    catalogue_as: str = ""


CARRY_ON = Response()
STORE_UNSEALED = (Step("store_tube", {"slot": 0}),)


def after_failure(step: str, error_code: str, holding_tube: bool) -> Response:
    """The response to a failed step."""
    if step == "dispense_seal" and error_code == "SEAL_NOT_RELEASED":
        return Response(
            STORE_UNSEALED,
            True,
            "SEAL_NOT_RELEASED",
            "the seal did not release: tube stored unsealed and safe, waiting for ground",
        )
    if step == "core_sample" and error_code == "EARLY_DRAG":
        return Response(
            (),
            True,
            "EARLY_DRAG",
            "drag before nominal contact at bit drop-off: caching halted, waiting for ground",
        )
    store = STORE_UNSEALED if holding_tube and step != "store_tube" else ()
    return Response(store, True, "STEP_FAILED", f"{step} failed with {error_code}: stopped safe")


def after_volume(contact: bool, policy: EmptyTubePolicy) -> Response:
    """The response to the volume probe's reading."""
    if contact:
        return CARRY_ON
    if policy == EmptyTubePolicy.SEAL_AS_ATMOSPHERIC:
        return Response(
            None, False, "", "no sample: sealed as an atmospheric sample", "atmospheric"
        )
    code = "EMPTY_TUBE"
    if policy == EmptyTubePolicy.HOLD_UNSEALED:
        return Response(
            STORE_UNSEALED, True, code, "no sample: stored unsealed, waiting for ground"
        )
    return Response(
        STORE_UNSEALED, False, code, "no sample: sequence aborted, tube stored unsealed"
    )
