"""The world file: written whole and atomically, read back to the same world, and a file that
is not one is refused by name."""

import json

import pytest

from aca_sim.sim.aca import Aca
from aca_sim.sim.world_file import load_world, save_world


def test_a_world_written_and_read_back_is_the_same_world(tmp_path):
    aca = Aca.create(seed=2)
    path = tmp_path / "run" / "world.json"
    assert load_world(path) is None
    save_world(path, aca.describe())
    assert [p.name for p in path.parent.iterdir()] == ["world.json"]  # no temporary left
    other = Aca.create(seed=9)
    other.restore(load_world(path))
    assert other.state_hash() == aca.state_hash()
    aca.close()
    other.close()


def test_a_file_that_is_not_a_world_is_refused_by_name(tmp_path):
    broken, foreign = tmp_path / "broken.json", tmp_path / "foreign.json"
    broken.write_text('{"format": 1, "wor')
    foreign.write_text(json.dumps({"format": 7, "world": {}}))
    with pytest.raises(ValueError, match=r"broken\.json: unreadable"):
        load_world(broken)
    with pytest.raises(ValueError, match=r"foreign\.json: not an aca_sim world file"):
        load_world(foreign)
