"""Caching steps of the arm alone: move, take a tube out of storage, put it back, drop it at
the depot port."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from aca_sim.model.codes import Code
from aca_sim.model.kinds import SealState
from aca_sim.model.locations import Location
from aca_sim.motion.kinematics import JointPositions
from aca_sim.sim.aca import Aca
from aca_sim.sim.errors import StepError
from aca_sim.sim.layout import storage_slot_name
from aca_sim.sim.operation import Feedback, Operation, with_progress
from aca_sim.sim.procedures.common import TubeResult, check_slot, held_tube, safely, visit
from aca_sim.sim.stations import DropResult


def move_arm(
    aca: Aca, station: str = "", joint_positions: tuple[float, ...] = (), engage: bool = False
) -> Operation[JointPositions]:
    """Move the SHA to a named station by the transit policy, or to joint positions."""
    sha = aca.devices.sha
    if station:
        if station not in aca.stations:
            raise StepError(Code.UNKNOWN_STATION, f"no station named {station!r}")
        target = aca.stations[station]
        sha.station_joints(target)  # raises UNREACHABLE before anything moves
        yield from safely(aca, sha.go_to_station(target, engage))
    else:
        if len(joint_positions) != 3:
            raise StepError(
                Code.INVALID_GOAL,
                f"a joint goal needs 3 values (z, shoulder, elbow), got {len(joint_positions)}",
            )
        q = JointPositions(*joint_positions)
        violation = sha.limit_violation(q)
        if violation:
            raise StepError(Code.OUT_OF_LIMITS, f"joint goal {violation}")
        yield from safely(aca, sha.move_joints(q, "move"))
    return sha.joint_positions()


def retrieve_tube(aca: Aca, slot: int) -> Operation[TubeResult]:
    """Take the tube out of a storage slot: transit, guarded Z into the slot, grip, retract."""
    check_slot(aca, slot)
    world = aca.world
    tube_id = world.tube_at(Location.storage(slot))
    if not tube_id:
        raise StepError(Code.SLOT_EMPTY, f"storage slot {slot} holds no tube")
    if world.held_tube:
        raise StepError(Code.GRIPPER_OCCUPIED, f"the arm already holds tube {world.held_tube}")
    sha = aca.devices.sha
    station = aca.stations[storage_slot_name(slot)]

    def steps() -> Generator[Any, Any, TubeResult]:
        yield from with_progress(sha.go_to_station(station, engage=True), 0.0, 0.8)
        world.unlatch_from_slot(tube_id)
        sha.grip(tube_id)
        yield Feedback("grip", 0.8)
        yield from with_progress(sha.retract(), 0.8, 1.0)
        return TubeResult(tube_id, world.tubes[tube_id].location)

    return (yield from safely(aca, steps()))


def store_tube(aca: Aca, slot: int = 0) -> Operation[TubeResult]:
    """Put the held tube into a storage slot (0 = its home slot): guarded Z up against the
    sheath stop, release (the ball locks latch it), retract."""
    tube = held_tube(aca)
    slot = slot or tube.home_slot
    check_slot(aca, slot)
    world = aca.world
    occupant = world.tube_at(Location.storage(slot))
    if occupant:
        raise StepError(Code.SLOT_OCCUPIED, f"storage slot {slot} already holds tube {occupant}")
    sha = aca.devices.sha
    station = aca.stations[storage_slot_name(slot)]

    def steps() -> Generator[Any, Any, TubeResult]:
        yield from with_progress(
            sha.go_to_station(station, engage=True, force_limit_n=sha.cfg.guard_force_n), 0.0, 0.8
        )
        tube_id = sha.release()
        world.latch_in_slot(tube_id, slot)
        yield Feedback("release", 0.8)
        yield from with_progress(sha.retract(), 0.8, 1.0)
        return TubeResult(tube_id, world.tubes[tube_id].location)

    return (yield from safely(aca, steps()))


def drop_tube(aca: Aca, tube_id: int = 0, allow_unsealed: bool = False) -> Operation[DropResult]:
    """Release the held tube over the depot drop port; it falls to the ground."""
    tube = held_tube(aca, tube_id)
    if tube.seal_state != SealState.ACTIVATED and not allow_unsealed:
        raise StepError(Code.TUBE_NOT_SEALED, f"tube {tube.tube_id} is not hermetically sealed")
    sha, port = aca.devices.sha, aca.devices.drop_port

    def release_and_fall() -> Generator[Any, Any, DropResult]:
        return (yield from port.fall(sha.release()))

    def steps() -> Generator[Any, Any, DropResult]:
        return (yield from visit(aca, "station_drop", release_and_fall(), (0.6, 0.95)))

    return (yield from safely(aca, steps()))
