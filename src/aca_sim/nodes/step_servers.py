"""The device action servers of the sim node: one per caching step, plus move_arm.

Each entry wires a procedure of aca_sim.sim.procedures to its aca_interfaces action: how a
goal becomes an operation, how the result and feedback are filled, which devices it holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aca_interfaces.action import (
    ActivateSeal,
    AssessVolume,
    CaptureImage,
    CoreSample,
    DispenseSeal,
    DropTube,
    MoveArm,
    ReceiveTubeFromBit,
    RetrieveTube,
    StoreTube,
    SweepBore,
    TransferTubeToBit,
)

from aca_sim.nodes.conversions import image_msg
from aca_sim.sim import procedures as steps
from aca_sim.sim.state import Contents
from aca_sim.sim.world import AcaWorld, Feedback

SHA = frozenset({"sha"})
SHA_AND_BITS = frozenset({"sha", "bit_carousel"})
SHA_AND_SEALS = frozenset({"sha", "seal_carousel"})
BITS = frozenset({"bit_carousel"})


@dataclass(frozen=True)
class StepSpec:
    """How one action maps onto the simulator."""

    name: str
    action: Any
    make_operation: Callable[[AcaWorld, Any], Any]
    fill_result: Callable[[Any, Any], None]
    fill_feedback: Callable[[Any, Feedback], None] | None = None
    needs: frozenset[str] = SHA
    preempt: bool = False


def _force(message: Any, feedback: Feedback) -> None:
    message.measured_force_n = float(feedback.force_n)


def _tube_result(result: Any, value: Any) -> None:
    result.tube_id = value.tube_id


def _move_result(result: Any, q: Any) -> None:
    result.joint_positions = [float(v) for v in q]


def _store_result(result: Any, value: Any) -> None:
    result.tube_id = value.tube_id
    result.slot = int(value.location.removeprefix("slot_"))


def _transfer_result(result: Any, value: Any) -> None:
    result.tube_id = value.tube_id
    result.bit_slot = int(value.location.removeprefix("bit_"))


def _core_result(result: Any, value: Any) -> None:
    result.bit_slot = value.bit_slot
    result.contact_travel_m = float(value.contact_travel_m)
    result.peak_drag_n = float(value.peak_drag_n)


def _core_feedback(message: Any, feedback: Feedback) -> None:
    message.drag_n = float(feedback.force_n)
    message.travel_m = float(feedback.value) if feedback.phase == "coring_bit_dropoff" else 0.0


def _probe_result(result: Any, value: Any) -> None:
    result.contact_detected = value.contact
    result.sample_height_m = float(value.sample_height_m)
    result.probe_travel_m = float(value.travel_m)


def _probe_feedback(message: Any, feedback: Feedback) -> None:
    message.measured_force_n = float(feedback.force_n)
    message.probe_travel_m = float(feedback.value) if feedback.phase == "probe" else 0.0


def _dispense_result(result: Any, value: Any) -> None:
    result.dispenser = value.dispenser
    result.seal_present = value.seal_present
    result.peak_force_n = float(value.peak_force_n)
    result.release_limit_n = float(value.release_limit_n)


def _activate_result(result: Any, value: Any) -> None:
    result.hermetic = value.hermetic
    result.peak_force_n = float(value.peak_force_n)
    result.stroke_m = float(value.stroke_m)


def _sweep_result(result: Any, value: Any) -> None:
    result.sweeps_done = value.sweeps_done
    result.rim_dust_after = float(value.rim_dust)
    result.bore_dust_after = float(value.bore_dust)
    result.predicted_insertion_force_n = float(value.predicted_insertion_force_n)


def _sweep_feedback(message: Any, feedback: Feedback) -> None:
    message.rim_dust = float(feedback.value) if feedback.phase == "sweep" else 0.0


def _drop_result(result: Any, value: Any) -> None:
    result.dropped = True
    result.landed_on_end = value.landed_on_end


def _image_result(result: Any, value: Any) -> None:
    result.image = value.message
    result.rim_dust_estimate = float(value.image.rim_dust_estimate)


def step_specs(on_image: Callable[[Any], Any]) -> list[StepSpec]:
    """Every device action. on_image(Image) runs on the physics thread after a capture and
    returns an object with .image and .message (the published sensor_msgs/Image)."""

    def capture(world: AcaWorld, goal: Any) -> Any:
        image = yield from steps.capture_image(world, goal.tube_id)
        return on_image(image)

    def core(world: AcaWorld, goal: Any) -> Any:
        contents = {
            CoreSample.Goal.KIND_ROCK_CORE: Contents.ROCK_CORE,
            CoreSample.Goal.KIND_REGOLITH: Contents.REGOLITH,
        }
        return steps.core_sample(world, goal.bit_slot, contents.get(goal.kind, Contents.EMPTY))

    return [
        StepSpec(
            "move_arm",
            MoveArm,
            lambda w, g: steps.move_arm(w, g.station, tuple(g.joint_positions), g.engage),
            _move_result,
            _force,
            preempt=True,
        ),
        StepSpec(
            "retrieve_tube",
            RetrieveTube,
            lambda w, g: steps.retrieve_tube(w, g.slot),
            _tube_result,
            _force,
        ),
        StepSpec(
            "transfer_tube_to_bit",
            TransferTubeToBit,
            lambda w, g: steps.transfer_tube_to_bit(w, g.bit_slot),
            _transfer_result,
            _force,
            SHA_AND_BITS,
        ),
        StepSpec("core_sample", CoreSample, core, _core_result, _core_feedback, BITS),
        StepSpec(
            "receive_tube_from_bit",
            ReceiveTubeFromBit,
            lambda w, g: steps.receive_tube_from_bit(w, g.bit_slot),
            _tube_result,
            _force,
            SHA_AND_BITS,
        ),
        StepSpec(
            "assess_volume",
            AssessVolume,
            lambda w, g: steps.assess_volume(w, g.tube_id),
            _probe_result,
            _probe_feedback,
        ),
        StepSpec("capture_image", CaptureImage, capture, _image_result),
        StepSpec(
            "dispense_seal",
            DispenseSeal,
            lambda w, g: steps.dispense_seal(w, g.tube_id, g.dispenser),
            _dispense_result,
            _force,
            SHA_AND_SEALS,
        ),
        StepSpec(
            "activate_seal",
            ActivateSeal,
            lambda w, g: steps.activate_seal(w, g.tube_id),
            _activate_result,
            _force,
        ),
        StepSpec(
            "sweep_bore",
            SweepBore,
            lambda w, g: steps.sweep_bore(w, g.sweeps, g.tube_id),
            _sweep_result,
            _sweep_feedback,
        ),
        StepSpec(
            "store_tube",
            StoreTube,
            lambda w, g: steps.store_tube(w, g.slot),
            _store_result,
            _force,
        ),
        StepSpec(
            "drop_tube",
            DropTube,
            lambda w, g: steps.drop_tube(w, g.tube_id, g.allow_unsealed),
            _drop_result,
        ),
    ]


@dataclass(frozen=True)
class CapturedImage:
    """A CacheCam capture with the message that was published for it."""

    image: Any
    message: Any


def make_captured(image: Any, stamp_s: float, frame_id: str) -> CapturedImage:
    """Wrap a capture with its sensor_msgs/Image."""
    return CapturedImage(image, image_msg(image.rgb, stamp_s, frame_id))
