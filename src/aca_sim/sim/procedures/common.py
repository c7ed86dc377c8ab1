"""What every caching step shares: precondition checks, stopping safe, station visits.

Every step first checks its preconditions and raises StepError before anything moves, so a
bad goal changes nothing; then it drives the devices. Closing the generator (cancel) or an
error stops the step's actuators where they are. Thread rule: the thread that owns the Aca.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from aca_sim.model.codes import Code
from aca_sim.model.locations import Location
from aca_sim.model.names import ACA_JOINTS
from aca_sim.model.records import Tube
from aca_sim.sim.aca import Aca
from aca_sim.sim.errors import StepError
from aca_sim.sim.operation import Operation, with_progress


@dataclass(frozen=True)
class TubeResult:
    """A step that moved a tube: which one, and where it is now."""

    tube_id: int
    location: Location


BIT_JOINTS = ("bit_carousel_rot", "drill_feed")
ARM_AND_STATION_JOINTS = tuple(j for j in ACA_JOINTS if j not in BIT_JOINTS)


def safely(
    aca: Aca, operation: Operation, joints: tuple[str, ...] = ARM_AND_STATION_JOINTS
) -> Generator[Any, Any, Any]:
    """Run an operation; on any exit other than success, stop its actuators where they are.
    Arm steps leave the bit carousel and the drill alone (the drill may be working)."""
    try:
        return (yield from operation)
    except BaseException:
        aca.world.mech.hold_all(joints)
        raise


def visit(
    aca: Aca, station: str, operation: Operation, span: tuple[float, float] = (0.4, 0.8)
) -> Generator[Any, Any, Any]:
    """Engage the held tube at a station, run the station's operation, retract Z; the
    operation's progress maps onto `span` of the step."""
    sha = aca.devices.sha
    yield from with_progress(sha.go_to_station(aca.stations[station], engage=True), 0.0, span[0])
    result = yield from with_progress(operation, *span)
    yield from with_progress(sha.retract(), span[1], 1.0)
    return result


def held_tube(aca: Aca, tube_id: int = 0) -> Tube:
    """The tube in the gripper; StepError if none, or if it is not tube_id (when given)."""
    world = aca.world
    if not world.held_tube:
        raise StepError(Code.NO_TUBE_HELD, "the gripper is empty")
    if tube_id and tube_id != world.held_tube:
        raise StepError(
            Code.WRONG_TUBE, f"the arm holds tube {world.held_tube}, not tube {tube_id}"
        )
    return world.tubes[world.held_tube]


def check_slot(aca: Aca, slot: int) -> None:
    """StepError INVALID_GOAL unless 1 <= slot <= slot count."""
    count = aca.config.storage.slot_count
    if not 1 <= slot <= count:
        raise StepError(Code.INVALID_GOAL, f"storage slot {slot} is not in 1..{count}")


def check_bit_slot(aca: Aca, bit_slot: int) -> None:
    """StepError INVALID_GOAL unless the bit slot exists."""
    count = len(aca.world.bit_slots)
    if not 1 <= bit_slot <= count:
        raise StepError(Code.INVALID_GOAL, f"bit slot {bit_slot} is not in 1..{count}")
