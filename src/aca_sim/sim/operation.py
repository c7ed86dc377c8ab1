"""Operations: generators that yield once per physics step and return a result.

An Operation yields Feedback (or None) before every physics step its driver takes, or a Leap
before several it needs no look at, and returns its result; closing it (GeneratorExit) means
cancel. The driver (Aca.run, the PhysicsRunner) steps the world between yields. Nothing here
touches PyBullet.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Feedback:
    """Progress of an operation: phase name, progress 0..1, force (N) and one more value."""

    phase: str
    progress: float
    force_n: float = 0.0
    value: float = 0.0


LEAP_STEPS = 240  # at most this many steps a Leap covers (1 s of sim time: a look, feedback and
# a cancel at least once a second of it; the realtime runner cuts a Leap at each tick anyway)


@dataclass(frozen=True)
class Leap(Feedback):
    """Feedback that also says the operation needs no look at the world for the next `steps`
    physics steps (a coasting move whose next look is known): the driver takes them all
    before resuming it, unless the coast running when it was given ends sooner (the world
    changed under it: the driver resumes it after that step). steps >= 1 (1 is an ordinary
    yield); a cancel still takes effect at the next step."""

    steps: int = 1


Operation = Generator["Feedback | None", None, T]
"""An operation yields once per physics step (Feedback or None; a Leap for several) and
returns its result."""


def with_progress(operation: Operation[T], start: float, end: float) -> Generator[Any, Any, T]:
    """Run an operation, re-mapping its feedback progress into [start, end]."""
    try:
        feedback = next(operation)
        while True:
            if feedback is not None:  # the same kind (a Leap stays one)
                feedback = replace(feedback, progress=start + (end - start) * feedback.progress)
            sent = yield feedback
            feedback = operation.send(sent)
    except StopIteration as done:
        return done.value


def step_budget(dt: float, nominal_s: float, margin: float = 1.0, slack_s: float = 0.0) -> int:
    """How many physics steps (dt s each) an operation waits for something whose nominal
    duration is nominal_s before it gives up: margin times that plus slack_s, in whole steps
    (rounded down). Each caller states its own margin and slack: where a budget ends a phase
    (the unload after a press) it decides the outcome, so a change to one is a model change."""
    return int((nominal_s * margin + slack_s) / dt)
