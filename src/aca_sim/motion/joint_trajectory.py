"""A joint trajectory as trajectory_msgs/JointTrajectory carries it, and its interpolation as
ros2_controllers' joint_trajectory_controller does it: between two points a quintic when the
points give positions, velocities and accelerations, a cubic with positions and velocities,
a straight line with positions alone. Before the first point the trajectory runs from the
state it started in (positions, velocities); after the last it holds the last positions.

Times are s from the trajectory's start; units m (sha_z) and rad; no ROS here.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aca_sim.motion.trajectory import Trajectory

Vector = tuple[float, ...]


@dataclass(frozen=True)
class JointPoint:
    """One point: its time from the trajectory's start (s), positions, and velocities and
    accelerations (each empty when not given)."""

    time_from_start_s: float
    positions: Vector
    velocities: Vector = ()
    accelerations: Vector = ()


@dataclass(frozen=True)
class JointTrajectoryCommand:
    """A trajectory for named joints. start_stamp_s: when it starts (sim time, s); 0 means
    "when it arrives", as header.stamp 0 does."""

    joint_names: tuple[str, ...]
    points: tuple[JointPoint, ...]
    start_stamp_s: float = 0.0

    @property
    def duration_s(self) -> float:
        """Time of the last point from the start, s (0 without points)."""
        return self.points[-1].time_from_start_s if self.points else 0.0

    def reordered(self, names: Sequence[str]) -> JointTrajectoryCommand:
        """The same trajectory with its joints in the order of `names` (all must be there)."""
        index = [self.joint_names.index(name) for name in names]

        def pick(values: Vector) -> Vector:
            return tuple(values[i] for i in index) if values else ()

        points = tuple(
            JointPoint(
                p.time_from_start_s, pick(p.positions), pick(p.velocities), pick(p.accelerations)
            )
            for p in self.points
        )
        return JointTrajectoryCommand(tuple(names), points, self.start_stamp_s)


class SampledTrajectory:
    """Interpolates a trajectory that starts from a known state. sample(t) gives positions,
    velocities and accelerations at t s after the trajectory's start. The polynomials are
    made once (coefficients of t^0..t^5 per joint and segment, with those of their first and
    second derivatives stacked under them); a sample costs a bisection and one small
    product."""

    def __init__(
        self,
        command: JointTrajectoryCommand,
        start_positions: Sequence[float],
        start_velocities: Sequence[float],
    ) -> None:
        n = len(command.joint_names)
        first = JointPoint(0.0, tuple(start_positions), tuple(start_velocities), (0.0,) * n)
        points = list(command.points)
        if points and points[0].time_from_start_s <= 0.0:
            first = points.pop(0)  # a first point at time 0 replaces the start state
        self.points = [first, *points]
        self.n = n
        self._times = [p.time_from_start_s for p in self.points]
        self._coefficients = [
            _with_derivatives(_coefficients(a, b, n))
            for a, b in zip(self.points, self.points[1:], strict=False)
        ]

    @property
    def end_s(self) -> float:
        """Time of the last point, s."""
        return self._times[-1]

    def sample(self, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions, velocities, accelerations at time t (s from the trajectory's start)."""
        times = self._times
        if t <= times[0]:
            return _state(self.points[0], self.n, moving=t >= times[0])
        if t >= times[-1]:
            return _state(self.points[-1], self.n, moving=False)
        i = bisect.bisect_right(times, t) - 1
        u = t - times[i]
        values = self._coefficients[i] @ np.array((1.0, u, u * u, u**3, u**4, u**5))
        n = self.n
        return values[:n], values[n : 2 * n], values[2 * n :]


def _with_derivatives(c: np.ndarray) -> np.ndarray:
    """(3n x 6): the n x 6 coefficients of t^0..t^5, then those of their first and second
    time derivatives over the same powers (zero where a power has no term)."""
    n = c.shape[0]
    stacked = np.zeros((3 * n, 6))
    stacked[:n] = c
    stacked[n : 2 * n, :5] = c[:, 1:] * (1.0, 2.0, 3.0, 4.0, 5.0)  # d/dt of t^1..t^5
    stacked[2 * n :, :4] = c[:, 2:] * (2.0, 6.0, 12.0, 20.0)  # d2/dt2 of t^2..t^5
    return stacked


def _state(point: JointPoint, n: int, moving: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    position = np.asarray(point.positions, dtype=float)
    if not moving:
        return position, np.zeros(n), np.zeros(n)
    velocity = np.asarray(point.velocities or (0.0,) * n, dtype=float)
    acceleration = np.asarray(point.accelerations or (0.0,) * n, dtype=float)
    return position, velocity, acceleration


def _coefficients(a: JointPoint, b: JointPoint, n: int) -> np.ndarray:
    """Coefficients (n x 6, of t^0..t^5, t from a) of the segment from a to b: a quintic when
    b gives accelerations, a cubic when it gives velocities, else a straight line."""
    span = b.time_from_start_s - a.time_from_start_s
    p0, p1 = np.asarray(a.positions, float), np.asarray(b.positions, float)
    c = np.zeros((n, 6))
    c[:, 0] = p0
    if not b.velocities:
        c[:, 1] = (p1 - p0) / span
        return c
    v0 = np.asarray(a.velocities or (0.0,) * n, float)
    v1 = np.asarray(b.velocities, float)
    c[:, 1] = v0
    if not b.accelerations:
        c[:, 2] = (3 * (p1 - p0) - (2 * v0 + v1) * span) / span**2
        c[:, 3] = (2 * (p0 - p1) + (v0 + v1) * span) / span**3
        return c
    a0 = np.asarray(a.accelerations or (0.0,) * n, float)
    a1 = np.asarray(b.accelerations, float)
    d = p1 - p0 - v0 * span - a0 * span**2 / 2  # what the quintic terms must add at the end
    dv = v1 - v0 - a0 * span
    da = a1 - a0
    c[:, 2] = a0 / 2
    c[:, 3] = (10 * d - 4 * dv * span + da * span**2 / 2) / span**3
    c[:, 4] = (-15 * d + 7 * dv * span - da * span**2) / span**4
    c[:, 5] = (6 * d - 3 * dv * span + da * span**2 / 2) / span**5
    return c


def command_from(trajectory: Trajectory, period_s: float = 0.05) -> JointTrajectoryCommand:
    """A planned trajectory as points every period_s (and at its segment boundaries), each
    with positions, velocities and accelerations: a quintic between them reproduces the
    jerk-limited motion to well under a micrometre. The first point is at time 0."""
    points = tuple(
        JointPoint(p.time_from_start_s, p.positions, p.velocities, p.accelerations)
        for p in trajectory.points(period_s)
    )
    return JointTrajectoryCommand(trajectory.joint_names, points)
