"""Step failures raised by the device models and procedures.

A StepError's `code` is an aca_sim.model.codes.Code; every action that runs a procedure has a
constant of that name (tests/unit/test_error_codes.py), so the ROS layer maps it by name
without the sim layer importing ROS.
"""

from __future__ import annotations

from aca_sim.model.codes import Code


class StepError(Exception):
    """A caching step could not be carried out. Measurements (floats, SI units in the name)
    say what the hardware saw, e.g. a stuck seal's peak_force_n."""

    def __init__(self, code: Code, message: str, **measurements: float) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
        self.measurements = measurements
