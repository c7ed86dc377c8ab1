"""The caching sequences, in the documented order (brief A6; assumptions B10, B11), and the
ground-commanded recovery of a stuck seal.

A plan is a list of Steps naming device actions and their goal fields. No ROS, no physics:
this is the domain.
"""

from __future__ import annotations

from aca_sim.model.kinds import SampleKind
from aca_sim.model.steps import Step


def _seal_and_store(dispenser: int) -> list[Step]:
    return [
        Step("dispense_seal", {"dispenser": dispenser}),
        Step("activate_seal"),
        Step("store_tube", {"slot": 0}),
    ]


def plan(kind: SampleKind, slot: int, dispenser: int = 0) -> list[Step]:
    """The steps that cache one sample of `kind` from the tube in storage `slot`."""
    retrieve = Step("retrieve_tube", {"slot": slot})
    drilled = kind.drilled_contents
    if drilled is not None:
        return [
            retrieve,
            Step("transfer_tube_to_bit", {"bit_slot": 0}),
            Step("core_sample", {"bit_slot": 0, "contents": drilled.value}),
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


def recovery_plan(
    home_slot: int, sweeps: int, dispenser: int = 0, image_before: bool = True
) -> list[Step]:
    """The ground's recovery of an unsealed tube (Mageik): take it out, sweep the bore
    `sweeps` times (none when 0), retry the seal, store it home. A round that sweeps images
    the rim with CacheCam after sweeping, and before it too when `image_before` (the first
    round), as the team watched the dust move (brief A9: 22, 26, 28 and 31 Oct 2022)."""
    steps = [Step("retrieve_tube", {"slot": home_slot})]
    if sweeps:
        if image_before:
            steps.append(Step("capture_image"))
        steps += [Step("sweep_bore", {"sweeps": sweeps}), Step("capture_image")]
    return [*steps, *_seal_and_store(dispenser)]
