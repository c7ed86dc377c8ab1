"""Timed joint trajectories: jerk-limited segments one after another, sampled in time.

A Trajectory is what the planner hands to execution (and what moveit_py calls a
RobotTrajectory): the joint names and, per segment, its start time (s from the trajectory's
start) and a function of time giving positions, velocities and accelerations (m, rad, and
their rates). points() samples it as a trajectory_msgs/JointTrajectory would carry it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

Vector = tuple[float, ...]
Sample = tuple[Vector, Vector, Vector]  # positions, velocities, accelerations


@dataclass(frozen=True)
class Segment:
    """One segment of a trajectory: starts at `start_s`, lasts `duration_s`, at(t) with t
    from the segment's own start."""

    start_s: float
    duration_s: float
    at: Callable[[float], Sample]


@dataclass(frozen=True)
class TrajectoryPoint:
    """A sample of a trajectory at time_from_start_s."""

    time_from_start_s: float
    positions: Vector
    velocities: Vector
    accelerations: Vector


@dataclass(frozen=True)
class Trajectory:
    """A timed trajectory of the named joints."""

    joint_names: tuple[str, ...]
    segments: tuple[Segment, ...]

    @property
    def duration_s(self) -> float:
        """Total duration, s."""
        last = self.segments[-1]
        return last.start_s + last.duration_s

    def sample(self, t: float) -> Sample:
        """Positions, velocities and accelerations at time t (clamped to the trajectory)."""
        t = min(max(t, 0.0), self.duration_s)
        for segment in self.segments:
            if t <= segment.start_s + segment.duration_s:
                return _tuples(segment.at(t - segment.start_s))
        return _tuples(self.segments[-1].at(self.segments[-1].duration_s))

    def points(self, period_s: float) -> list[TrajectoryPoint]:
        """Samples every period_s from 0, the end and every segment boundary included."""
        times = {0.0, self.duration_s}
        times |= {s.start_s for s in self.segments}
        n = int(self.duration_s / period_s)
        times |= {i * period_s for i in range(1, n + 1)}
        return [
            TrajectoryPoint(t, *self.sample(t))
            for t in sorted(times)
            if t <= self.duration_s + 1e-12
        ]

    @property
    def waypoints(self) -> list[Vector]:
        """The positions at the segment boundaries (start, ..., end)."""
        starts = [self.sample(s.start_s)[0] for s in self.segments]
        return [*starts, self.sample(self.duration_s)[0]]


def _tuples(sample: Sequence[Sequence[float]]) -> Sample:
    return tuple(tuple(float(x) for x in part) for part in sample)  # type: ignore[return-value]
