"""Comparing the inventory with what the hardware shows, and adopting what a cut-off step did.

A difference on the tube of the open (cut-off) step, and one seal less when that step is a
dispense, is what that step did: check() returns it, reconcile() records it and closes the
step as interrupted. Any other difference raises InventoryMismatch naming every difference
(tube, field, both values), so nothing moves on an inventory that is wrong.

What an operator did by hand (device actions outside any sequence) is never adopted on its
own: differences() lists it, and adopt_hardware() records it, on the operator's explicit
request with a reason, as 'operator_adopt' history rows (nothing silent, nothing lost).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aca_sim.caching.inventory import Inventory, InventoryMismatch
from aca_sim.caching.inventory_schema import shown
from aca_sim.model.records import OBSERVED_FIELDS, PHYSICAL_FIELDS, HardwareState, Tube
from aca_sim.model.status import StepStatus


@dataclass(frozen=True)
class Comparison:
    """What check() found on the open step's tube (and the dispensers): the hardware's values."""

    tube_changes: dict[int, dict[str, Any]]
    seals_used: dict[int, int]
    adopted: tuple[str, ...]


@dataclass(frozen=True)
class Reconciliation:
    """What reconcile() found: the cut-off step it closed (if any) and what it adopted."""

    interrupted_step_id: int | None
    adopted: tuple[str, ...]


def check(
    inventory: Inventory, observed: Mapping[int, Tube], seals: Mapping[int, int]
) -> Comparison:
    """Compare the hardware's tubes (location, contents, seal state) and dispensers with the
    inventory without writing; InventoryMismatch for what the open step does not explain."""
    known = inventory.tubes()
    open_step = inventory.open_step()
    explained_tube = open_step.tube_id if open_step is not None else None
    problems, adopted, changes = [], [], {}
    for tube_id in sorted(set(known) | set(observed)):
        if tube_id not in known or tube_id not in observed:
            where = "the inventory" if tube_id not in known else "the hardware"
            problems.append(f"tube {tube_id} is missing from {where}")
            continue
        record, seen = known[tube_id], observed[tube_id]
        diffs = {
            name: (getattr(record, name), getattr(seen, name))
            for name in OBSERVED_FIELDS
            if getattr(record, name) != getattr(seen, name)
        }
        if not diffs:
            continue
        text = "; ".join(
            f"{name}: inventory {shown(a)}, hardware {shown(b)}" for name, (a, b) in diffs.items()
        )
        if tube_id == explained_tube:
            changes[tube_id] = {name: b for name, (_a, b) in diffs.items()}
            adopted.append(f"tube {tube_id}: {text}")
        else:
            problems.append(f"tube {tube_id}: {text}")
    seals_used = {}
    for dispenser, ours in inventory.seals().items():
        theirs = seals.get(dispenser)
        if theirs == ours:
            continue
        text = f"dispenser {dispenser}: inventory {ours} seals, hardware {theirs}"
        if open_step is not None and open_step.step == "dispense_seal" and theirs == ours - 1:
            seals_used[dispenser] = 1
            adopted.append(text)
        else:
            problems.append(text)
    if problems:
        cut_off = (
            f" (cut-off step: {open_step.step} on tube {open_step.tube_id})" if open_step else ""
        )
        raise InventoryMismatch(
            f"{inventory.path}: the inventory contradicts the hardware{cut_off}: "
            + " | ".join(problems)
        )
    return Comparison(changes, seals_used, tuple(adopted))


def reconcile(
    inventory: Inventory,
    observed: Mapping[int, Tube],
    seals: Mapping[int, int],
    sim_time_s: float,
) -> Reconciliation:
    """check(), then close the cut-off step (if any) as 'interrupted' with what the hardware
    shows it did."""
    open_step = inventory.open_step()
    found = check(inventory, observed, seals)
    if open_step is None:
        return Reconciliation(None, ())
    inventory.end_step(
        open_step.step_id,
        StepStatus.INTERRUPTED,
        sim_time_s,
        found.tube_changes,
        found.seals_used,
        error_code="INTERRUPTED",
        error_msg="the process stopped during the step; state adopted from the hardware",
        measurement={"adopted": list(found.adopted)},
    )
    return Reconciliation(open_step.step_id, found.adopted)


def differences(inventory: Inventory, hardware: HardwareState) -> list[str]:
    """Every difference between the inventory and the hardware, one line each: a tube's
    location, contents or seal state, a dispenser's seal count, a missing record."""
    known, observed = inventory.tubes(), hardware.tubes
    lines = []
    for tube_id in sorted(set(known) | set(observed)):
        if tube_id not in known or tube_id not in observed:
            where = "the inventory" if tube_id not in known else "the hardware"
            lines.append(f"tube {tube_id} is missing from {where}")
            continue
        for name in OBSERVED_FIELDS:
            ours, theirs = getattr(known[tube_id], name), getattr(observed[tube_id], name)
            if ours != theirs:
                lines.append(
                    f"tube {tube_id} {name}: inventory {shown(ours)}, hardware {shown(theirs)}"
                )
    hardware_seals = {d: s.seals_remaining for d, s in hardware.dispensers.items()}
    for dispenser, ours in inventory.seals().items():
        theirs = hardware_seals.get(dispenser)
        if theirs != ours:
            lines.append(f"dispenser {dispenser}: inventory {ours} seals, hardware {theirs}")
    return lines


def adopt_hardware(inventory: Inventory, hardware: HardwareState, reason: str) -> list[str]:
    """Make the inventory say what the hardware shows, on an operator's request: for each
    tube that differs, its physical fields (the catalogue fields stay); each dispenser's
    count; an open step and an unfinished sequence are closed. Returns the differences it
    adopted; ValueError when a tube is missing on one side (that is not a by-hand change)."""
    found = differences(inventory, hardware)
    missing = [line for line in found if "is missing from" in line]
    if missing:
        raise ValueError("cannot adopt: " + "; ".join(missing))
    known = inventory.tubes()
    changes, notes = {}, {}
    for tube_id, seen in hardware.tubes.items():
        record = known[tube_id]
        if all(getattr(record, f) == getattr(seen, f) for f in OBSERVED_FIELDS):
            continue
        changes[tube_id] = {f: getattr(seen, f) for f in PHYSICAL_FIELDS}
        notes[tube_id] = "; ".join(line for line in found if line.startswith(f"tube {tube_id} "))
    hardware_seals = {d: s.seals_remaining for d, s in hardware.dispensers.items()}
    counts = {d: hardware_seals[d] for d, ours in inventory.seals().items()
              if hardware_seals.get(d) != ours}  # fmt: skip
    inventory.operator_adopt(changes, counts, hardware.sim_time_s, reason, notes)
    return found
