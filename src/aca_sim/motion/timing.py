"""Time a joint path within velocity, acceleration and jerk limits, with ruckig (one call per
segment: the free edition sends multi-waypoint requests to a cloud service).

Each waypoint first gets a passing velocity (none at the ends); a segment between waypoints
with passing velocities is not a straight line in joint space, so every segment is checked
along its time by conservative advancement against the collision model. A segment that
leaves free space is fixed, not flagged: its waypoints are made rest points, which turns it
into a phase-synchronised straight line (the motion the planner checked), and the timing is
done again. No ROS here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from ruckig import InputParameter, Result, Ruckig, Synchronization
from ruckig import Trajectory as RuckigTrajectory

from aca_sim.motion.errors import MoveItErrorCode, PlanningError
from aca_sim.motion.planner import MIN_CLEARANCE_M
from aca_sim.motion.trajectory import Segment, Trajectory

Q = tuple[float, ...]
PASSING_SPEED = 0.5  # passing velocity as a share of the slowest joint's limit on its path


@dataclass(frozen=True)
class Limits:
    """Per-joint velocity, acceleration and jerk limits (m or rad per s, s^2, s^3)."""

    velocity: tuple[float, ...]
    acceleration: tuple[float, ...]
    jerk: tuple[float, ...]

    def scaled(self, velocity_scale: float, acceleration_scale: float) -> Limits:
        """The limits times moveit's scaling factors (0 < scale <= 1)."""
        for name, scale in (("velocity", velocity_scale), ("acceleration", acceleration_scale)):
            if not 0.0 < scale <= 1.0:
                raise PlanningError(
                    MoveItErrorCode.INVALID_MOTION_PLAN,
                    f"max_{name}_scaling_factor {scale} is not in (0, 1]",
                )
        return Limits(
            tuple(v * velocity_scale for v in self.velocity),
            tuple(a * acceleration_scale for a in self.acceleration),
            self.jerk,
        )


def _segment(start: Q, v0: Q, goal: Q, v1: Q, limits: Limits, phase: bool) -> RuckigTrajectory:
    dofs = len(start)
    inp = InputParameter(dofs)
    inp.current_position, inp.current_velocity = list(start), list(v0)
    inp.current_acceleration = [0.0] * dofs
    inp.target_position, inp.target_velocity = list(goal), list(v1)
    inp.target_acceleration = [0.0] * dofs
    inp.max_velocity, inp.max_acceleration = list(limits.velocity), list(limits.acceleration)
    inp.max_jerk = list(limits.jerk)
    inp.synchronization = Synchronization.Phase if phase else Synchronization.Time
    trajectory = RuckigTrajectory(dofs)
    result = Ruckig(dofs).calculate(inp, trajectory)
    if result not in (Result.Working, Result.Finished):
        raise PlanningError(
            MoveItErrorCode.INVALID_MOTION_PLAN, f"ruckig could not time a segment: {result}"
        )
    return trajectory


def _passing_velocities(path: Sequence[Q], limits: Limits, rests: set[int]) -> list[Q]:
    """Velocity at each waypoint: zero at the ends and at rest points; elsewhere along the
    bisector of the neighbouring segments, at PASSING_SPEED of what the slowest joint on
    that direction allows."""
    velocities = []
    for i, q in enumerate(path):
        if i in rests or i == 0 or i == len(path) - 1:
            velocities.append(tuple(0.0 for _ in q))
            continue
        incoming = np.subtract(q, path[i - 1])
        outgoing = np.subtract(path[i + 1], q)
        direction = incoming / (np.linalg.norm(incoming) or 1.0) + outgoing / (
            np.linalg.norm(outgoing) or 1.0
        )
        if not np.any(direction):
            velocities.append(tuple(0.0 for _ in q))
            continue
        ratio = min(
            limit / abs(component)
            for limit, component in zip(limits.velocity, direction, strict=True)
            if component
        )
        velocities.append(tuple(float(x) for x in direction * ratio * PASSING_SPEED))
    return velocities


def time_path(
    path: Sequence[Q],
    joint_names: Sequence[str],
    limits: Limits,
    clearance: Callable[[Q], float] | None = None,
    sweep_bound: Callable[[Q], float] | None = None,
) -> Trajectory:
    """A timed trajectory through every waypoint of a path. With the collision model's
    clearance and sweep bound (how far the arm can move for given joint changes), segments
    that would leave free space are made straight rest-to-rest motions."""
    if (clearance is None) != (sweep_bound is None):
        raise ValueError("give both clearance and sweep_bound, or neither")
    top_speed = sweep_bound(limits.velocity) if sweep_bound is not None else 0.0
    rests: set[int] = set()
    while True:
        velocities = _passing_velocities(path, limits, rests)
        segments, start, bad = [], 0.0, None
        for i in range(len(path) - 1):
            straight = not any(velocities[i]) and not any(velocities[i + 1])
            timed = _segment(
                path[i], velocities[i], path[i + 1], velocities[i + 1], limits, straight
            )
            segment = Segment(start, timed.duration, timed.at_time)
            if (
                not straight
                and clearance is not None
                and not _segment_is_free(segment, clearance, top_speed)
            ):
                bad = i
                break
            segments.append(segment)
            start += timed.duration
        if bad is None:
            return Trajectory(tuple(joint_names), tuple(segments))
        rests |= {bad, bad + 1}


def _segment_is_free(segment: Segment, clearance: Callable[[Q], float], top_speed: float) -> bool:
    """Conservative advancement along a segment's time: at clearance d, no point of the arm
    reaches an obstacle for d / top_speed seconds (top_speed: the fastest any point of the
    arm moves within the joint velocity limits, m/s)."""
    t = 0.0
    while True:
        gap = clearance(tuple(segment.at(t)[0]))
        if gap < MIN_CLEARANCE_M:
            return False
        if t >= segment.duration_s:
            return True
        t = min(segment.duration_s, t + gap / top_speed)
