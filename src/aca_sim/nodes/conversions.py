"""Build ROS messages from sim-layer records. Pure functions; no node state."""

from __future__ import annotations

import numpy as np
from aca_interfaces.msg import BitSlotState, DispenserState, TubeState
from builtin_interfaces.msg import Time
from sensor_msgs.msg import Image as ImageMsg
from std_msgs.msg import Header

from aca_sim.sim import state as sim_state


def sim_time(seconds: float) -> Time:
    """builtin_interfaces/Time for a sim time in seconds."""
    ns = round(seconds * 1e9)
    return Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def tube_msg(tube: sim_state.TubeState) -> TubeState:
    """aca_interfaces/TubeState for a tube record (the physical truth of the simulator)."""
    return TubeState(
        tube_id=tube.tube_id,
        kind=tube.kind.value,
        contents=tube.contents.value,
        location=tube.location,
        home_slot=tube.home_slot,
        sample_height_m=float(tube.sample_height_m),
        rim_dust=float(tube.rim_dust),
        bore_dust=float(tube.bore_dust),
        seal_state=int(tube.seal_state),
    )


def dispenser_msg(dispenser: sim_state.DispenserState) -> DispenserState:
    """aca_interfaces/DispenserState for a dispenser record."""
    return DispenserState(
        dispenser_id=dispenser.dispenser_id,
        seals_remaining=dispenser.seals_remaining,
        release_limit_n=float(dispenser.release_limit_n),
    )


def bit_slot_msg(slot: sim_state.BitSlotState) -> BitSlotState:
    """aca_interfaces/BitSlotState for a bit slot record."""
    return BitSlotState(
        slot=slot.slot,
        bit_type=slot.bit_type.value,
        tube_id=slot.tube_id,
        debris_count=slot.debris_count,
    )


def image_msg(rgb: np.ndarray, stamp_s: float, frame_id: str) -> ImageMsg:
    """sensor_msgs/Image (rgb8) from an HxWx3 uint8 array."""
    height, width = rgb.shape[:2]
    return ImageMsg(
        header=Header(stamp=sim_time(stamp_s), frame_id=frame_id),
        height=height,
        width=width,
        encoding="rgb8",
        is_bigendian=0,
        step=width * 3,
        data=np.ascontiguousarray(rgb, dtype=np.uint8).tobytes(),
    )
