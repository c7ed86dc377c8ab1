"""The caching steps as operations over the device models, one function per step.

Every step checks its preconditions first (a bad goal changes nothing: StepError before
anything moves), then drives the devices; cancel or an error stops its actuators where they
are. Thread rule: run on the thread that owns the Aca.
"""

from aca_sim.sim.procedures.arm import drop_tube, move_arm, retrieve_tube, store_tube
from aca_sim.sim.procedures.bits import (
    clear_debris,
    core_sample,
    receive_tube_from_bit,
    transfer_tube_to_bit,
)
from aca_sim.sim.procedures.stations import (
    activate_seal,
    assess_volume,
    capture_image,
    dispense_seal,
    sweep_bore,
)

__all__ = [
    "activate_seal",
    "assess_volume",
    "capture_image",
    "clear_debris",
    "core_sample",
    "dispense_seal",
    "drop_tube",
    "move_arm",
    "receive_tube_from_bit",
    "retrieve_tube",
    "store_tube",
    "sweep_bore",
    "transfer_tube_to_bit",
]
