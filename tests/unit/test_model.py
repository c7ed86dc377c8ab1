"""The domain vocabulary: typed locations and their text form, sample kinds, and tube
records that survive every storage form (world descriptions, inventory rows, messages)."""

from dataclasses import replace

import pytest

from aca_sim.caching.inventory_schema import tube_from_row, tube_row
from aca_sim.model.kinds import Catalogue, Contents, SampleKind, SealState, TubeKind
from aca_sim.model.locations import GRIPPER, GROUND, Location, Place
from aca_sim.model.records import Tube
from aca_sim.sim.tube_codec import tube_from_dict, tube_to_dict


@pytest.mark.parametrize(
    ("location", "text"),
    [
        (Location.storage(7), "slot_07"),
        (Location.storage(43), "slot_43"),
        (Location.bit(4), "bit_4"),
        (GRIPPER, "sha"),
        (GROUND, "ground"),
    ],
)
def test_a_location_and_its_text_are_one(location, text):
    assert str(location) == text and Location.parse(text) == location


@pytest.mark.parametrize("text", ["slot_7", "slot", "bit_", "depot", "", "slot_07x", "bit_0"])
def test_a_text_that_names_no_location_is_refused_by_name(text):
    with pytest.raises(ValueError, match=repr(text) if text != "bit_0" else "bad location"):
        Location.parse(text)


def test_indexed_places_need_an_index_and_the_others_none():
    with pytest.raises(ValueError):
        Location.storage(0)
    with pytest.raises(ValueError):
        Location(Place.GRIPPER, 3)
    assert Location.storage(2).in_storage and Location.bit(2).in_bit and not GRIPPER.in_storage


def test_sample_kinds_say_what_is_drilled_into_which_tube_and_how_it_is_catalogued():
    assert SampleKind.ROCK_CORE.drilled_contents == Contents.ROCK_CORE
    assert SampleKind.REGOLITH.drilled_contents == Contents.REGOLITH
    assert SampleKind.ATMOSPHERIC.drilled_contents is None
    assert SampleKind.WITNESS.tube_kind == TubeKind.WITNESS
    assert SampleKind.ROCK_CORE.tube_kind == TubeKind.SAMPLE
    assert SampleKind.WITNESS.catalogue == Catalogue.WITNESS


def test_a_tube_record_survives_every_storage_form():
    tube = Tube(
        203,
        TubeKind.SAMPLE,
        3,
        Location.bit(5),
        Contents.ROCK_CORE,
        0.061,
        0.012,
        0.95,
        0.1,
        SealState.INSERTED,
        104,
        "Mageik",
        Catalogue.ROCK_CORE,
    )
    assert tube_from_dict(tube_to_dict(tube)) == tube
    assert tube_from_row(tube_row(tube)) == tube
    older = tube_to_dict(tube)
    del older["sample_name"], older["catalogued_kind"]  # a description made before them
    assert tube_from_dict(older) == replace(tube, sample_name="", catalogued_kind=Catalogue.NONE)
