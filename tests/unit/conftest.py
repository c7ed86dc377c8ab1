"""Shared worlds for the model tests (no ROS)."""

import pytest

from aca_sim.sim import procedures as steps
from aca_sim.sim.world import AcaWorld

SEED = 7


@pytest.fixture
def world():
    w = AcaWorld.create(seed=SEED)
    yield w
    w.close()


@pytest.fixture(scope="session")
def cored_snapshot():
    """A world description with tube 201 just cored and back in the gripper."""
    w = AcaWorld.create(seed=SEED)
    w.run(steps.retrieve_tube(w, 1))
    w.run(steps.transfer_tube_to_bit(w))
    w.run(steps.core_sample(w))
    w.run(steps.receive_tube_from_bit(w))
    description = w.describe()
    w.close()
    return description


@pytest.fixture
def cored_world(world, cored_snapshot):
    world.restore(cored_snapshot)
    return world
