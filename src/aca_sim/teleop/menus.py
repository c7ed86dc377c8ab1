"""What an operator can ask of each thing in the ACA, given the world as it is: the context
menus of the teleop markers (rviz2) and the step buttons of the browser page.

A Command is one device step or sequence goal (action name + goal fields, as the action's
goal field names); a Menu groups commands under a title. Which commands a thing offers
follows the world: a slot with its tube offers "retrieve", an empty slot offers "store the
held tube here" while the arm holds one; the fork's menu depends on what it holds. A command
whose devices are held by a running goal is shown busy (the sim would reject it). No ROS here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from aca_sim.model.kinds import SampleKind, SealState, TubeKind
from aca_sim.model.steps import STEP_DEVICES
from aca_sim.model.world_view import WorldView

SWEEP_COUNTS = (1, 5, 20)
STATIONS = (
    "station_volume_probe",
    "station_cachecam",
    "station_seal_dispenser",
    "station_sealing",
    "station_bst",
    "station_bitcar_port",
    "station_drop",
)


@dataclass(frozen=True)
class Command:
    """One goal for one action (a device step or a sequence)."""

    title: str
    action: str
    goal: Mapping[str, Any] = field(default_factory=dict)
    busy: bool = False  # a device it needs is held by a running goal

    @property
    def devices(self) -> frozenset[str]:
        return STEP_DEVICES[self.action]


@dataclass(frozen=True)
class Menu:
    """A titled group of entries."""

    title: str
    entries: tuple[Entry, ...]


Entry = Union[Command, Menu]  # noqa: UP007 (a runtime alias used in Menu's annotation)


def _command(view: WorldView, title: str, action: str, **goal: Any) -> Command:
    return Command(title, action, goal, busy=bool(STEP_DEVICES[action] & view.busy))


def _sweeps(view: WorldView) -> Menu:
    return Menu(
        "sweep bore",
        tuple(
            _command(view, f"{n} sweep{'s' if n > 1 else ''}", "sweep_bore", tube_id=0, sweeps=n)
            for n in SWEEP_COUNTS
        ),
    )


def _dispense(view: WorldView) -> Menu:
    return Menu(
        "dispense seal",
        tuple(
            _command(
                view,
                f"from dispenser {d.dispenser_id} ({d.seals_remaining} left)",
                "dispense_seal",
                tube_id=0,
                dispenser=d.dispenser_id,
            )
            for d in sorted(view.dispensers, key=lambda d: d.dispenser_id)
        ),
    )


def _clear_debris(view: WorldView) -> tuple[Entry, ...]:
    """The ground's recovery of a halted caching, offered only while caching is halted."""
    if not view.caching_halted:
        return ()
    return (
        Menu(
            "clear debris (caching halted)",
            (
                _command(view, "shed the pebbles", "clear_debris", bit_slot=0, dump_core=False),
                _command(
                    view, "dump the core, then shed", "clear_debris", bit_slot=0, dump_core=True
                ),
            ),
        ),
    )


def fork_menu(view: WorldView) -> tuple[Entry, ...]:
    """The fork's menu: the steps on the held tube, or fetching one from a bit."""
    held = view.held
    if held is None:
        entries: list[Entry] = [
            _command(
                view,
                f"receive tube {t.tube_id} from bit {t.location.index}",
                "receive_tube_from_bit",
                bit_slot=t.location.index,
            )
            for t in view.in_bits()
        ]
        return (*entries, *_clear_debris(view))
    return (
        _command(view, "hand tube to bit carousel", "transfer_tube_to_bit", bit_slot=0),
        _command(view, "assess volume", "assess_volume", tube_id=0),
        _command(view, "capture image", "capture_image", tube_id=0),
        _dispense(view),
        _command(view, "activate seal", "activate_seal", tube_id=0),
        _sweeps(view),
        _command(view, f"store in home slot {held.home_slot}", "store_tube", slot=0),
        _command(view, "drop at depot", "drop_tube", tube_id=0, allow_unsealed=False),
    )


