"""Error codes: one name and one number for each way a step or a sequence can end.

Every aca_interfaces action carries, as uint8 constants, the generic codes and the codes its
server can produce, with the numbers below; the same name has the same number in every
action (tests/unit/test_error_codes.py checks the .action files against this table, and that
each action has a constant for every code its simulator procedure can raise).
"""

from __future__ import annotations

from enum import Enum


class Code(str, Enum):
    """An error code; its value is its name (the form stored in the inventory history)."""

    # Generic: every action has these.
    NONE = "NONE"
    BUSY = "BUSY"
    CANCELED = "CANCELED"
    PREEMPTED = "PREEMPTED"
    INVALID_GOAL = "INVALID_GOAL"
    TIMEOUT = "TIMEOUT"
    NO_TUBE_HELD = "NO_TUBE_HELD"
    WRONG_TUBE = "WRONG_TUBE"
    MOTION_FAILED = "MOTION_FAILED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    # Sequences (and the device steps where they start).
    SEAL_NOT_RELEASED = "SEAL_NOT_RELEASED"
    EMPTY_TUBE = "EMPTY_TUBE"
    EARLY_DRAG = "EARLY_DRAG"
    STEP_FAILED = "STEP_FAILED"
    INVENTORY_MISMATCH = "INVENTORY_MISMATCH"
    NO_TUBE_AVAILABLE = "NO_TUBE_AVAILABLE"
    TUBE_SEALED = "TUBE_SEALED"
    # Device steps.
    UNKNOWN_STATION = "UNKNOWN_STATION"
    OUT_OF_LIMITS = "OUT_OF_LIMITS"
    UNREACHABLE = "UNREACHABLE"
    SLOT_EMPTY = "SLOT_EMPTY"
    SLOT_OCCUPIED = "SLOT_OCCUPIED"
    GRIPPER_OCCUPIED = "GRIPPER_OCCUPIED"
    GRIP_FAILED = "GRIP_FAILED"
    BIT_NOT_SAMPLING = "BIT_NOT_SAMPLING"
    BIT_OCCUPIED = "BIT_OCCUPIED"
    TUBE_NOT_EMPTY = "TUBE_NOT_EMPTY"
    NO_TUBE_IN_BIT = "NO_TUBE_IN_BIT"
    CAROUSEL_HALTED = "CAROUSEL_HALTED"
    DISPENSER_EMPTY = "DISPENSER_EMPTY"
    TUBE_ALREADY_SEALED = "TUBE_ALREADY_SEALED"
    NO_SEALS_LEFT = "NO_SEALS_LEFT"
    NO_SEAL_IN_TUBE = "NO_SEAL_IN_TUBE"
    ALREADY_ACTIVATED = "ALREADY_ACTIVATED"
    ACTIVATION_FAILED = "ACTIVATION_FAILED"
    TUBE_NOT_SEALED = "TUBE_NOT_SEALED"
    UNKNOWN_NAMED_STATE = "UNKNOWN_NAMED_STATE"
    START_IN_COLLISION = "START_IN_COLLISION"
    GOAL_IN_COLLISION = "GOAL_IN_COLLISION"
    NO_PATH = "NO_PATH"
    NOTHING_TO_CLEAR = "NOTHING_TO_CLEAR"

    @property
    def number(self) -> int:
        """The uint8 value of this code's constant in every action that has it."""
        return NUMBERS[self]


GENERIC = (
    Code.NONE,
    Code.BUSY,
    Code.CANCELED,
    Code.PREEMPTED,
    Code.INVALID_GOAL,
    Code.TIMEOUT,
    Code.NO_TUBE_HELD,
    Code.WRONG_TUBE,
    Code.MOTION_FAILED,
    Code.INTERNAL_ERROR,
)
# Explicit numbers: a code keeps its number for good (clients compare numbers).
NUMBERS: dict[Code, int] = {
    Code.NONE: 0,
    Code.BUSY: 1,
    Code.CANCELED: 2,
    Code.PREEMPTED: 3,
    Code.INVALID_GOAL: 4,
    Code.TIMEOUT: 5,
    Code.NO_TUBE_HELD: 6,
    Code.WRONG_TUBE: 7,
    Code.MOTION_FAILED: 8,
    Code.INTERNAL_ERROR: 9,
    Code.SEAL_NOT_RELEASED: 10,
    Code.EMPTY_TUBE: 11,
    Code.EARLY_DRAG: 12,
    Code.STEP_FAILED: 13,
    Code.INVENTORY_MISMATCH: 14,
    Code.NO_TUBE_AVAILABLE: 15,
    Code.TUBE_SEALED: 16,
    Code.UNKNOWN_STATION: 20,
    Code.OUT_OF_LIMITS: 21,
    Code.UNREACHABLE: 22,
    Code.SLOT_EMPTY: 23,
    Code.SLOT_OCCUPIED: 24,
    Code.GRIPPER_OCCUPIED: 25,
    Code.GRIP_FAILED: 26,
    Code.BIT_NOT_SAMPLING: 27,
    Code.BIT_OCCUPIED: 28,
    Code.TUBE_NOT_EMPTY: 29,
    Code.NO_TUBE_IN_BIT: 30,
    Code.CAROUSEL_HALTED: 31,
    Code.DISPENSER_EMPTY: 32,
    Code.TUBE_ALREADY_SEALED: 33,
    Code.NO_SEALS_LEFT: 34,
    Code.NO_SEAL_IN_TUBE: 35,
    Code.ALREADY_ACTIVATED: 36,
    Code.ACTIVATION_FAILED: 37,
    Code.TUBE_NOT_SEALED: 38,
    Code.UNKNOWN_NAMED_STATE: 39,
    Code.START_IN_COLLISION: 40,
    Code.GOAL_IN_COLLISION: 41,
    Code.NO_PATH: 42,
    Code.NOTHING_TO_CLEAR: 43,
}
BY_NUMBER: dict[int, Code] = {n: code for code, n in NUMBERS.items()}
