"""Which tube a sequence or a step works on. No ROS, no physics."""

from __future__ import annotations

from collections.abc import Iterable

from aca_sim.model.kinds import Catalogue, Contents, SampleKind, SealState, TubeKind
from aca_sim.model.locations import Location
from aca_sim.model.records import HardwareState, Tube
from aca_sim.model.steps import Step


def next_slot(kind: SampleKind, tubes: Iterable[Tube]) -> int:
    """The storage slot of the first suitable tube in slot order (0 when there is none): for a
    depot drop, a hermetically sealed tube; otherwise a fresh (unsealed, uncatalogued) tube of
    the sample's tube kind that is empty (witness tubes hold their witness media)."""
    for tube in sorted(tubes, key=lambda t: t.home_slot):
        if not tube.location.in_storage:
            continue
        if kind == SampleKind.DEPOT_DROP:
            suitable = tube.seal_state == SealState.ACTIVATED
        else:
            fresh = tube.seal_state == SealState.NONE and tube.catalogued_kind == Catalogue.NONE
            empty = kind.tube_kind == TubeKind.WITNESS or tube.contents == Contents.EMPTY
            suitable = tube.kind == kind.tube_kind and fresh and empty
        if suitable:
            return tube.location.index
    return 0


def tube_for_step(step: Step, hardware: HardwareState) -> int:
    """The tube a step works on: the held one, else the one in the goal's storage slot, else
    the one in a bit (0 when there is none)."""
    if hardware.held_tube_id:
        return hardware.held_tube_id
    slot = int(step.goal.get("slot", 0))
    in_slot = hardware.tube_at(Location.storage(slot)) if slot > 0 else 0
    return in_slot or hardware.tube_in_any_bit()
