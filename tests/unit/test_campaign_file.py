"""Campaign files: the default campaign, and bad files refused naming the bad value."""

import pytest

from aca_sim.caching.campaign_file import load_campaign
from aca_sim.caching.sequences import SampleKind


def test_the_default_campaign_is_the_issue_s_four_samples():
    items = load_campaign("default")
    assert [(i.sample_name, i.kind, i.scenario) for i in items] == [
        ("Montdenier", SampleKind.ROCK_CORE, ""),
        ("Roubion", SampleKind.ROCK_CORE, "roubion"),
        ("Witness 1", SampleKind.WITNESS, ""),
        ("Mageik", SampleKind.ROCK_CORE, "mageik"),
    ]
    assert items[3].recover_sweeps == 12 and items[0].recover_sweeps == 0


def write(tmp_path, text):
    path = tmp_path / "campaign.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("samples:\n  - {name: A, kind: basalt}\n", "kind 'basalt' is not one of"),
        ("samples:\n  - {name: A, kind: witness, colour: red}\n", "unknown key(s) ['colour']"),
        ("samples:\n  - {name: A, kind: witness}\n  - {name: A, kind: witness}\n", "['A']"),
        ("samples:\n  - {name: A, kind: rock_core, recover_sweeps: -1}\n", "got -1"),
        ("samples:\n  - {name: A, kind: rock_core, scenario: dusty}\n", "scenario 'dusty'"),
        ("samples: []\n", "'samples' is empty"),
        ("- just a list\n", "expected a mapping with a 'samples' list"),
    ],
)
def test_a_bad_campaign_file_is_refused_naming_the_value(tmp_path, text, message):
    with pytest.raises(ValueError) as error:
        load_campaign(write(tmp_path, text))
    assert message in str(error.value)


def test_a_missing_campaign_is_named():
    with pytest.raises(ValueError, match="campaign 'nosuch'"):
        load_campaign("nosuch")
