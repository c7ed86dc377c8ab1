"""Onboard fault responses, as the rover does them (brief A11).

A step's outcome becomes what the sequence does next. Documented behaviour: a seal that does
not release -> store the tube unsealed and safe, wait for ground (Mageik); an empty tube ->
continue, seal it, catalogue it atmospheric (Roubion); drag too early at bit drop-off -> halt
the caching procedure and wait for ground (Issole pebbles).
"""

from __future__ import annotations

from dataclasses import dataclass

from aca_sim.model.codes import Code
from aca_sim.model.kinds import Catalogue, EmptyTubePolicy
from aca_sim.model.steps import Step


@dataclass(frozen=True)
class Response:
    """What to do next: the steps to run instead of the rest of the plan (None = carry on
    with the plan), whether to then wait for ground, the sequence's error code (NONE: none),
    and how the sample is catalogued (NONE: keep it)."""

    replace_remaining: tuple[Step, ...] | None = None
    await_ground: bool = False
    error_code: Code = Code.NONE
    reason: str = ""
    catalogue_as: Catalogue = Catalogue.NONE


CARRY_ON = Response()
STORE_UNSEALED = (Step("store_tube", {"slot": 0}),)


def after_failure(step: str, error_code: Code, holding_tube: bool) -> Response:
    """The response to a failed step."""
    if step == "dispense_seal" and error_code == Code.SEAL_NOT_RELEASED:
        return Response(
            STORE_UNSEALED,
            True,
            Code.SEAL_NOT_RELEASED,
            "the seal did not release: tube stored unsealed and safe, waiting for ground",
        )
    if step == "core_sample" and error_code == Code.EARLY_DRAG:
        return Response(
            (),
            True,
            Code.EARLY_DRAG,
            "drag before nominal contact at bit drop-off: caching halted, waiting for ground",
        )
    store = STORE_UNSEALED if holding_tube and step != "store_tube" else ()
    return Response(
        store, True, Code.STEP_FAILED, f"{step} failed with {error_code.value}: stopped safe"
    )


def after_volume(contact: bool, policy: EmptyTubePolicy) -> Response:
    """The response to the volume probe's reading."""
    if contact:
        return CARRY_ON
    if policy == EmptyTubePolicy.SEAL_AS_ATMOSPHERIC:
        return Response(
            None,
            False,
            Code.NONE,
            "no sample: sealed as an atmospheric sample",
            Catalogue.ATMOSPHERIC,
        )
    code = Code.EMPTY_TUBE
    if policy == EmptyTubePolicy.HOLD_UNSEALED:
        return Response(
            STORE_UNSEALED, True, code, "no sample: stored unsealed, waiting for ground"
        )
    return Response(
        STORE_UNSEALED, False, code, "no sample: sequence aborted, tube stored unsealed"
    )
