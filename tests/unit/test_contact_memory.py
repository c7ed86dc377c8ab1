"""Bullet's stored contact points after a move it did not simulate (sim.contact_memory)."""

import pybullet

from aca_sim.sim.contact_memory import body_parts, forget_contacts
from aca_sim.sim.quiet import BulletClient


def plate_on_wall():
    """A free plate 0.5 mm into a fixed 10 mm wall, no gravity, one step taken (the pair's
    contact points stored), then stopped. Returns (client, plate, wall)."""
    p = BulletClient(connection_mode=pybullet.DIRECT)
    p.setGravity(0, 0, 0)
    wall_shape = p.createCollisionShape(p.GEOM_BOX, halfExtents=[0.005, 0.05, 0.05])
    plate_shape = p.createCollisionShape(p.GEOM_BOX, halfExtents=[0.002, 0.02, 0.02])
    wall = p.createMultiBody(0, wall_shape, -1, [0, 0, 0])
    plate = p.createMultiBody(0.1, plate_shape, -1, [-0.0065, 0, 0])
    p.stepSimulation()
    assert len(p.getContactPoints(plate, wall)) == 4
    p.resetBaseVelocity(plate, [0, 0, 0], [0, 0, 0])
    return p, plate, wall


def teleport_through(p, plate):
    """Move the plate 28.5 mm along the contact normal, past the wall (clear of it by 15 mm)."""
    p.resetBasePositionAndOrientation(plate, [0.022, 0, 0], [0, 0, 0, 1])
    p.resetBaseVelocity(plate, [0, 0, 0], [0, 0, 0])


def test_a_stored_point_carried_past_its_body_turns_into_a_deep_phantom_contact():
    p, plate, wall = plate_on_wall()
    teleport_through(p, plate)
    assert p.getClosestPoints(plate, wall, 0.0) == ()
    p.stepSimulation()
    depths = [c[8] for c in p.getContactPoints(plate, wall)]
    assert depths and min(depths) < -0.025  # Bullet's own behaviour, which forgetting fixes
    assert max(abs(v) for v in p.getBaseVelocity(plate)[0]) > 0.1  # and it kicks the plate
    p.disconnect()


def test_forgetting_a_moved_part_leaves_only_real_contacts():
    p, plate, wall = plate_on_wall()
    teleport_through(p, plate)
    forget_contacts(p, body_parts(p, plate))
    p.stepSimulation()
    assert p.getContactPoints(plate, wall) == ()
    assert p.getBaseVelocity(plate)[0] == (0.0, 0.0, 0.0)
    p.resetBasePositionAndOrientation(plate, [-0.0065, 0, 0], [0, 0, 0, 1])  # 0.5 mm deep
    p.stepSimulation()
    assert min(c[8] for c in p.getContactPoints(plate, wall)) < 0  # still collides
    p.disconnect()
