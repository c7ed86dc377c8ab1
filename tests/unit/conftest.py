"""Shared ACAs for the model tests (no ROS)."""

import pytest

from aca_sim.sim import procedures as steps
from aca_sim.sim.aca import Aca

SEED = 7


@pytest.fixture
def aca():
    a = Aca.create(seed=SEED)
    yield a
    a.close()


@pytest.fixture(scope="session")
def cored_snapshot():
    """A description with tube 201 just cored and back in the gripper."""
    a = Aca.create(seed=SEED)
    a.run(steps.retrieve_tube(a, 1))
    a.run(steps.transfer_tube_to_bit(a))
    a.run(steps.core_sample(a))
    a.run(steps.receive_tube_from_bit(a))
    description = a.describe()
    a.close()
    return description


@pytest.fixture(scope="module")
def planner():
    """The planner of a fresh ACA (seed 0), its scene showing that ACA's hardware."""
    aca = Aca.create(seed=0)
    planner = aca.planner
    planner.scene.update(aca.hardware_state())
    yield planner
    aca.close()


@pytest.fixture
def cored_aca(aca, cored_snapshot):
    aca.restore(cored_snapshot)
    return aca
