"""The status vocabulary: how a device step stands or ended, how a stored sequence stands, how
a Monte Carlo trial ended, and what the teleop target is doing.

Each is a StrEnum whose text is what is stored (the inventory's history.event and
sequences.status, a study table's status column) and what logs print, so a member equals its
stored text and old inventories and tables read unchanged.
Turning them into ROS terms (an action's SUCCEEDED / ABORTED / CANCELED, a marker's colour)
is the ROS layer's job (ros/, nodes/).
"""

from __future__ import annotations

from enum import StrEnum


class StepStatus(StrEnum):
    """A device step in the inventory's history, and how a run of one ended on the physics
    thread or in process (SUCCEEDED, FAILED, CANCELED)."""

    STARTED = "started"  # begun; its ending is not recorded yet
    SUCCEEDED = "succeeded"  # the device did it (an action's SUCCEEDED)
    FAILED = "failed"  # the device gave an error code (an action's ABORTED)
    CANCELED = "canceled"  # stopped on request
    INTERRUPTED = "interrupted"  # cut off by a process that died; closed at the restart

    @property
    def ended(self) -> bool:
        """True for every status but STARTED."""
        return self is not StepStatus.STARTED


STEP_ENDINGS = tuple(s for s in StepStatus if s.ended)


class SequenceStatus(StrEnum):
    """A stored sequence (cache_sample, recover_seal) of the inventory."""

    RUNNING = "running"  # its steps are being carried out (or were, by a process that died)
    FINISHED = "finished"


class TrialStatus(StrEnum):
    """A Monte Carlo trial's row (its `status` column)."""

    OK = "ok"  # ran to its end, whatever its samples came to
    FAILED = "failed"  # raised, or its worker died, on every attempt


class TargetState(StrEnum):
    """What the teleop fork target is doing."""

    IDLE = "idle"  # on the fork, following it
    DRAGGING = "dragging"  # a goal being chosen
    MOVING = "moving"  # planned; the arm is on its way
    FAILED = "failed"  # no plan or a failed move: nothing moved (the status text says why)
