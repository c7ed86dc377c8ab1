"""When a step goal's action feedback goes out (no rclpy here: the rule alone).

At every phase change and, within a phase, once per `period_s` of sim time but no sooner than
`min_interval_s` of wall time after the last message; the last feedback of a phase is never
dropped (it goes out late, before the next phase's first or at the goal's end). The sim
period alone would, in fast mode (about 100 times real time), send some 200 messages a second
per goal, each a wake-up of every client's executor (measured in the default campaign: 8000
messages, half the executor thread's CPU); in realtime mode the wall floor lies under the sim
period and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

F = TypeVar("F")


@dataclass(frozen=True)
class FeedbackPacing:
    """The rule's two periods: sim seconds, wall seconds (0: no wall floor)."""

    period_s: float = 0.5
    min_interval_s: float = 0.05


class FeedbackGate(Generic[F]):
    """One goal's feedback gate: offer() every feedback, send what it returns; flush() at
    the goal's end. A feedback held back is not lost if it was a phase's last: it goes out
    before the next phase's first, or at flush() (a phase's end often carries its news: the
    drag at a drop-off's contact). Thread rule: one thread (the physics thread) calls it."""

    def __init__(self, pacing: FeedbackPacing) -> None:
        self.pacing = pacing
        self._phase: str | None = None
        self._next_sim_s = 0.0
        self._next_wall_s = 0.0
        self._held: F | None = None  # the last feedback held back in this phase

    def offer(self, feedback: F, phase: str, sim_s: float, wall_s: float) -> list[F]:
        """The feedback to send now, in order, for `feedback` of `phase` at sim time sim_s
        and wall time wall_s (any monotonic clock, s): none, it alone, or the previous
        phase's held-back last one and it."""
        if phase == self._phase and (sim_s < self._next_sim_s or wall_s < self._next_wall_s):
            self._held = feedback
            return []
        out = self.flush() if phase != self._phase else []
        self._held = None
        self._phase = phase
        self._next_sim_s = sim_s + self.pacing.period_s
        self._next_wall_s = wall_s + self.pacing.min_interval_s
        return [*out, feedback]

    def flush(self) -> list[F]:
        """The feedback held back, if any (at the goal's end)."""
        held, self._held = self._held, None
        return [] if held is None else [held]
