"""What the operator's tools know of the world: the tubes, the dispensers, the devices held by
running goals and whether caching is halted, as the teleop menus and the ROS watcher that
keeps it (ros/world_watch) both speak of it. Plain data; any thread.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from aca_sim.model.locations import Location, Place
from aca_sim.model.records import Dispenser, Tube
from aca_sim.model.steps import STEP_DEVICES


@dataclass(frozen=True)
class WorldView:
    """What the menus depend on: the tubes, the dispensers, the busy devices and whether
    caching is halted (an early drag at bit drop-off, until the ground clears the debris)."""

    tubes: tuple[Tube, ...] = ()
    dispensers: tuple[Dispenser, ...] = ()
    busy: frozenset[str] = frozenset()
    caching_halted: bool = False

    @property
    def held(self) -> Tube | None:
        """The tube in the gripper, if any."""
        return next((t for t in self.tubes if t.location.place == Place.GRIPPER), None)

    def in_slot(self, slot: int) -> Tube | None:
        """The tube stored in a slot, if any."""
        where = Location.storage(slot)
        return next((t for t in self.tubes if t.location == where), None)

    def in_bits(self) -> list[Tube]:
        """The tubes on the bit carousel."""
        return [t for t in self.tubes if t.location.place == Place.BIT]


def busy_devices(running: Collection[str]) -> frozenset[str]:
    """The devices held by goals of these actions (each action's STEP_DEVICES)."""
    held: set[str] = set()
    for action in running:
        held |= STEP_DEVICES.get(action, frozenset())
    return frozenset(held)
