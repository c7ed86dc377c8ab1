"""Clearance of the SHA: how far its moving links and the tube it holds are from anything they
could touch, and how fast any point of them can move.

The moving set is the SHA's three links and the held tube's assembly (tube, core, seal). The
distance is PyBullet's closest-point distance to every other body and ACA link whose bounding
box comes within the asked horizon, and between moving parts that move relative to each other
(the column against the forearm and the held tube); pairs PyBullet never lets collide are left
out: a link and its parent (URDF_USE_SELF_COLLISION_EXCLUDE_PARENT) and the parts of the held
assembly among themselves and with the fork (a rigid unit).

A move of sha_z alone translates the whole moving set along z. Along such a move a closest
point whose normal is horizontal (a tube sliding over the bore-sweeping brush, a rubbing fit)
does not close: the signed distance of two convex shapes is a convex function of their
relative translation, so a translation perpendicular to its gradient (the contact normal)
never brings them closer. `gap(..., z_only=True)` counts such a point by how far the move can
go before the point's normal tilt (|n_z| <= SLIDE_TILT) could take it deeper than SLIDE_DEPTH_M,
not by its distance; every other point counts by its distance, as for any move.

Thread rule: the physics thread. Units: m, m/s, rad/s; frame: aca_frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from aca_sim.model.names import SHA_LINKS
from aca_sim.sim.mechanism import Mechanism
from aca_sim.sim.quiet import BulletClient

SLIDE_TILT = 0.02  # |n_z| of a closest point that a pure-Z move slides along (1.1 deg)
SLIDE_DEPTH_M = 0.001  # how deep a sliding point may get (PyBullet's margins on a rubbing fit)


@dataclass(frozen=True)
class Gap:
    """Closest distances (m), capped at the horizon: to what stands still (`external`) and
    between moving parts that move relative to each other (`internal`)."""

    external: float
    internal: float


class ArmClearance:
    """Distances and a speed bound for the SHA and the bodies it carries."""

    def __init__(self, client: BulletClient, mech: Mechanism, carried: Sequence[int]) -> None:
        """carried: body ids of the held assembly (empty when the gripper is empty)."""
        self._p, self._mech = client, mech
        self._links = [mech.link_index[name] for name in SHA_LINKS]
        self._carried = list(carried)
        self._moving = {(mech.body, link) for link in self._links} | {
            (body, -1) for body in self._carried
        }
        column, upper, fore = self._links
        self._parent_pairs = {(column, -1), (upper, column), (fore, upper)}
        # moving parts that move relative to each other: (body, link) pairs
        self._relative = [((mech.body, column), (mech.body, fore))] + [
            ((mech.body, link), (body, -1)) for body in self._carried for link in (column, upper)
        ]
        self._reaches: tuple[float, float] | None = None

    def _distance(
        self, a: tuple[int, int], b: tuple[int, int], horizon_m: float, z_only: bool = False
    ) -> float:
        (body_a, link_a), (body_b, link_b) = a, b
        points = self._p.getClosestPoints(
            body_a, body_b, horizon_m, linkIndexA=link_a, linkIndexB=link_b
        )
        return min((_room(c[8], c[7][2], z_only) for c in points), default=horizon_m)

    def gap(self, horizon_m: float, z_only: bool = False) -> Gap:
        """The closest distances, each capped at horizon_m (m). z_only: the move translates
        along z only, and points it slides along count by the travel they allow (module
        docstring). Pairs are asked nearest bounding boxes first, each within the closest
        distance found so far, and none once the boxes are farther apart than that (a box
        distance never exceeds the shapes' distance, nor a point's room its distance): the
        minimum over every pair, at a fraction of the queries."""
        p, aca = self._p, self._mech.body
        boxes = {part: p.getAABB(*part) for part in self._moving}
        candidates: list[tuple[float, tuple[int, int], tuple[int, int]]] = []
        for part in sorted(self._moving):
            low, high = boxes[part]
            nearby = p.getOverlappingObjects(
                [v - horizon_m for v in low], [v + horizon_m for v in high]
            )
            for other in sorted(set(nearby or ()) - self._moving):
                if (
                    part[0] == aca
                    and other[0] == aca
                    and (part[1], other[1]) in self._parent_pairs
                ):
                    continue
                bound = _box_distance(boxes[part], p.getAABB(*other))
                if bound < horizon_m:
                    candidates.append((bound, part, other))
        external = self._nearest(candidates, horizon_m, z_only)
        relative = [(_box_distance(boxes[a], boxes[b]), a, b) for a, b in self._relative]
        internal = self._nearest(relative, horizon_m, False)
        return Gap(external, internal)  # each at most horizon_m (_nearest)

    def _nearest(
        self,
        pairs: list[tuple[float, tuple[int, int], tuple[int, int]]],
        horizon_m: float,
        z_only: bool,
    ) -> float:
        """The least room over (box distance, part, other) pairs, at most horizon_m (m)."""
        best = horizon_m
        for bound, a, b in sorted(pairs):
            if bound >= best:
                break
            best = min(best, self._distance(a, b, best, z_only))
        return best

    def point_bound(self, z: float, shoulder: float, elbow: float) -> float:
        """Upper bound of how far (or how fast) any point of the moving set goes when the
        joints go (or move at) up to the given amounts (m or m/s; rad or rad/s): Z plus each
        rotation times the largest horizontal distance of a part's bounding box from its
        axis (the arm's pose when first asked: one ArmClearance serves one pose)."""
        if self._reaches is None:
            self._reaches = self._reach_of_pose()
        shoulder_reach, elbow_reach = self._reaches
        return z + shoulder * shoulder_reach + elbow * elbow_reach

    def _reach_of_pose(self) -> tuple[float, float]:
        """(shoulder reach, elbow reach), m: the farthest bounding-box corner of what each
        rotation moves from its axis."""
        p, mech = self._p, self._mech
        shoulder_xy = p.getLinkState(mech.body, self._links[1])[4][:2]
        elbow_xy = p.getLinkState(mech.body, self._links[2])[4][:2]

        def reach(parts: Sequence[tuple[int, int]], axis: Sequence[float]) -> float:
            far = 0.0
            for body, link in parts:
                (x0, y0, _), (x1, y1, _) = p.getAABB(body, link)
                for x in (x0, x1):
                    for y in (y0, y1):
                        far = max(far, math.hypot(x - axis[0], y - axis[1]))
            return far

        forearm = [(mech.body, self._links[2])] + [(b, -1) for b in self._carried]
        elbow_reach = reach(forearm, elbow_xy)
        arm_length = math.hypot(elbow_xy[0] - shoulder_xy[0], elbow_xy[1] - shoulder_xy[1])
        upper_reach = reach([(mech.body, self._links[1])], shoulder_xy)
        return max(upper_reach, arm_length + elbow_reach), elbow_reach


def _box_distance(a: tuple[Sequence[float], Sequence[float]],
                  b: tuple[Sequence[float], Sequence[float]]) -> float:  # fmt: skip
    """Distance between two axis-aligned boxes ((low, high) corners, m); 0 when they meet."""
    (a_low, a_high), (b_low, b_high) = a, b
    gaps = [max(0.0, b_low[k] - a_high[k], a_low[k] - b_high[k]) for k in range(3)]
    return math.sqrt(gaps[0] ** 2 + gaps[1] ** 2 + gaps[2] ** 2)


def _room(distance_m: float, normal_z: float, z_only: bool) -> float:
    """What a closest point leaves of the gap, m: its distance; for a pure-Z move sliding
    along it (normal within SLIDE_TILT of horizontal, no deeper than SLIDE_DEPTH_M), the
    distance it reaches only after the travel that could take it SLIDE_DEPTH_M deep."""
    tilt = abs(normal_z)
    if not z_only or tilt > SLIDE_TILT or distance_m < -SLIDE_DEPTH_M:
        return distance_m
    return (distance_m + SLIDE_DEPTH_M) / max(tilt, 1e-9)
