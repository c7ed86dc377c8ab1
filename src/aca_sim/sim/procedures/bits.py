"""Caching steps at the bit carousel: hand a tube into a bit, core into it with the simulated
drill, take it back."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from aca_sim.model.codes import Code
from aca_sim.model.kinds import BitType, Contents, SealState
from aca_sim.model.names import ACA_JOINTS
from aca_sim.sim.aca import Aca
from aca_sim.sim.bit_carousel import CoringResult, DebrisResult, Port
from aca_sim.sim.errors import StepError
from aca_sim.sim.operation import Feedback, Operation, with_progress
from aca_sim.sim.procedures.common import (
    BIT_JOINTS,
    TubeResult,
    check_bit_slot,
    held_tube,
    safely,
)


def first_free_coring_bit(aca: Aca) -> int:
    """The first coring bit holding no tube (0 if none)."""
    for slot, state in sorted(aca.world.bit_slots.items()):
        if state.bit_type == BitType.CORING and not state.tube_id:
            return slot
    return 0


def _first_bit_with_tube(aca: Aca) -> int:
    """The first bit slot holding a tube; NO_TUBE_IN_BIT when none does."""
    bit_slot = next((s for s, b in sorted(aca.world.bit_slots.items()) if b.tube_id), 0)
    if not bit_slot:
        raise StepError(Code.NO_TUBE_IN_BIT, "no bit holds a tube")
    return bit_slot


def _tube_in_bit(aca: Aca, bit_slot: int) -> int:
    """The tube in a bit slot; NO_TUBE_IN_BIT when it holds none."""
    tube_id = aca.world.bit_slots[bit_slot].tube_id
    if not tube_id:
        raise StepError(Code.NO_TUBE_IN_BIT, f"bit slot {bit_slot} holds no tube")
    return tube_id


def transfer_tube_to_bit(aca: Aca, bit_slot: int = 0) -> Operation[TubeResult]:
    """Hand the held empty tube into a sampling bit through the hand-off port."""
    tube = held_tube(aca)
    bit_slot = bit_slot or first_free_coring_bit(aca)
    if not bit_slot:
        raise StepError(Code.BIT_OCCUPIED, "every coring bit already holds a tube")
    check_bit_slot(aca, bit_slot)
    state = aca.world.bit_slots[bit_slot]
    if state.bit_type == BitType.ABRADING:
        raise StepError(Code.BIT_NOT_SAMPLING, f"bit slot {bit_slot} holds an abrading bit")
    if state.tube_id:
        raise StepError(
            Code.BIT_OCCUPIED, f"bit slot {bit_slot} already holds tube {state.tube_id}"
        )
    if tube.contents != Contents.EMPTY or tube.seal_state != SealState.NONE:
        raise StepError(
            Code.TUBE_NOT_EMPTY,
            f"tube {tube.tube_id} holds {tube.contents.value} / seal {tube.seal_state.name}",
        )
    sha, carousel, world = aca.devices.sha, aca.devices.bit_carousel, aca.world
    station = aca.stations["station_bitcar_port"]

    def steps() -> Generator[Any, Any, TubeResult]:
        yield from with_progress(carousel.rotate_to(bit_slot, Port.HAND_OFF), 0.0, 0.2)
        yield from with_progress(sha.go_to_station(station, engage=True), 0.2, 0.8)
        tube_id = sha.release()
        world.latch_in_bit(tube_id, bit_slot)
        yield Feedback("latch", 0.8)
        yield from with_progress(sha.retract(), 0.8, 1.0)
        return TubeResult(tube_id, world.tubes[tube_id].location)

    return (yield from safely(aca, steps(), ACA_JOINTS))


def core_sample(
    aca: Aca, bit_slot: int = 0, contents: Contents | str = Contents.ROCK_CORE
) -> Operation[CoringResult]:
    """The simulated drill cores (rock_core) or scoops (regolith) into the tube in a bit
    (0: the first holding one) and drops the bit off; the armed faults apply."""
    bit_slot = bit_slot or _first_bit_with_tube(aca)
    check_bit_slot(aca, bit_slot)
    if contents not in (Contents.ROCK_CORE.value, Contents.REGOLITH.value):
        asked = contents.value if isinstance(contents, Contents) else contents
        raise StepError(
            Code.INVALID_GOAL, f"the drill acquires rock cores or regolith, not {asked}"
        )
    contents = Contents(contents)
    _tube_in_bit(aca, bit_slot)
    operation = aca.devices.bit_carousel.core(bit_slot, contents, aca.faults)
    return (yield from safely(aca, operation, BIT_JOINTS))


def receive_tube_from_bit(aca: Aca, bit_slot: int = 0) -> Operation[TubeResult]:
    """Take the filled tube back from a bit: approach, grip, unlatch, retract."""
    world = aca.world
    if world.caching_halted:
        raise StepError(
            Code.CAROUSEL_HALTED, "caching is halted after a drop-off fault; waiting for ground"
        )
    bit_slot = bit_slot or _first_bit_with_tube(aca)
    check_bit_slot(aca, bit_slot)
    tube_id = _tube_in_bit(aca, bit_slot)
    if world.held_tube:
        raise StepError(Code.GRIPPER_OCCUPIED, f"the arm already holds tube {world.held_tube}")
    sha, carousel = aca.devices.sha, aca.devices.bit_carousel
    station = aca.stations["station_bitcar_port"]

    def steps() -> Generator[Any, Any, TubeResult]:
        yield from with_progress(carousel.rotate_to(bit_slot, Port.HAND_OFF), 0.0, 0.2)
        yield from with_progress(sha.go_to_station(station, engage=True), 0.2, 0.8)
        world.unlatch_from_bit(bit_slot)
        sha.grip(tube_id)
        yield Feedback("grip", 0.8)
        yield from with_progress(sha.retract(), 0.8, 1.0)
        return TubeResult(tube_id, world.tubes[tube_id].location)

    return (yield from safely(aca, steps(), ACA_JOINTS))


def clear_debris(aca: Aca, bit_slot: int = 0, dump_core: bool = True) -> Operation[DebrisResult]:
    """The ground's recovery of a halted caching (EARLY_DRAG): see BitCarousel.clear_debris.
    bit_slot 0 = the bit with debris counted against it; NOTHING_TO_CLEAR when caching is not
    halted and no debris is counted."""
    world = aca.world
    if not world.caching_halted and not any(s.debris_count for s in world.bit_slots.values()):
        raise StepError(
            Code.NOTHING_TO_CLEAR,
            "caching is not halted and no debris is counted: nothing to clear",
        )
    if not bit_slot:
        debris = [s for s, state in sorted(world.bit_slots.items()) if state.debris_count]
        bit_slot = debris[0] if debris else _first_bit_with_tube(aca)
    check_bit_slot(aca, bit_slot)
    operation = aca.devices.bit_carousel.clear_debris(bit_slot, dump_core)
    return (yield from safely(aca, operation, BIT_JOINTS))
