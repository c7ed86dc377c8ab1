"""Base class of the device models: command / step / state, owned by the physics thread."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from aca_sim.sim.errors import StepError

if TYPE_CHECKING:
    from aca_sim.sim.world import AcaWorld


class Device:
    """A device of the ACA. Operations are generators run by AcaWorld.run or the physics
    thread; `busy` is true while one runs. pre_step() runs before every physics step."""

    name = "device"

    def __init__(self, world: AcaWorld) -> None:
        self.world = world
        self.busy = False

    @contextlib.contextmanager
    def operating(self) -> Iterator[None]:
        """Mark the device busy for the duration of an operation; refuse a second one."""
        if self.busy:
            raise StepError("BUSY", f"{self.name} is already running an operation")
        self.busy = True
        try:
            yield
        finally:
            self.busy = False

    def pre_step(self) -> None:
        """Called before every physics step (for kinematic updates)."""

    def on_rebuild(self) -> None:
        """Called after the world was (re)built from a description."""
