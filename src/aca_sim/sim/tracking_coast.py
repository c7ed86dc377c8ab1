"""Coasting a followed trajectory: the trajectory controller's servo law applied to the SHA's
joints directly, a leap of steps at a time (the fast path of planned moves).

Each physics step the controller (sim.trajectory_controller) asks every joint's motor for
v = ff + gain * (desired - q) / dt, ff being the step's mean desired velocity, within the
joint's velocity limit, and the SHA's motors reach it within the step (their efforts dwarf
the arm's weight). Far from any contact (sim.coasting grants the steps) that is the whole
motion: q += v * dt. Unclipped, the tracking error shrinks by (1 - gain) a step.

A leap runs the law from the state the follower measured, one state per step, and stops
- after the first state on which the controller's verdict is not None (the follower looks
  there and ends the follow as it would have, on the same numbers),
- before a step on which the law would clip a velocity (full physics takes that step),
- at the next feedback step, or when the grant is spent.
Its states are queued on a TrackingCoast, which writes them step by step. When the coast ends
it hands PyBullet's motors the command full physics would hold: the command of the step being
taken when the world changed under it, else the last step's.

Thread rule: the physics thread. Units: m, rad, s (joint order: the controller's).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aca_sim.motion.joint_trajectory import SampledTrajectory
from aca_sim.sim.coast import Coast

if TYPE_CHECKING:
    from aca_sim.sim.world import World

ServoCommand = Callable[[np.ndarray, np.ndarray], None]
"""Gives the motors one step's command: desired positions, feed-forward velocities."""

Judge = Callable[[float, tuple, np.ndarray, np.ndarray, np.ndarray], bool]
"""Whether the controller would end the follow on a state: (time from the trajectory's
start s, desired (q, v, a), positions, velocities, accelerations)."""


@dataclass(frozen=True)
class ServoStep:
    """One step of the servo law: the command given (desired positions, feed-forward
    velocities) and the joints' state after the step (positions, velocities)."""

    desired: np.ndarray
    feed_forward: np.ndarray
    positions: np.ndarray
    velocities: np.ndarray


@dataclass(frozen=True)
class ServoLeap:
    """The steps of a leap (maybe none: the law clips at once) and the velocities one step
    before its end (the follower's previous velocities when it looks next)."""

    steps: tuple[ServoStep, ...]
    previous_velocities: np.ndarray


def servo_leap(
    trajectory: SampledTrajectory,
    t: float,
    dt: float,
    state: tuple[np.ndarray, np.ndarray],
    gain: float,
    limits: np.ndarray,
    max_steps: int,
    judged: Judge,
) -> ServoLeap:
    """The servo law's steps from the measured state (positions, velocities) at t s after
    the trajectory's start: at most max_steps, none clipped, ending on the first state that
    `judged` ends the follow on."""
    q, v = state
    previous = v
    steps: list[ServoStep] = []
    desired = trajectory.sample(t)[0]
    for k in range(max_steps):
        following = trajectory.sample(t + (k + 1) * dt)
        feed_forward = (following[0] - desired) / dt
        velocity = feed_forward + gain * (desired - q) / dt
        if np.any(np.abs(velocity) > limits):
            break
        q = q + velocity * dt
        steps.append(ServoStep(desired, feed_forward, q, velocity))
        acceleration = (velocity - v) / dt
        previous, v = v, velocity
        if judged(t + (k + 1) * dt, following, q, velocity, acceleration):
            break
        desired = following[0]
    return ServoLeap(tuple(steps), previous)


class TrackingCoast(Coast):
    """A coast that writes the servo steps a follower queues (feed), and hands the motors
    the servo's command when it ends (`command`: how the follower commands them)."""

    def __init__(
        self,
        world: World,
        joints: Sequence[str],
        carrier: str,
        carried: Sequence[int],
        command: ServoCommand,
    ):
        super().__init__(world, joints, carrier, carried)
        self._command = command
        self._queue: deque[ServoStep] = deque()
        self._last: ServoStep | None = None

    def serves(self, command: ServoCommand) -> bool:
        """Whether this coast queues the steps of the follower that commands with `command`."""
        return self._command is command

    def feed(self, steps: Sequence[ServoStep]) -> None:
        """Queue the next steps (no more than the steps granted)."""
        if len(self._queue) + len(steps) > self.steps_left:
            granted = self.steps_left
            raise ValueError(f"{len(steps)} servo steps queued beyond the {granted} granted")
        self._queue.extend(steps)

    def _next_state(self) -> tuple[list[float], list[float]] | None:
        if not self._queue:
            return None
        self._last = step = self._queue.popleft()
        return step.positions.tolist(), step.velocities.tolist()

    def _hand_over(self, world_changed: bool) -> None:
        step = self._queue[0] if world_changed and self._queue else self._last
        self._queue.clear()
        if step is not None:
            self._command(step.desired, step.feed_forward)
