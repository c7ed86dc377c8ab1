"""aca_interfaces by name, and the goal numbers of its enumerations in domain terms (the one
place that maps a CacheSample kind or policy number, or a CoreSample kind number)."""

from __future__ import annotations

from typing import Any

from aca_interfaces import action as actions

from aca_sim.model.kinds import Contents, EmptyTubePolicy, SampleKind

DEVICE_ACTIONS: dict[str, Any] = {
    "move_arm": actions.MoveArm,
    "retrieve_tube": actions.RetrieveTube,
    "transfer_tube_to_bit": actions.TransferTubeToBit,
    "core_sample": actions.CoreSample,
    "receive_tube_from_bit": actions.ReceiveTubeFromBit,
    "assess_volume": actions.AssessVolume,
    "capture_image": actions.CaptureImage,
    "dispense_seal": actions.DispenseSeal,
    "activate_seal": actions.ActivateSeal,
    "sweep_bore": actions.SweepBore,
    "store_tube": actions.StoreTube,
    "drop_tube": actions.DropTube,
    "clear_debris": actions.ClearDebris,
}
_CACHE = actions.CacheSample.Goal
SAMPLE_KINDS: dict[int, SampleKind] = {
    _CACHE.KIND_ROCK_CORE: SampleKind.ROCK_CORE,
    _CACHE.KIND_REGOLITH: SampleKind.REGOLITH,
    _CACHE.KIND_ATMOSPHERIC: SampleKind.ATMOSPHERIC,
    _CACHE.KIND_WITNESS: SampleKind.WITNESS,
    _CACHE.KIND_DEPOT_DROP: SampleKind.DEPOT_DROP,
}
EMPTY_POLICIES: dict[int, EmptyTubePolicy] = {
    _CACHE.EMPTY_SEAL_AS_ATMOSPHERIC: EmptyTubePolicy.SEAL_AS_ATMOSPHERIC,
    _CACHE.EMPTY_HOLD_UNSEALED: EmptyTubePolicy.HOLD_UNSEALED,
    _CACHE.EMPTY_ABORT: EmptyTubePolicy.ABORT,
}
CORE_KINDS: dict[int, Contents] = {
    actions.CoreSample.Goal.KIND_ROCK_CORE: Contents.ROCK_CORE,
    actions.CoreSample.Goal.KIND_REGOLITH: Contents.REGOLITH,
}


# The goal fields whose numbers stand for a domain value, by (action, field).
GOAL_ENUMS: dict[tuple[str, str], dict[int, Any]] = {
    ("cache_sample", "kind"): SAMPLE_KINDS,
    ("cache_sample", "empty_tube_policy"): EMPTY_POLICIES,
    ("core_sample", "kind"): CORE_KINDS,
}


def number_of(table: dict[int, Any], value: Any) -> int:
    """The goal number a table gives a domain value."""
    return next(number for number, known in table.items() if known == value)


def goal_number(action: str, field: str, value: Any) -> Any:
    """A goal field's value as the message carries it: an enumerated field (GOAL_ENUMS) also
    takes its domain name ("rock_core") and gets the number; other values pass unchanged.
    ValueError for a name the field does not know."""
    table = GOAL_ENUMS.get((action, field))
    if table is None or not isinstance(value, str):
        return value
    try:
        return number_of(table, value)  # the domain values are str enums: equal to their names
    except StopIteration:
        names = ", ".join(known.value for known in table.values())
        raise ValueError(f"not one of {names}") from None


SEQUENCE_ACTIONS: dict[str, Any] = {
    "cache_sample": actions.CacheSample,
    "recover_seal": actions.RecoverSeal,
}
ALL_ACTIONS: dict[str, Any] = {**DEVICE_ACTIONS, **SEQUENCE_ACTIONS}
