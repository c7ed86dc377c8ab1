"""PyBullet's position motor law (default gains) for coasted joints: one step, and many steps
at once with the very same floating-point results (the fast path of a long coast).

A position motor with PyBullet's default gains (position gain 0.1, velocity gain 1) asks at
each step for the velocity v = clip(0.1 (target - q) / dt, +-max_velocity) and reaches it
within the step: q <- q + v dt. Far from its target the clip holds, so the joint moves by the
same increment every step (a running sum, which numpy's add.accumulate forms in the same
order as a loop); near it the error shrinks by 0.9 a step until q + v dt rounds to q, a fixed
point, after which nothing changes. JointTrack steps the first and the last phase in blocks
and only the geometric phase in between one step at a time (at most a few hundred steps a
move), bit for bit what position_law gives step by step (tests/unit/test_motor_law.py).

No PyBullet here. Units: m or rad, m/s or rad/s, s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

POSITION_GAIN = 0.1  # PyBullet's default position gain of a position motor
BLOCK = 256  # states computed at a time (a second of steps at 240 Hz)


def position_law(
    q: Sequence[float], targets: Sequence[float], limits: Sequence[float], dt: float
) -> tuple[list[float], list[float]]:
    """One step of PyBullet's position motors (default gains) from positions q toward their
    targets within their velocity limits: (positions, velocities)."""
    positions, velocities = [], []
    for q_i, target, limit in zip(q, targets, limits, strict=True):
        v = max(-limit, min(limit, POSITION_GAIN * (target - q_i) / dt))
        positions.append(q_i + v * dt)
        velocities.append(v)
    return positions, velocities


class JointTrack:
    """The coming states of one joint under the position law, computed ahead in blocks and
    handed out in order (the states position_law gives step by step)."""

    def __init__(self, q: float, target: float, limit: float, dt: float) -> None:
        self.target, self.limit, self.dt = target, limit, dt
        self._q = float(q)  # the state the buffer continues from
        self._fixed_v: float | None = None  # set once q + v dt rounds to q
        self._positions = self._velocities = np.empty(0)  # the states computed ahead
        self._next = 0  # index of the next state to hand out

    @classmethod
    def turning(cls, q: float, velocity: float, dt: float) -> JointTrack:
        """A joint turned at a constant velocity (a velocity motor that reaches its target
        within the step: q <- q + v dt), as the law with a target out at infinity."""
        return cls(q, math.copysign(math.inf, velocity), abs(velocity), dt)

    def ahead(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next n states (positions, velocities), without taking them."""
        end = self._computed(n)
        return self._positions[self._next : end], self._velocities[self._next : end]

    def take(self, n: int) -> tuple[float, float]:
        """Take the next n >= 1 states; the last one (position, velocity)."""
        self._next = end = self._computed(n)
        return float(self._positions[end - 1]), float(self._velocities[end - 1])

    def _computed(self, n: int) -> int:
        """The buffer index just past the next n states, computing them if need be."""
        if self._next + n > len(self._positions):
            self._extend(n)
        return self._next + n

    def _extend(self, wanted: int) -> None:
        """Compute states until `wanted` are ahead of the next one (in blocks of at least
        BLOCK), dropping those already handed out."""
        ahead = len(self._positions) - self._next
        n = max(wanted - ahead, BLOCK)
        positions, velocities = np.empty(n), np.empty(n)
        q, i = self._q, 0
        target, limit, dt = self.target, self.limit, self.dt
        while i < n:
            if self._fixed_v is not None:
                positions[i:], velocities[i:] = q, self._fixed_v
                break
            raw = POSITION_GAIN * (target - q) / dt
            if raw > limit or raw < -limit:  # saturated: the same increment every step
                v = limit if raw > limit else -limit
                run = np.add.accumulate(np.concatenate(([q], np.full(n - i, v * dt))))[1:]
                asks = POSITION_GAIN * (target - run[:-1]) / dt  # the next steps' velocities
                still = asks > limit if v > 0 else asks < -limit
                steps = len(run) if still.all() else int(np.argmin(still)) + 1
                positions[i : i + steps], velocities[i : i + steps] = run[:steps], v
                q, i = float(run[steps - 1]), i + steps
                continue
            following = q + raw * dt
            positions[i], velocities[i] = following, raw
            if following == q:
                self._fixed_v = raw
            q, i = following, i + 1
        self._q = q
        kept = slice(self._next, None)
        self._positions = np.concatenate((self._positions[kept], positions))
        self._velocities = np.concatenate((self._velocities[kept], velocities))
        self._next = 0


class PositionTracks:
    """JointTracks of several joints stepped together (a coast's joints)."""

    def __init__(
        self, q: Sequence[float], targets: Sequence[float], limits: Sequence[float], dt: float
    ) -> None:
        self._tracks = [JointTrack(*state, dt) for state in zip(q, targets, limits, strict=True)]

    def positions_ahead(self, n: int) -> np.ndarray:
        """The next n states' positions, one row a step (n x joints), without taking them."""
        return np.column_stack([track.ahead(n)[0] for track in self._tracks])

    def take(self, n: int) -> tuple[list[float], list[float]]:
        """Take the next n >= 1 states; the last one (positions, velocities)."""
        last = [track.take(n) for track in self._tracks]
        return [q for q, _v in last], [v for _q, v in last]
