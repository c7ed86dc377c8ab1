"""Bullet's memory of contacts, and forgetting it after a move it did not simulate.

Bullet keeps the contact points of every touching pair from step to step (a persistent
manifold) and, each step, moves the stored points with their bodies before it looks for new
ones: sound for the short motion of one step. After a long kinematic move (a coast: many
steps without stepSimulation) a stored point can be carried along its own normal far past
the body it touched, and the next step then finds it tens of millimetres deep and pushes the
arm away with hundreds of newtons (measured: a storage-slot engage after a coast from the
neighbouring slot met a 29 mm phantom point). Forgetting a moved part's points makes the
next step find its contacts afresh, as Bullet does for a body just added.

Bullet forgets a collision object's pairs when it is removed from the world and added again,
which PyBullet does when a link's collision filter is set. Setting the filter it already has
(the importer's default for a moving link: group 1, mask all; the project sets no other)
changes nothing else.

Thread rule: the physics thread.
"""

from __future__ import annotations

from collections.abc import Iterable

from aca_sim.sim.quiet import BulletClient

MOVING_FILTER = (1, -1)  # Bullet's collision group and mask of a link that moves (its default)


def forget_contacts(p: BulletClient, parts: Iterable[tuple[int, int]]) -> None:
    """Drop the contact points Bullet keeps for each (body, link) part (link -1: the base);
    the next step finds them anew. Only for moving parts (their filter is MOVING_FILTER)."""
    for body, link in parts:
        p.setCollisionFilterGroupMask(body, link, *MOVING_FILTER)


def body_parts(p: BulletClient, body: int) -> list[tuple[int, int]]:
    """Every part of a body: its base and its links, as (body, link)."""
    return [(body, link) for link in range(-1, p.getNumJoints(body))]