def slot_menu(view: WorldView, slot: int) -> tuple[Entry, ...]:
    """A storage slot's menu: retrieve or cache into its tube; store the held tube here."""
    tube = view.in_slot(slot)
    if tube is None:
        held = view.held
        if held is None:
            return ()
        return (_command(view, f"store tube {held.tube_id} here", "store_tube", slot=slot),)
    entries: list[Entry] = [
        _command(view, f"retrieve tube {tube.tube_id}", "retrieve_tube", slot=slot)
    ]
    if view.held is None and tube.seal_state == SealState.NONE and not tube.sample_height_m:
        kinds = (
            (SampleKind.WITNESS,)
            if tube.kind == TubeKind.WITNESS
            else (SampleKind.ROCK_CORE, SampleKind.REGOLITH, SampleKind.ATMOSPHERIC)
        )
        entries.append(
            Menu(
                "cache a sample here",
                tuple(  # the goal names the kind; step_client.build_goal gives its number
                    _command(
                        view, kind.value.replace("_", " "), "cache_sample", kind=kind, slot=slot
                    )
                    for kind in kinds
                ),
            )
        )
    return tuple(entries)


def dispenser_menu(view: WorldView, dispenser_id: int) -> tuple[Entry, ...]:
    """A seal dispenser's menu: dispense a seal from it into the held tube."""
    dispenser = next((d for d in view.dispensers if d.dispenser_id == dispenser_id), None)
    if dispenser is None:
        return ()
    title = f"dispense seal from dispenser {dispenser_id} ({dispenser.seals_remaining} left)"
    return (_command(view, title, "dispense_seal", tube_id=0, dispenser=dispenser_id),)


def station_menu(view: WorldView, station: str) -> tuple[Entry, ...]:
    """A station's menu: the step it performs on the held tube."""
    if station == "station_volume_probe":
        return (_command(view, "assess volume", "assess_volume", tube_id=0),)
    if station == "station_cachecam":
        return (_command(view, "capture image", "capture_image", tube_id=0),)
    if station == "station_seal_dispenser":
        return (_dispense(view),)
    if station == "station_sealing":
        return (_command(view, "activate seal", "activate_seal", tube_id=0),)
    if station == "station_bst":
        return (_sweeps(view),)
    if station == "station_bitcar_port":
        return (
            _command(view, "hand tube to bit carousel", "transfer_tube_to_bit", bit_slot=0),
            _command(view, "receive tube from bit", "receive_tube_from_bit", bit_slot=0),
            *_clear_debris(view),
        )
    if station == "station_drop":
        return (_command(view, "drop at depot", "drop_tube", tube_id=0, allow_unsealed=False),)
    raise ValueError(f"no station {station!r} (known: {', '.join(STATIONS)})")


def all_menus(view: WorldView, slots: int, dispensers: int) -> dict[str, tuple[Entry, ...]]:
    """Every clickable thing's menu by name: fork_target, slot_NN, dispenser_N, stations."""
    things: dict[str, tuple[Entry, ...]] = {"fork_target": fork_menu(view)}
    for slot in range(1, slots + 1):
        things[f"slot_{slot:02d}"] = slot_menu(view, slot)
    for dispenser in range(1, dispensers + 1):
        things[f"dispenser_{dispenser}"] = dispenser_menu(view, dispenser)
    for station in STATIONS:
        things[station] = station_menu(view, station)
    return things


def commands(entries: Iterable[Entry]) -> list[Command]:
    """Every command in a menu tree, depth first."""
    found: list[Command] = []
    for entry in entries:
        found.extend(commands(entry.entries) if isinstance(entry, Menu) else [entry])
    return found


def as_json(entries: Iterable[Entry]) -> list[dict[str, Any]]:
    """A menu as JSON-able objects: {title, action, goal, busy} or {title, entries}."""
    return [
        {"title": e.title, "entries": as_json(e.entries)}
        if isinstance(e, Menu)
        else {"title": e.title, "action": e.action, "goal": dict(e.goal), "busy": e.busy}
        for e in entries
    ]
