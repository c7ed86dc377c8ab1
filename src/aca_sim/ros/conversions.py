"""Messages to and from the domain model. Pure functions; no node state.

Tube, dispenser and bit-slot records <-> aca_interfaces messages; the hardware state <->
GetWorldState responses; device steps <-> action goals; action results <-> StepOutcomes;
error codes <-> the uint8 constants (aca_sim.model.codes numbers).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import numpy as np
from aca_interfaces.msg import BitSlotState, DispenserState, TubeState
from aca_interfaces.srv import GetWorldState
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CompressedImage as CompressedImageMsg
from sensor_msgs.msg import Image as ImageMsg
from std_msgs.msg import Header

from aca_sim.model.codes import BY_NUMBER, Code
from aca_sim.model.kinds import BitType, Contents, SealState, TubeKind
from aca_sim.model.locations import Location
from aca_sim.model.records import BitSlot, Dispenser, HardwareState, Tube
from aca_sim.model.steps import RESULT_VALUES, Step, StepOutcome
from aca_sim.ros.interfaces import CORE_KINDS, DEVICE_ACTIONS, number_of


def sim_time(seconds: float) -> Time:
    """builtin_interfaces/Time for a sim time in seconds."""
    ns = round(seconds * 1e9)
    return Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def seconds(stamp: Time) -> float:
    """Seconds of a builtin_interfaces/Time."""
    return stamp.sec + stamp.nanosec * 1e-9


# ---------------------------------------------------------------------- records
def tube_msg(tube: Tube) -> TubeState:
    """aca_interfaces/TubeState for a tube record."""
    return TubeState(
        tube_id=tube.tube_id,
        kind=tube.kind.value,
        contents=tube.contents.value,
        sample_name=tube.sample_name,
        location=str(tube.location),
        home_slot=tube.home_slot,
        sample_height_m=float(tube.sample_height_m),
        core_top_depth_m=float(tube.core_top_depth_m),
        rim_dust=float(tube.rim_dust),
        bore_dust=float(tube.bore_dust),
        seal_state=int(tube.seal_state),
        seal_id=tube.seal_id,
    )


def tube_of(msg: TubeState) -> Tube:
    """The tube record of an aca_interfaces/TubeState."""
    return Tube(
        tube_id=msg.tube_id,
        kind=TubeKind(msg.kind),
        home_slot=msg.home_slot,
        location=Location.parse(msg.location),
        contents=Contents(msg.contents),
        sample_height_m=msg.sample_height_m,
        core_top_depth_m=msg.core_top_depth_m,
        rim_dust=msg.rim_dust,
        bore_dust=msg.bore_dust,
        seal_state=SealState(msg.seal_state),
        seal_id=msg.seal_id,
        sample_name=msg.sample_name,
    )


def dispenser_msg(dispenser: Dispenser) -> DispenserState:
    """aca_interfaces/DispenserState for a dispenser record."""
    return DispenserState(
        dispenser_id=dispenser.dispenser_id,
        seals_remaining=dispenser.seals_remaining,
        release_limit_n=float(dispenser.release_limit_n),
    )


def bit_slot_msg(slot: BitSlot) -> BitSlotState:
    """aca_interfaces/BitSlotState for a bit slot record."""
    return BitSlotState(
        slot=slot.slot,
        bit_type=slot.bit_type.value,
        tube_id=slot.tube_id,
        debris_count=slot.debris_count,
    )


def world_state_response(
    hardware: HardwareState, response: GetWorldState.Response
) -> GetWorldState.Response:
    """Fill a GetWorldState response with a hardware state."""
    response.sim_time = sim_time(hardware.sim_time_s)
    response.joint_names = list(hardware.joint_positions)
    response.joint_positions = [float(q) for q in hardware.joint_positions.values()]
    response.held_tube_id = hardware.held_tube_id
    response.tubes = [tube_msg(hardware.tubes[t]) for t in sorted(hardware.tubes)]
    response.dispensers = [
        dispenser_msg(hardware.dispensers[d]) for d in sorted(hardware.dispensers)
    ]
    response.bit_slots = [bit_slot_msg(hardware.bit_slots[s]) for s in sorted(hardware.bit_slots)]
    response.caching_halted = hardware.caching_halted
    response.state_hash = hardware.state_hash
    return response


def hardware_of(response: GetWorldState.Response) -> HardwareState:
    """The hardware state a GetWorldState response shows."""
    return HardwareState(
        sim_time_s=seconds(response.sim_time),
        held_tube_id=response.held_tube_id,
        tubes={t.tube_id: tube_of(t) for t in response.tubes},
        dispensers={
            d.dispenser_id: Dispenser(d.dispenser_id, d.seals_remaining, d.release_limit_n)
            for d in response.dispensers
        },
        bit_slots={
            b.slot: BitSlot(b.slot, BitType(b.bit_type), b.tube_id, b.debris_count)
            for b in response.bit_slots
        },
        caching_halted=response.caching_halted,
        joint_positions=dict(zip(response.joint_names, response.joint_positions, strict=True)),
        state_hash=response.state_hash,
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


def compressed_png_msg(rgb: np.ndarray, stamp_s: float, frame_id: str) -> CompressedImageMsg:
    """sensor_msgs/CompressedImage (format "png", as Foxglove and image_transport read it)
    from an HxWx3 uint8 array."""
    from PIL import Image as PilImage

    buffer = io.BytesIO()
    PilImage.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(
        buffer, format="PNG", compress_level=1
    )
    return CompressedImageMsg(
        header=Header(stamp=sim_time(stamp_s), frame_id=frame_id),
        format="png",
        data=buffer.getvalue(),
    )


# ---------------------------------------------------------------------- device steps
def goal_msg(step: Step) -> Any:
    """The action goal of a device step (CoreSample: contents -> kind number)."""
    fields = dict(step.goal)
    if step.action == "core_sample" and "contents" in fields:
        fields["kind"] = number_of(CORE_KINDS, Contents(fields.pop("contents")))
    return DEVICE_ACTIONS[step.action].Goal(**fields)


def goal_fields(action: str, goal: Any) -> dict[str, Any]:
    """A device action goal as the step's goal fields (CoreSample: kind -> contents; a kind
    number it does not know stays a number, which the procedure refuses by name)."""
    fields = {name: getattr(goal, name) for name in goal.get_fields_and_field_types()}
    if action == "core_sample":
        kind = fields.pop("kind")
        fields["contents"] = CORE_KINDS.get(kind, f"kind {kind}")
    if action == "move_arm":
        fields["joint_positions"] = tuple(fields["joint_positions"])
        fields["pose_target"] = pose_target_of(fields["pose_target"])
    return fields


def pose_target_of(pose: Any) -> tuple[str, tuple[float, ...], tuple[float, ...]] | None:
    """A geometry_msgs/PoseStamped as (frame, xyz, quaternion xyzw); None when its frame_id
    is empty (no pose target given)."""
    if not pose.header.frame_id:
        return None
    p, q = pose.pose.position, pose.pose.orientation
    return pose.header.frame_id, (p.x, p.y, p.z), (q.x, q.y, q.z, q.w)


def code_of(number: int) -> Code:
    """The code of a result's error_code (INTERNAL_ERROR for a number no code has)."""
    return BY_NUMBER.get(number, Code.INTERNAL_ERROR)


def fill_result(result: Any, outcome: StepOutcome) -> Any:
    """Fill an action result message from a step outcome; the message."""
    result.error_code = outcome.code.number
    result.error_msg = outcome.message
    if hasattr(result, "duration_s"):
        result.duration_s = float(outcome.duration_s)
    for name, value in outcome.values.items():
        setattr(result, name, value)
    return result


def outcome_of(action: str, result: Any) -> StepOutcome:
    """The step outcome an action result message says."""
    values: Mapping[str, Any] = {
        name: _plain(getattr(result, name)) for name in RESULT_VALUES[action]
    }
    return StepOutcome(
        action, code_of(result.error_code), result.error_msg, result.duration_s, dict(values)
    )


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray | list | tuple):
        return [float(v) for v in value]
    return value
