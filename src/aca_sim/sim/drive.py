"""Driving an operation: the one step driver of the in-process path (Aca.run, run_to_end) and
of the physics thread (sim.runner), so that "same seed, same timeline in process and over
ROS" holds by construction.

A Drive resumes its operation (a look at the world, after World.settle), passes the feedback
on with its progress made monotone, and says how many physics steps may pass before the next
look: one per yield, a Leap's steps at once, ended early when the coast the Leap was given on
ends (the world changed). Whoever steps the world reports the steps with stepped(). How a run
ended is an Outcome (status, value or StepError, sim times); `ending` maps what an operation
raised to its StepError, the same way on both paths.

Thread rule: the thread that owns the Aca (the caller's, or the physics thread).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from aca_sim.model.codes import Code
from aca_sim.model.status import StepStatus
from aca_sim.sim.errors import StepError
from aca_sim.sim.operation import Feedback, Leap, Operation
from aca_sim.sim.world import World


@dataclass(frozen=True)
class Outcome:
    """How a run of an operation ended: status SUCCEEDED | FAILED | CANCELED, with its value
    or error. Times are sim time, s."""

    status: StepStatus
    value: Any = None
    error: StepError | None = None
    started_s: float = 0.0
    finished_s: float = 0.0

    @property
    def duration_s(self) -> float:
        return self.finished_s - self.started_s


def ending(exc: Exception) -> StepError:
    """The StepError a run ends with when its operation raised `exc`: a StepError as it is,
    anything else (a simulator bug) as INTERNAL_ERROR naming it."""
    if isinstance(exc, StepError):
        return exc
    return StepError(Code.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")


class Drive:
    """One operation on one world, resumed one look at a time."""

    def __init__(
        self,
        world: World,
        operation: Operation,
        on_feedback: Callable[[Feedback], None] | None = None,
    ) -> None:
        self.world, self.operation, self.on_feedback = world, operation, on_feedback
        self.started_s = world.time_s
        self.progress = 0.0  # the highest progress passed on (clients see it never fall)
        self.steps_left = 0  # physics steps before the next look
        self.leap_coast: Any = None  # the coast a Leap was given on (its end ends the Leap)
        self.value: Any = None  # the operation's result, once it returned

    def due(self) -> bool:
        """True when the operation must look at the world before the next physics step."""
        if self.steps_left <= 0:
            return True
        return self.leap_coast is not None and self.world.coast is not self.leap_coast

    def look(self) -> bool:
        """Resume the operation (the world settled first) and pass its feedback on; False when
        it returned (its value in self.value). What it raises propagates."""
        self.world.settle()
        try:
            feedback = next(self.operation)
        except StopIteration as done:
            self.value, self.steps_left = done.value, 0
            return False
        self.steps_left = feedback.steps if isinstance(feedback, Leap) else 1
        self.leap_coast = self.world.coast if isinstance(feedback, Leap) else None
        if feedback is not None and self.on_feedback is not None:
            self.progress = max(self.progress, feedback.progress)
            self.on_feedback(replace(feedback, progress=self.progress))
        return True

    def stepped(self, steps: int = 1) -> None:
        """`steps` physics steps passed since the last report."""
        self.steps_left -= steps

    def close(self) -> None:
        """Stop the operation (GeneratorExit inside it: its procedure makes the hardware safe)."""
        self.operation.close()

    def outcome(self, status: StepStatus, error: StepError | None = None) -> Outcome:
        """The Outcome of this run ending now (its value when it succeeded)."""
        value = self.value if status == StepStatus.SUCCEEDED else None
        return Outcome(status, value, error, self.started_s, self.world.time_s)
