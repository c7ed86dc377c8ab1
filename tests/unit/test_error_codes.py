"""Error codes and result values agree between the domain model, the simulator and every
.action file: the same name has the same number everywhere, every code a step's simulator
procedure (or the sequencer) can produce has a constant in its action, and the result values
the domain uses are the actions' result fields."""

import re
from pathlib import Path

import pytest
from sim_codes import reachable_codes

from aca_sim.model.codes import GENERIC, NUMBERS, Code
from aca_sim.model.steps import DEVICE_STEPS, RESULT_VALUES
from aca_sim.sim.step_table import STEPS

ACTIONS = Path(__file__).resolve().parents[2] / "interfaces" / "aca_interfaces" / "action"
CACHING = Path(__file__).resolve().parents[2] / "src" / "aca_sim" / "caching"
CONSTANT = re.compile(r"^uint8 ([A-Z_]+)=(\d+)")
FIELD = re.compile(r"^([a-z0-9_/]+(?:\[\])?) ([a-z_0-9]+)\b")
NOT_VALUES = {"error_code", "error_msg", "duration_s", "image"}


def action_file(step: str) -> Path:
    return ACTIONS / ("".join(part.title() for part in step.split("_")) + ".action")


def result_section(path: Path) -> list[str]:
    return path.read_text().split("\n---\n")[1].splitlines()


def constants(path: Path) -> dict[str, int]:
    found = {}
    for line in result_section(path):
        match = CONSTANT.match(line)
        if match:
            found[match.group(1)] = int(match.group(2))
    return found


def result_fields(path: Path) -> dict[str, str]:
    found = {}
    for line in result_section(path):
        match = FIELD.match(line)
        if match and not CONSTANT.match(line):
            found[match.group(2)] = match.group(1)
    return found


def test_the_action_files_are_found_and_parsed():
    files = sorted(ACTIONS.glob("*.action"))
    assert len(files) == 15
    assert constants(action_file("dispense_seal"))["SEAL_NOT_RELEASED"] == 10
    assert result_fields(action_file("dispense_seal"))["peak_force_n"] == "float64"


@pytest.mark.parametrize("path", sorted(ACTIONS.glob("*.action")), ids=lambda p: p.stem)
def test_every_constant_has_the_model_number_and_every_action_has_the_generic_codes(path):
    found = constants(path)
    unknown = sorted(set(found) - {c.value for c in Code})
    assert not unknown, f"{path.name}: codes the model does not know: {unknown}"
    wrong = {name: n for name, n in found.items() if NUMBERS[Code(name)] != n}
    assert not wrong, f"{path.name}: numbers differ from aca_sim.model.codes: {wrong}"
    missing = [c.value for c in GENERIC if c.value not in found]
    assert not missing, f"{path.name}: lacks generic codes {missing}"


def test_the_same_name_has_the_same_number_in_every_action():
    seen: dict[str, set[int]] = {}
    for path in ACTIONS.glob("*.action"):
        for name, number in constants(path).items():
            seen.setdefault(name, set()).add(number)
    assert {name: numbers for name, numbers in seen.items() if len(numbers) > 1} == {}
    assert len(set(NUMBERS.values())) == len(NUMBERS), "two codes share a number"


@pytest.mark.parametrize("step", DEVICE_STEPS)
def test_every_code_the_simulator_can_raise_has_a_constant_in_its_action(step):
    raised = reachable_codes(STEPS[step].procedure.__name__) | reachable_codes("start")
    assert raised, "the scanner found nothing: it would pass anything"
    missing = sorted(raised - set(constants(action_file(step))))
    assert not missing, f"{step} can end with {missing}, which its action lacks"


def test_the_code_scanner_follows_calls_into_devices():
    assert {"SEAL_NOT_RELEASED", "OUT_OF_LIMITS", "UNREACHABLE"} <= reachable_codes(
        "dispense_seal"
    )
    assert "EARLY_DRAG" in reachable_codes("core_sample")  # raised in the bit carousel


@pytest.mark.parametrize("action", ["cache_sample", "recover_seal"])
def test_every_code_the_sequencer_can_return_has_a_constant_in_both_sequence_actions(action):
    named = set()
    for path in CACHING.glob("*.py"):
        named |= set(re.findall(r"\bCode\.([A-Z_]+)\b", path.read_text()))
    assert {"STEP_FAILED", "INVENTORY_MISMATCH", "CANCELED"} <= named
    missing = sorted(named - set(constants(action_file(action))))
    assert not missing, f"{action} lacks {missing}"


@pytest.mark.parametrize("step", DEVICE_STEPS)
def test_the_result_values_are_the_result_fields_of_the_action(step):
    fields = {n: t for n, t in result_fields(action_file(step)).items() if n not in NOT_VALUES}
    assert set(RESULT_VALUES[step]) == set(fields)
    kinds = {"bool": bool, "float64": float, "uint8": int, "uint16": int, "float64[]": list}
    for name, default in RESULT_VALUES[step].items():
        assert type(default) is kinds[fields[name]], f"{step}.{name}: {fields[name]}"
