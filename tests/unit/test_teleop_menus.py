"""What each thing offers an operator follows the world (aca_sim.teleop.menus), and the
rviz2 configuration shows what the nodes publish."""

import pytest
import yaml

from aca_sim.model.kinds import Contents, SampleKind, SealState, TubeKind
from aca_sim.model.locations import Location, Place
from aca_sim.model.records import Dispenser, Tube
from aca_sim.model.world_view import WorldView, busy_devices
from aca_sim.paths import share_path
from aca_sim.teleop import menus
from aca_sim.teleop.menus import Menu


def tube(tube_id, slot, where=None, kind=TubeKind.SAMPLE, **fields):
    return Tube(tube_id, kind, slot, where or Location.storage(slot), **fields)


def titles(entries):
    return [e.title for e in entries]


def test_a_slot_offers_its_tube_or_a_place_for_the_held_one():
    view = WorldView((tube(201, 1), tube(202, 2, Location(Place.GRIPPER))), ())
    assert titles(menus.slot_menu(view, 1)) == ["retrieve tube 201"]  # the arm is busy holding
    assert titles(menus.slot_menu(view, 2)) == ["store tube 202 here"]
    free = WorldView((tube(201, 1), tube(240, 40, kind=TubeKind.WITNESS)), ())
    entries = menus.slot_menu(free, 1)
    assert titles(entries) == ["retrieve tube 201", "cache a sample here"]
    assert isinstance(entries[1], Menu)
    assert titles(entries[1].entries) == ["rock core", "regolith", "atmospheric"]
    assert entries[1].entries[0].goal == {"kind": SampleKind.ROCK_CORE, "slot": 1}
    assert titles(menus.slot_menu(free, 40)[1].entries) == ["witness"]
    sealed = WorldView((tube(201, 1, seal_state=SealState.ACTIVATED),), ())
    assert titles(menus.slot_menu(sealed, 1)) == ["retrieve tube 201"]
    assert menus.slot_menu(WorldView(), 3) == ()


def test_the_fork_menu_follows_what_it_holds_and_busy_devices_mark_entries():
    dispensers = (Dispenser(1, 2, 200.0), Dispenser(2, 0, 200.0))
    held = tube(201, 1, Location(Place.GRIPPER), contents=Contents.ROCK_CORE)
    view = WorldView((held,), dispensers, busy=frozenset({"seal_carousel"}))
    entries = menus.fork_menu(view)
    assert "store in home slot 1" in titles(entries)
    dispense = next(e for e in entries if e.title == "dispense seal")
    assert titles(dispense.entries) == ["from dispenser 1 (2 left)", "from dispenser 2 (0 left)"]
    assert all(c.busy for c in dispense.entries)  # the seal carousel is held by a goal
    assert not any(c.busy for c in menus.commands(entries) if c.action != "dispense_seal")
    in_bit = WorldView((tube(203, 3, Location.bit(2)),), dispensers)
    assert [(c.action, c.goal) for c in menus.commands(menus.fork_menu(in_bit))] == [
        ("receive_tube_from_bit", {"bit_slot": 2})
    ]


def test_clearing_debris_is_offered_only_while_caching_is_halted():
    in_bit = (tube(203, 3, Location.bit(4)),)
    running = WorldView(in_bit, ())
    assert "clear_debris" not in {c.action for c in menus.commands(menus.fork_menu(running))}
    port = menus.station_menu(running, "station_bitcar_port")
    assert "clear_debris" not in {c.action for c in menus.commands(port)}
    halted = WorldView(in_bit, (), caching_halted=True)
    for entries in (menus.fork_menu(halted), menus.station_menu(halted, "station_bitcar_port")):
        clearing = [c for c in menus.commands(entries) if c.action == "clear_debris"]
        assert [c.goal for c in clearing] == [
            {"bit_slot": 0, "dump_core": False},
            {"bit_slot": 0, "dump_core": True},
        ]
    busy = WorldView(in_bit, (), frozenset({"bit_carousel"}), caching_halted=True)
    assert all(c.busy for c in menus.commands(menus.fork_menu(busy)))


def test_every_station_has_its_step_and_an_unknown_one_is_named():
    view = WorldView((), (Dispenser(1, 3, 200.0),))
    actions = {s: {c.action for c in menus.commands(menus.station_menu(view, s))}
               for s in menus.STATIONS}  # fmt: skip
    assert actions["station_bst"] == {"sweep_bore"}
    assert actions["station_drop"] == {"drop_tube"}
    assert actions["station_bitcar_port"] == {"transfer_tube_to_bit", "receive_tube_from_bit"}
    try:
        menus.station_menu(view, "station_mars")
    except ValueError as error:
        assert "station_mars" in str(error)
    else:
        raise AssertionError("an unknown station was accepted")


def test_busy_devices_are_the_running_actions_devices():
    assert busy_devices(["sweep_bore"]) == {"sha"}
    assert busy_devices(["core_sample", "dispense_seal"]) == {
        "bit_carousel", "sha", "seal_carousel"
    }  # fmt: skip
    assert busy_devices(["cache_sample"]) == {"sha", "seal_carousel", "bit_carousel"}


def test_the_rviz_config_shows_what_the_nodes_publish():
    config = yaml.safe_load(share_path("rviz", "aca.rviz").read_text())
    manager = config["Visualization Manager"]
    assert manager["Global Options"]["Fixed Frame"] == "aca_frame"
    displays = {d["Class"].split("/")[-1]: d for d in manager["Displays"]}
    assert displays["RobotModel"]["Description Topic"]["Value"] == "/robot_description"
    assert displays["RobotModel"]["Description Topic"]["Durability Policy"] == "Transient Local"
    assert displays["MarkerArray"]["Topic"]["Value"] == "/aca/markers"
    assert set(displays["MarkerArray"]["Namespaces"]) == {"tubes", "tube_labels", "seals",
                                                          "depot"}  # fmt: skip
    assert displays["InteractiveMarkers"]["Interactive Markers Namespace"] == "/aca/teleop"
    assert displays["Image"]["Topic"]["Value"] == "/aca/cachecam/image_raw"
    assert "TF" in displays


def test_page_commands_are_checked_and_name_the_bad_value():
    from aca_sim.teleop.web_commands import CommandError, code_words, parse_command

    with pytest.raises(CommandError, match="joint='sha_wrist'"):
        parse_command({"op": "jog_joint", "joint": "sha_wrist", "delta": 0.1})
    with pytest.raises(CommandError, match=r"delta=0\.9"):
        parse_command({"op": "jog_fork", "axis": "x", "delta": 0.9})
    with pytest.raises(CommandError, match="delta=nan"):
        parse_command({"op": "jog_fork", "axis": "z", "delta": float("nan")})
    with pytest.raises(CommandError, match="op='fly'"):
        parse_command({"op": "fly"})
    with pytest.raises(CommandError, match="token"):
        parse_command({"op": "cancel", "token": "nope"}, token="secret")
    with pytest.raises(CommandError, match="goal="):
        parse_command({"op": "step", "action": "sweep_bore", "goal": [5]})
    step = parse_command({"op": "step", "action": "sweep_bore", "goal": {"sweeps": 2}, "id": 3})
    assert (step.command_id, step.action, dict(step.goal)) == (3, "sweep_bore", {"sweeps": 2})
    assert parse_command({"op": "cancel", "token": "secret"}, token="secret").op == "cancel"
    assert code_words("GOAL_IN_COLLISION") == "the target would touch something"
    assert code_words("SOMETHING_NEW") == "something new"
