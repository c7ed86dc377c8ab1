"""Realtime jogging of the SHA as MoveIt Servo does it, one control period at a time: a joint
jog (joint velocities), a twist of the fork or a pose target becomes the joints' velocities
for the next period, within the joint limits of config/joint_limits.yaml (velocity, and
acceleration from the last command), slowed near a singularity and near an obstacle,
stopped at the joints' bounds and short of contact, with a status code as Servo's
(moveit_msgs/ServoStatus).

What differs from MoveIt Servo, on purpose, for this three-joint arm (z, shoulder, elbow):
- a twist's linear part is followed exactly; its angular z (the fork's yaw, shoulder + elbow)
  only when commanded, then in least squares with the linear part; angular x and y cannot
  be followed (the fork does not tilt) and are reported in the message;
- near an obstacle the speed toward it is limited so that braking at
  collision_deceleration stops the arm collision_stop_distance short of contact, and scaled
  down linearly (to min_collision_scale) inside the proximity threshold; motion that does not
  reduce the clearance is not slowed (Servo slows every motion);
- singularity: the condition number of the fork's planar Jacobian (the elbow straight or
  folded), scaled only while approaching it, halted at the hard threshold (or once the
  slow-down is below HALT_SCALE of the command: a linear slow-down only creeps up to it);
- a halt (timeout, pause) brakes every joint at its acceleration limit, so the arm stops
  within incoming_command_timeout + the braking time (v / a), not at once.
No ROS here (aca_sim.nodes.servo_node). Frames: aca_frame, or the fork's (sha_tool: x along
the fork, z up). Units: m, rad, s. Thread rule: one thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from aca_sim.model.names import FORK_LINK, ROOT_FRAME, SHA_JOINTS
from aca_sim.motion.kinematics import JointPositions, ScaraKinematics
from aca_sim.motion.timing import Limits

HALT_SCALE = 0.02  # a slow-down below this fraction of the command halts


class ServoCode(IntEnum):
    """moveit_msgs/ServoStatus codes."""

    INVALID = -1
    NO_WARNING = 0
    DECELERATE_FOR_APPROACHING_SINGULARITY = 1
    HALT_FOR_SINGULARITY = 2
    DECELERATE_FOR_LEAVING_SINGULARITY = 3
    DECELERATE_FOR_COLLISION = 4
    HALT_FOR_COLLISION = 5
    JOINT_BOUND = 6


@dataclass(frozen=True)
class ServoSettings:
    """MoveIt Servo's parameters this servo has (names as Servo's), plus the collision
    braking of this one. command_in_type "unitless": commands in [-1, 1] times the scale;
    "speed_units": m/s and rad/s."""

    publish_period: float = 0.034  # s
    incoming_command_timeout: float = 0.1  # s
    command_in_type: str = "unitless"
    scale_linear: float = 0.02  # m/s at 1.0 (unitless)
    scale_rotational: float = 0.2  # rad/s at 1.0
    scale_joint: float = 0.1  # rad/s (m/s for sha_z) at 1.0
    check_collisions: bool = True
    scene_collision_proximity_threshold: float = 0.008  # m: slow down inside this clearance
    collision_stop_distance: float = 0.002  # m: stop this far from contact
    collision_deceleration: float = 0.02  # m/s^2: braking toward an obstacle
    min_collision_scale: float = 0.3  # the slowest speed fraction in the proximity zone
    lower_singularity_threshold: float = 17.0
    hard_stop_singularity_threshold: float = 30.0
    joint_limit_margin: float = 0.01  # m or rad inside each bound
    pose_gain: float = 2.0  # 1/s: pose tracking's speed per m of error

    def __post_init__(self) -> None:
        if self.command_in_type not in ("unitless", "speed_units"):
            raise ValueError(
                f"command_in_type {self.command_in_type!r}: use 'unitless' or 'speed_units'"
            )
        for name in ("publish_period", "incoming_command_timeout", "collision_deceleration"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")


class ServoInputError(ValueError):
    """A command this servo cannot follow (unknown joint, frame, sizes); the message names
    the value."""


@dataclass(frozen=True)
class ServoCommand:
    """The joints' target for the next period: positions (m, rad) reached after `period_s`
    at velocities (m/s, rad/s), and the status."""

    positions: tuple[float, ...]
    velocities: tuple[float, ...]
    period_s: float
    code: ServoCode
    message: str


MESSAGES = {
    ServoCode.NO_WARNING: "No warnings",
    ServoCode.DECELERATE_FOR_APPROACHING_SINGULARITY: "Closer to a singularity, decelerating",
    ServoCode.HALT_FOR_SINGULARITY: "Very close to a singularity, halted",
    ServoCode.DECELERATE_FOR_COLLISION: "Close to a collision, decelerating",
    ServoCode.HALT_FOR_COLLISION: "Collision ahead, halted short of contact",
    ServoCode.JOINT_BOUND: "Joint position limit reached",
}


class Servo:
    """Turns commands into the next period's joint targets. `clearance(q)` is the distance
    (m) from the arm at joint values q to the nearest obstacle (the planning scene's)."""

    def __init__(
        self,
        kinematics: ScaraKinematics,
        limits: Limits,
        bounds: Sequence[tuple[float, float]],
        clearance: Callable[[Sequence[float]], float],
        settings: ServoSettings | None = None,
    ) -> None:
        self.kin, self.limits, self.bounds = kinematics, limits, list(bounds)
        self.clearance = clearance
        self.settings = settings or ServoSettings()
        self.velocity = np.zeros(len(SHA_JOINTS))  # the last commanded, m/s and rad/s
        self.notes = ""  # what a command asked that the arm cannot do

    # ------------------------------------------------------------------ commands to velocities
    def joint_velocities(self, names: Sequence[str], values: Sequence[float]) -> np.ndarray:
        """A JointJog's velocities by joint name (the others: 0)."""
        if len(names) != len(values):
            raise ServoInputError(f"{len(names)} joint names but {len(values)} velocities")
        unknown = sorted(set(names) - set(SHA_JOINTS))
        if unknown:
            raise ServoInputError(f"joints {unknown}: the sha group is {list(SHA_JOINTS)}")
        wanted = np.zeros(len(SHA_JOINTS))
        scale = self.settings.scale_joint if self.settings.command_in_type == "unitless" else 1.0
        for name, value in zip(names, values, strict=True):
            if not math.isfinite(value):
                raise ServoInputError(f"{name} velocity {value!r} is not finite")
            wanted[SHA_JOINTS.index(name)] = float(value) * scale
        return wanted

    def twist_velocities(
        self,
        q: Sequence[float],
        frame: str,
        linear: Sequence[float],
        angular: Sequence[float],
    ) -> np.ndarray:
        """The joint velocities that move the fork at a twist given in `frame` (aca_frame,
        "" for it, or sha_tool)."""
        values = [*linear, *angular]
        if not all(math.isfinite(v) for v in values):
            raise ServoInputError(f"twist {values} is not finite")
        if self.settings.command_in_type == "unitless":
            linear = [v * self.settings.scale_linear for v in linear]
            angular = [w * self.settings.scale_rotational for w in angular]
        return self._rates(q, frame, linear, angular)

    def pose_velocities(self, q: Sequence[float], target: Sequence[float]) -> np.ndarray:
        """Joint velocities toward a target position of the fork (aca_frame, m): its error
        times pose_gain, at most scale_linear m/s (the yaw follows the position)."""
        error = np.array(target, dtype=float) - self.fork_position(q)
        speed = float(np.linalg.norm(error)) * self.settings.pose_gain
        top = self.settings.scale_linear
        twist = error * self.settings.pose_gain * (min(1.0, top / speed) if speed > 0 else 0.0)
        return self._rates(q, ROOT_FRAME, twist, (0.0, 0.0, 0.0))

    def _rates(
        self, q: Sequence[float], frame: str, linear: Sequence[float], angular: Sequence[float]
    ) -> np.ndarray:
        """Joint velocities for a twist in m/s and rad/s."""
        yaw = q[1] + q[2]
        v = np.array(linear, dtype=float)
        if frame == FORK_LINK:
            c, s = math.cos(yaw), math.sin(yaw)
            v = np.array([c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]])
        elif frame not in ("", ROOT_FRAME):
            raise ServoInputError(f"twist frame {frame!r}: use {ROOT_FRAME!r} or {FORK_LINK!r}")
        self.notes = (
            f"angular x, y {angular[0]:.3g}, {angular[1]:.3g} rad/s ignored: the fork turns "
            "only about z"
            if abs(angular[0]) > 1e-9 or abs(angular[1]) > 1e-9
            else ""
        )
        jacobian = self.jacobian(q)
        if abs(angular[2]) < 1e-12:
            return np.linalg.solve(jacobian, v) if _invertible(jacobian) else np.zeros(3)
        rows = np.vstack([jacobian, [0.0, 1.0, 1.0]])
        solution, *_ = np.linalg.lstsq(rows, np.append(v, angular[2]), rcond=None)
        return solution

    # ------------------------------------------------------------------ kinematics
    def fork_position(self, q: Sequence[float]) -> np.ndarray:
        """The fork's (sha_tool) position in aca_frame, m."""
        point = self.kin.forward(JointPositions(float(q[0]), float(q[1]), float(q[2])))
        return np.array([point.x, point.y, point.z - self.kin.tube_top_above_tool])

    def jacobian(self, q: Sequence[float]) -> np.ndarray:
        """d(fork x, y, z) / d(sha_z, sha_shoulder, sha_elbow)."""
        l1, l2 = self.kin.l1, self.kin.l2
        s1, c1 = math.sin(q[1]), math.cos(q[1])
        s12, c12 = math.sin(q[1] + q[2]), math.cos(q[1] + q[2])
        return np.array(
            [
                [0.0, -l1 * s1 - l2 * s12, -l2 * s12],
                [0.0, l1 * c1 + l2 * c12, l2 * c12],
                [1.0, 0.0, 0.0],
            ]
        )

    def condition(self, q: Sequence[float]) -> float:
        """The condition number of the fork's planar Jacobian (inf at a singularity)."""
        singular = np.linalg.svd(self.jacobian(q)[:2, 1:], compute_uv=False)
        return float(singular[0] / singular[1]) if singular[1] > 1e-12 else math.inf

    # ------------------------------------------------------------------ one period
    def command(self, q: Sequence[float], wanted: np.ndarray, twist: bool = False) -> ServoCommand:
        """The next period's target from the joints now (q) and the wanted velocities:
        velocity limits, singularity (twist commands) and collision scale the wanted
        velocity, the acceleration limits then lead there from the last command (a step that
        would still end inside the stop distance halts), and the joints' bounds stop it; the
        status says which acted."""
        q = np.array(q, dtype=float)
        period = self.settings.publish_period
        v = _within(wanted, np.array(self.limits.velocity))
        code = ServoCode.NO_WARNING
        if twist:
            v, code = self._singularity(q, v)
        check = self.settings.check_collisions and code != ServoCode.HALT_FOR_SINGULARITY
        clearance = self.clearance(q) if check else math.inf  # m, now
        if check:
            v, collision_code = self._collision(q, v, clearance)
            code = collision_code if collision_code != ServoCode.NO_WARNING else code
        v = self._accelerate(v)
        if check and self._crosses_stop_distance(
            q, v, clearance
        ):  # braking at the limits is too late
            v, code = np.zeros_like(v), ServoCode.HALT_FOR_COLLISION
        if self._leaves_bounds(q, v):
            v, code = np.zeros_like(v), ServoCode.JOINT_BOUND
        self.velocity = v
        message = MESSAGES[code] + (f"; {self.notes}" if self.notes else "")
        return ServoCommand(_floats(q + v * period), _floats(v), period, code, message)

    def halt(self, q: Sequence[float]) -> ServoCommand:
        """Brake from the last command toward rest at the acceleration limits."""
        q = np.array(q, dtype=float)
        self.velocity = self._accelerate(np.zeros_like(self.velocity))
        period = self.settings.publish_period
        return ServoCommand(
            _floats(q + self.velocity * period),
            _floats(self.velocity),
            period,
            ServoCode.NO_WARNING,
            MESSAGES[ServoCode.NO_WARNING],
        )

    @property
    def moving(self) -> bool:
        """True while the last command still moves a joint."""
        return bool(np.any(np.abs(self.velocity) > 1e-12))

    def _accelerate(self, v: np.ndarray) -> np.ndarray:
        """v, or the way to it from the last command as far as the acceleration limits let
        one period go (the direction of the change kept)."""
        step = v - self.velocity
        room = np.array(self.limits.acceleration) * self.settings.publish_period
        return self.velocity + _within(step, room)

    def _singularity(self, q: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, ServoCode]:
        lower = self.settings.lower_singularity_threshold
        hard = self.settings.hard_stop_singularity_threshold
        now = self.condition(q)
        ahead = self.condition(q + v * self.settings.publish_period)
        if ahead <= now or now < lower:
            return v, ServoCode.NO_WARNING
        scale = (hard - now) / (hard - lower)
        if scale < HALT_SCALE:  # the linear slow-down would creep up to it for ever
            return np.zeros_like(v), ServoCode.HALT_FOR_SINGULARITY
        return v * scale, ServoCode.DECELERATE_FOR_APPROACHING_SINGULARITY

    def _collision(self, q: np.ndarray, v: np.ndarray, now: float) -> tuple[np.ndarray, ServoCode]:
        """Slow or stop what closes in on an obstacle (see the module docstring)."""
        s = self.settings
        period = s.publish_period
        if not np.any(v):
            return v, ServoCode.NO_WARNING
        closing = (now - self.clearance(q + v * period)) / period  # m/s toward the obstacle
        if closing <= 0.0:
            return v, ServoCode.NO_WARNING
        room = now - s.collision_stop_distance
        if room <= 0.0:
            return np.zeros_like(v), ServoCode.HALT_FOR_COLLISION
        allowed = math.sqrt(2.0 * s.collision_deceleration * room)  # can still brake in time
        proximity = s.scene_collision_proximity_threshold - s.collision_stop_distance
        if proximity > 0 and room < proximity:
            fraction = s.min_collision_scale + (1.0 - s.min_collision_scale) * room / proximity
            allowed = min(allowed, fraction * closing)
        allowed = min(allowed, room / period)  # never past the stop distance in one period
        if allowed >= closing:
            return v, ServoCode.NO_WARNING
        if allowed < 1e-6:
            return np.zeros_like(v), ServoCode.HALT_FOR_COLLISION
        return v * (allowed / closing), ServoCode.DECELERATE_FOR_COLLISION

    def _crosses_stop_distance(self, q: np.ndarray, v: np.ndarray, now: float) -> bool:
        if not np.any(v):
            return False
        ahead = self.clearance(q + v * self.settings.publish_period)
        return ahead < self.settings.collision_stop_distance and ahead < now

    def _leaves_bounds(self, q: np.ndarray, v: np.ndarray) -> bool:
        """True when a joint would pass its bound (less the margin) moving outward."""
        ahead = q + v * self.settings.publish_period
        margin = self.settings.joint_limit_margin
        for (low, high), x, speed in zip(self.bounds, ahead, v, strict=True):
            if (x < low + margin and speed < 0) or (x > high - margin and speed > 0):
                return True
        return False


def _within(v: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """v scaled down as a whole so that no component exceeds its limit."""
    ratio = np.max(np.abs(v) / limit) if np.any(v) else 0.0
    return v / ratio if ratio > 1.0 else v


def _invertible(matrix: np.ndarray) -> bool:
    return abs(float(np.linalg.det(matrix))) > 1e-9


def _floats(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(x) for x in values)
