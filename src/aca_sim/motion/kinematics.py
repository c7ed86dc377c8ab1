"""Closed-form kinematics of the Sample Handling Arm (prismatic Z, shoulder, elbow).

Frame: aca_frame; the shoulder axis is the Z axis. Joint order: (sha_z m, shoulder rad,
elbow rad). The "tube top" is the open end of a held tube, `tube_top_above_tool_m` above the
tool point, which is at z = sha_z.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from aca_sim.model.names import SHA_JOINTS


class UnreachableError(ValueError):
    """No joint solution reaches the requested point within the arm's reach."""


class JointPositions(NamedTuple):
    z: float
    shoulder: float
    elbow: float


class ToolPoint(NamedTuple):
    x: float
    y: float
    z: float


@dataclass(frozen=True)
class ScaraKinematics:
    """Forward and inverse kinematics for link lengths l1, l2 (m)."""

    l1: float
    l2: float
    tube_top_above_tool: float

    def forward(self, q: JointPositions) -> ToolPoint:
        """Tube-top position (x, y, z) in aca_frame for joint positions q."""
        x = self.l1 * math.cos(q.shoulder) + self.l2 * math.cos(q.shoulder + q.elbow)
        y = self.l1 * math.sin(q.shoulder) + self.l2 * math.sin(q.shoulder + q.elbow)
        return ToolPoint(x, y, q.z + self.tube_top_above_tool)

    def inverse(self, x: float, y: float, z_top: float, elbow_sign: int = 1) -> JointPositions:
        """Joint positions putting the tube top at (x, y, z_top); elbow_sign picks +/- elbow."""
        if elbow_sign not in (1, -1):
            raise ValueError(f"elbow_sign must be +1 or -1, got {elbow_sign}")
        r2 = x * x + y * y
        c2 = (r2 - self.l1**2 - self.l2**2) / (2 * self.l1 * self.l2)
        if not -1.0 <= c2 <= 1.0:
            reach = (abs(self.l1 - self.l2), self.l1 + self.l2)
            raise UnreachableError(
                f"point ({x:.4f}, {y:.4f}) at radius {math.sqrt(r2):.4f} m is outside the "
                f"reach annulus [{reach[0]:.3f}, {reach[1]:.3f}] m"
            )
        elbow = elbow_sign * math.acos(c2)
        shoulder = math.atan2(y, x) - math.atan2(
            self.l2 * math.sin(elbow), self.l1 + self.l2 * math.cos(elbow)
        )
        shoulder = math.atan2(math.sin(shoulder), math.cos(shoulder))
        return JointPositions(z_top - self.tube_top_above_tool, shoulder, elbow)


class Limits(NamedTuple):
    """A joint's range (m or rad) and its speed limit (m/s or rad/s)."""

    lower: float
    upper: float
    velocity: float


@dataclass(frozen=True)
class ArmKinematics:
    """The SHA's kinematics within its joint limits (z, shoulder, elbow)."""

    kin: ScaraKinematics
    limits: tuple[Limits, Limits, Limits]

    def violation(self, q: JointPositions) -> str | None:
        """Describe the first joint outside its limits, or None."""
        for name, value, lim in zip(SHA_JOINTS, q, self.limits, strict=True):
            if not lim.lower - 1e-9 <= value <= lim.upper + 1e-9:
                return f"{name}={value:.4f} outside [{lim.lower}, {lim.upper}]"
        return None

    def solve(self, x: float, y: float, z_top: float, preferred_sign: int = 1) -> JointPositions:
        """Joint positions putting the tube top at (x, y, z_top), the preferred elbow branch
        first and the other when it breaks a limit; UnreachableError naming why not."""
        errors = []
        for sign in (preferred_sign, -preferred_sign):
            q = self.kin.inverse(x, y, z_top, sign)
            violation = self.violation(q)
            if violation is None:
                return q
            errors.append(violation)
        raise UnreachableError(f"no IK branch within limits ({'; '.join(errors)})")
