"""Step failures raised by the device models and procedures.

A StepError's `code` is the name of an error constant in the matching aca_interfaces action
(e.g. "SEAL_NOT_RELEASED"), so the ROS layer maps it with getattr(Result, code) without the
sim layer importing ROS.
"""

from __future__ import annotations

GENERIC_CODES = (
    "NONE",
    "BUSY",
    "CANCELED",
    "PREEMPTED",
    "INVALID_GOAL",
    "TIMEOUT",
    "NO_TUBE_HELD",
    "WRONG_TUBE",
    "MOTION_FAILED",
    "INTERNAL_ERROR",
)


class StepError(Exception):
    """A caching step could not be carried out. `code` names the action's error constant."""

    def __init__(self, code: str, message: str, **measurements: float) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.measurements = measurements
