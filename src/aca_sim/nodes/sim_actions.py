"""The sim node's device action servers: one per device step of aca_sim.sim.step_table, with
the ROS-only parts: which action type, what the feedback carries, which server preempts
(move_arm), and the CacheCam image a capture publishes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aca_sim.model.status import StepStatus
from aca_sim.model.steps import STEP_DEVICES
from aca_sim.ros.conversions import goal_fields
from aca_sim.ros.feedback_pacing import FeedbackPacing
from aca_sim.ros.interfaces import DEVICE_ACTIONS
from aca_sim.sim.aca import Aca
from aca_sim.sim.drive import Outcome
from aca_sim.sim.operation import Feedback, Operation
from aca_sim.sim.step_table import STEPS, start
from aca_sim.sim_servers.setting import SimSetting
from aca_sim.sim_servers.step_server import StepServer

PREEMPTING = {"move_arm"}  # newest goal preempts; every other server rejects while busy


def _force(message: Any, feedback: Feedback) -> None:
    message.measured_force_n = float(feedback.force_n)


def _core(message: Any, feedback: Feedback) -> None:
    message.drag_n = float(feedback.force_n)
    message.travel_m = float(feedback.value) if feedback.phase == "coring_bit_dropoff" else 0.0


def _probe(message: Any, feedback: Feedback) -> None:
    message.measured_force_n = float(feedback.force_n)
    message.probe_travel_m = float(feedback.value) if feedback.phase == "probe" else 0.0


def _sweep(message: Any, feedback: Feedback) -> None:
    message.rim_dust = float(feedback.value) if feedback.phase == "sweep" else 0.0


FEEDBACK: dict[str, Callable[[Any, Feedback], None] | None] = {
    "move_arm": _force,
    "retrieve_tube": _force,
    "transfer_tube_to_bit": _force,
    "core_sample": _core,
    "receive_tube_from_bit": _force,
    "assess_volume": _probe,
    "capture_image": None,
    "dispense_seal": _force,
    "activate_seal": _force,
    "sweep_bore": _sweep,
    "store_tube": _force,
    "drop_tube": None,
    "clear_debris": None,
}


def _operation_for(action: str) -> Callable[[Aca, Any], Operation]:
    def make(aca: Aca, goal: Any) -> Operation:
        return start(aca, action, goal_fields(action, goal))

    return make


def device_servers(
    setting: SimSetting,
    pacing: FeedbackPacing,
    publish_capture: Callable[[Any, float], dict[str, Any]],
) -> list[StepServer]:
    """One StepServer per device step, sharing the setting's device book (with the
    trajectory controller); publish_capture(capture, stamp_s) publishes each CacheCam capture
    and returns its raw messages by focus mode (CacheCamTopics.publish)."""

    def with_image(result: Any, capture: Any, ended: Outcome) -> None:
        if ended.status == StepStatus.SUCCEEDED:
            sent = publish_capture(capture, ended.finished_s)
            result.image, result.sample_image = sent["rim"], sent["sample"]

    return [
        StepServer(
            setting,
            DEVICE_ACTIONS[action],
            action,
            _operation_for(action),
            STEP_DEVICES[action],
            FEEDBACK[action],
            with_image if action == "capture_image" else None,
            preempt=action in PREEMPTING,
            pacing=pacing,
        )
        for action in STEPS
    ]
