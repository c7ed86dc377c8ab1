"""The SHA's joint trajectory controller in the simulator, with the semantics that
ros2_controllers' joint_trajectory_controller documents for control_msgs/FollowJointTrajectory:

- validation: joint names (known, none twice, all of them: no partial goals), a non-empty
  trajectory, strictly increasing time_from_start, sizes of positions / velocities /
  accelerations, positions and velocities within the joint limits, no multi-DOF joints, a
  header stamp whose trajectory does not end in the past; each failure has its error code
  (INVALID_JOINTS, INVALID_GOAL, OLD_HEADER_TIMESTAMP) and a message naming the value
  (the rules: aca_sim.motion.trajectory_goal);
- interpolation from the state the goal found (aca_sim.motion.joint_trajectory);
- path tolerances while the trajectory runs, goal tolerances after its end within
  goal_time_tolerance (0 in a goal: the controller's default; -1: no limit); a violation
  holds the arm where it is and ends with PATH_TOLERANCE_VIOLATED or GOAL_TOLERANCE_VIOLATED;
- closing the operation (cancel, preemption) holds the arm where it is.

The simulated servo: each physics step every joint's motor asks for the step's mean desired
velocity plus position_gain * (desired - actual) / dt, within its velocity and effort limits
(so an obstacle stops the arm, and the error grows until the path tolerance trips).

No ROS here (aca_sim.sim_servers.trajectory_server converts messages). Thread rule: physics
thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aca_sim.model.names import SHA_JOINTS
from aca_sim.motion.joint_trajectory import SampledTrajectory
from aca_sim.motion.trajectory_goal import (
    ControllerConfig,
    FollowError,
    FollowGoal,
    FollowResult,
    goal_tolerances,
    validate,
    verdict,
)
from aca_sim.sim.coasting import MIN_STEPS
from aca_sim.sim.operation import Leap, Operation
from aca_sim.sim.sha import Sha
from aca_sim.sim.tracking_coast import ServoLeap, servo_leap


@dataclass(frozen=True)
class TrackingFeedback(Leap):
    """Feedback of a followed trajectory: controller joint order; desired, actual and error
    as (positions, velocities); t_s is the time from the trajectory's start. A Leap: the
    steps (usually 1) the follower takes before it looks again."""

    joint_names: tuple[str, ...] = ()
    desired: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())
    actual: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())
    error: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())
    t_s: float = 0.0


# ---------------------------------------------------------------------- following
class ActiveTrajectory:
    """The trajectory a controller follows now, for its ~/query_state and ~/controller_state:
    set and cleared by follow() on the physics thread, read from others (one reference, a
    pure SampledTrajectory: no lock needed)."""

    def __init__(self) -> None:
        self.current: tuple[SampledTrajectory, float] | None = None  # (trajectory, start s)

    def at(self, time_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | str:
        """Positions, velocities, accelerations the trajectory asks for at sim time time_s,
        or why there are none (joint_trajectory_controller's words)."""
        current = self.current
        if current is None:
            return "Currently there is no valid trajectory instance."
        trajectory, start_s = current
        if time_s < start_s:
            return "Requested sample time is earlier than the current trajectory start time."
        if time_s >= start_s + trajectory.end_s:
            return "Requested sample time precedes the current trajectory end time."
        return trajectory.sample(time_s - start_s)


def follow(
    sha: Sha,
    goal: FollowGoal,
    config: ControllerConfig,
    guard_force_n: float | None = None,
    phase: str = "follow",
    active: ActiveTrajectory | None = None,
) -> Operation[FollowResult]:
    """Follow a goal's trajectory with the SHA; the result says how it ended (every
    controller outcome is a result, not an exception). With guard_force_n, a contact force
    that rises that much above the start's raises StepError MOTION_FAILED (the caching
    steps' guard; the ROS controller has none, as ros2_controllers' has none). It yields a
    TrackingFeedback at the controller's feedback rate, and None (or a Leap) between.

    In free space, with the model's fidelity "fast", the servo's steps coast
    (sim.tracking_coast): the same law without contact dynamics, several steps a look.
    With `active`, the trajectory is there while it is followed."""
    world, mech, coaster = sha.world, sha.mech, sha.coaster
    try:
        command = validate(config, goal, world.time_s, sha.limits)
        tolerances = goal_tolerances(config, goal)
    except FollowError as error:
        return FollowResult(error.code, error.message, tuple(sha.joint_positions()))
    guard = None if guard_force_n is None else guard_force_n + sha.collision_force()
    start_s = command.start_stamp_s or world.time_s
    q, v = _measured(sha)
    trajectory = SampledTrajectory(command, q, v)
    end_s, dt = trajectory.end_s, world.dt
    feedback_every = max(1, round(1.0 / (config.feedback_rate_hz * dt)))
    speed_limits = np.array([limit.velocity * config.velocity_margin for limit in sha.limits])

    def servo(desired_q: np.ndarray, feed_forward: np.ndarray) -> None:
        """One step's motor command: the mean desired velocity of the step feeds forward so
        that a joint on track stays on track; position_gain pulls an error back (x (1 -
        gain) a step)."""
        for name, limit, top_speed, target, speed in zip(
            config.joints, sha.limits, speed_limits, desired_q, feed_forward, strict=True
        ):
            mech.command_joint(
                name,
                "position",
                float(target),
                float(top_speed),
                limit.effort,
                float(speed),
                config.position_gain,
            )

    def judged(t: float, desired: tuple, q: np.ndarray, v: np.ndarray, a: np.ndarray) -> bool:
        errors = (desired[0] - q, desired[1] - v, desired[2] - a)
        return verdict(config.joints, t, end_s, tolerances, errors, (v, a)) is not None

    def coasted(t: float, state: tuple[np.ndarray, np.ndarray], step: int) -> ServoLeap | None:
        """The servo steps queued on a coast up to the next look, or None: full physics
        takes this step (no clearance is asked when only a few steps are left)."""
        if not coaster.granted() and t + MIN_STEPS * dt >= end_s:
            return None
        coast = coaster.tracking(servo, speed_limits)
        if coast is None:
            return None
        until_feedback = feedback_every - step % feedback_every
        leap = servo_leap(
            trajectory,
            t,
            dt,
            state,
            config.position_gain,
            speed_limits,
            min(until_feedback, coast.steps_left),
            judged,
        )
        if not leap.steps:  # the law clips at once: full physics takes the step
            coaster.pause()
            return None
        coast.feed(leap.steps)
        return leap

    previous_v = v
    step = 0
    if active is not None:
        active.current = (trajectory, start_s)
    try:
        while True:
            t = world.time_s - start_s
            q, v = _measured(sha)
            desired_q, desired_v, desired_a = trajectory.sample(t)
            if guard is not None and not coaster.granted():  # a coast touches nothing
                sha.guard_contact(guard, phase)
            acceleration = (v - previous_v) / dt
            ended = verdict(
                config.joints,
                t,
                end_s,
                tolerances,
                (desired_q - q, desired_v - v, desired_a - acceleration),
                (v, acceleration),
            )
            if ended is not None:
                coaster.stop()
                if not ended.succeeded:
                    sha.hold()
                return FollowResult(ended.code, ended.message, tuple(float(x) for x in q))
            leap = coasted(t, (q, v), step)
            if leap is None:
                previous_v, steps = v, 1
                servo(desired_q, (trajectory.sample(t + dt)[0] - desired_q) / dt)
            else:
                previous_v, steps = leap.previous_velocities, len(leap.steps)
            progress = min(1.0, max(0.0, t / end_s)) if end_s > 0 else 1.0
            if step % feedback_every == 0:
                yield TrackingFeedback(
                    phase,
                    progress,
                    steps=steps,
                    joint_names=config.joints,
                    desired=(_floats(desired_q), _floats(desired_v)),
                    actual=(_floats(q), _floats(v)),
                    error=(_floats(desired_q - q), _floats(desired_v - v)),
                    t_s=t,
                )
            else:
                yield Leap(phase, progress, steps=steps) if steps > 1 else None
            step += steps
    except BaseException:
        coaster.stop()
        sha.hold()
        raise
    finally:
        if active is not None and active.current is not None and active.current[0] is trajectory:
            active.current = None


def _measured(sha: Sha) -> tuple[np.ndarray, np.ndarray]:
    positions, velocities = sha.mech.positions_and_velocities(SHA_JOINTS)
    return np.array(positions), np.array(velocities)


def _floats(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(x) for x in values)
