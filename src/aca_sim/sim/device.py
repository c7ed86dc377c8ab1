"""Base class of the device models: command / step / state, owned by the physics thread."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from aca_sim.model.codes import Code
from aca_sim.sim.errors import StepError

if TYPE_CHECKING:
    from aca_sim.sim.mechanism import Mechanism
    from aca_sim.sim.world import World


class Device:
    """A device of the ACA. Its operations are generators (sim.operation); `busy` is true
    while one runs. pre_step() runs before every physics step, on_rebuild() after the world
    was rebuilt from a description. A device uses the world's methods and drives no other
    device: the procedures (sim.procedures) combine devices."""

    name = "device"

    def __init__(self, world: World) -> None:
        self.world = world
        self.busy = False

    @property
    def mech(self) -> Mechanism:
        """The ACA multibody of the world (a new one after each rebuild)."""
        return self.world.mech

    @contextlib.contextmanager
    def operating(self) -> Iterator[None]:
        """Mark the device busy for the duration of an operation; refuse a second one."""
        if self.busy:
            raise StepError(Code.BUSY, f"{self.name} is already running an operation")
        self.busy = True
        try:
            yield
        finally:
            self.busy = False

    def pre_step(self) -> None:
        """Called before every physics step (for kinematic updates). Must do nothing while
        the joints it follows stand still: a Leap calls it once for several coasted steps,
        during which only the coasting SHA joints move (Aca.leap)."""

    def on_rebuild(self) -> None:
        """Called after the world was (re)built from a description."""
