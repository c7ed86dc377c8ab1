"""Boxes a user puts in the simulated world (to block the arm, for tests and practice).

They are physical only: the planners never see them (a planning scene learns of an obstacle
when a user adds a collision object, as with anything the rover has not perceived). They are
part of a world's description, so snapshots keep them. Frame: aca_frame; units m.
Thread rule: the physics thread.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from aca_sim.sim.quiet import BulletClient

OBSTACLE_RGBA = [0.85, 0.2, 0.2, 0.8]


@dataclass(frozen=True)
class Obstacle:
    """A static box: its centre (m), orientation (x, y, z, w) and edge lengths (m)."""

    name: str
    position: tuple[float, float, float]
    orientation: tuple[float, float, float, float]
    size: tuple[float, float, float]


def checked(
    name: str, position: Sequence[float], orientation: Sequence[float], size: Sequence[float]
) -> Obstacle:
    """An Obstacle from plain values; ValueError naming the bad one."""
    if not name:
        raise ValueError("an obstacle needs a name")
    values = (*position, *orientation, *size)
    if len(position) != 3 or len(orientation) != 4 or len(size) != 3:
        raise ValueError(f"obstacle {name!r}: position 3, orientation 4, size 3 values")
    if not all(map(math.isfinite, values)):
        raise ValueError(f"obstacle {name!r}: a value is not finite: {values}")
    if min(size) <= 0:
        raise ValueError(f"obstacle {name!r}: size {tuple(size)} must be > 0 in x, y and z")
    norm = math.sqrt(sum(q * q for q in orientation))
    if norm < 1e-9:
        raise ValueError(f"obstacle {name!r}: orientation {tuple(orientation)} is not a rotation")
    unit = tuple(float(q) / norm for q in orientation)
    return Obstacle(name, tuple(map(float, position)), unit, tuple(map(float, size)))


class Obstacles:
    """The user's boxes in one PyBullet client, by name."""

    def __init__(self, client: BulletClient, described: Sequence[dict[str, Any]] = ()) -> None:
        self._p = client
        self._bodies: dict[str, tuple[Obstacle, int]] = {}
        for entry in described:
            self.place(Obstacle(**{k: tuple(v) if k != "name" else v for k, v in entry.items()}))

    def place(self, obstacle: Obstacle) -> None:
        """Add a box, or move and resize the one of that name."""
        if obstacle.name in self._bodies:
            self.remove(obstacle.name)
        p = self._p
        half = [s / 2 for s in obstacle.size]
        shape = p.createCollisionShape(p.GEOM_BOX, halfExtents=half)
        visual = p.createVisualShape(p.GEOM_BOX, halfExtents=half, rgbaColor=OBSTACLE_RGBA)
        body = p.createMultiBody(
            0, shape, visual, list(obstacle.position), list(obstacle.orientation)
        )
        self._bodies[obstacle.name] = (obstacle, body)

    def remove(self, name: str) -> None:
        """Take a box away; KeyError naming it when there is none of that name."""
        if name not in self._bodies:
            raise KeyError(f"no obstacle {name!r} (known: {sorted(self._bodies)})")
        self._p.removeBody(self._bodies.pop(name)[1])

    def body(self, name: str) -> int:
        """The PyBullet body of a box; KeyError naming it when there is none of that name."""
        if name not in self._bodies:
            raise KeyError(f"no obstacle {name!r} (known: {sorted(self._bodies)})")
        return self._bodies[name][1]

    def describe(self) -> list[dict[str, Any]]:
        """The boxes as plain data, by name."""
        return [asdict(self._bodies[name][0]) for name in sorted(self._bodies)]
