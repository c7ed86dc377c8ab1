"""The sha group's joint limits for planning: ranges and velocities from the model
configuration (the URDF's), acceleration and jerk from config/joint_limits.yaml (MoveIt's
format)."""

from __future__ import annotations

from pathlib import Path

import yaml

from aca_sim.model.config import ModelConfig
from aca_sim.model.names import SHA_JOINTS
from aca_sim.motion.timing import Limits
from aca_sim.paths import share_path


def limits_file() -> Path:
    """config/joint_limits.yaml."""
    return share_path("config", "joint_limits.yaml")


def arm_limits(config: ModelConfig, path: Path | None = None) -> Limits:
    """Velocity (the model's), acceleration and jerk limits of sha_z, sha_shoulder, sha_elbow;
    ValueError naming the file, joint and key that are missing or not positive."""
    path = path or limits_file()
    data = yaml.safe_load(path.read_text()) or {}
    joints = data.get("joint_limits", {})
    sha = config.sha
    velocity = (sha.z.velocity, sha.shoulder.velocity, sha.elbow.velocity)
    acceleration, jerk = [], []
    for name in SHA_JOINTS:
        entry = joints.get(name, {})
        for key, out in (("max_acceleration", acceleration), ("max_jerk", jerk)):
            value = entry.get(key)
            if not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"{path}: joint_limits.{name}.{key} must be > 0, got {value!r}")
            out.append(float(value))
    return Limits(velocity, tuple(acceleration), tuple(jerk))


def arm_bounds(config: ModelConfig) -> list[tuple[float, float]]:
    """The joint ranges of sha_z (m), sha_shoulder and sha_elbow (rad)."""
    sha = config.sha
    return [(j.lower, j.upper) for j in (sha.z, sha.shoulder, sha.elbow)]
