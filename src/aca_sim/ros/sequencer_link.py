"""The campaign's SequencePort over ROS: the sequencer's actions and the sim's fault service,
called from a thread that is not spinning the node (aca_sim.ros.blocking)."""

from __future__ import annotations

from typing import Any

from aca_interfaces.action import CacheSample, RecoverSeal
from aca_interfaces.srv import InjectFault
from rclpy.action import ActionClient

from aca_sim.caching.campaign import OnFeedback, faults_summary
from aca_sim.caching.sequence_types import (
    CacheRequest,
    RecoverRequest,
    SequenceFeedback,
    SequenceResult,
)
from aca_sim.model.kinds import Catalogue
from aca_sim.ros.blocking import get_result, send_goal
from aca_sim.ros.conversions import code_of
from aca_sim.ros.interfaces import EMPTY_POLICIES, SAMPLE_KINDS, number_of
from aca_sim.ros.matching import call_idempotent, wait_action_matched


class SequencerLink:
    """Sends cache_sample / recover_seal goals and fault scenarios to a running system.
    Thread rule: call from a thread that is not spinning `node`."""

    def __init__(self, node: Any, timeout_s: float = 3600.0) -> None:
        self.node, self.timeout_s = node, timeout_s
        self.cache = ActionClient(node, CacheSample, "/aca/cache_sample")
        self.recover = ActionClient(node, RecoverSeal, "/aca/recover_seal")
        self.inject = node.create_client(InjectFault, "/aca/sim/inject_fault")

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Wait until the sequencer's actions have answered a probe from this node (matched
        both ways, see ros/matching.py) and the sim's fault service is up."""
        try:
            wait_action_matched(self.node, CacheSample, "/aca/cache_sample", timeout_s)
            wait_action_matched(self.node, RecoverSeal, "/aca/recover_seal", timeout_s)
        except TimeoutError as error:
            raise RuntimeError(f"the sequencer did not come up: {error}") from error
        if not self.inject.wait_for_service(timeout_sec=timeout_s):
            raise RuntimeError("/aca/sim/inject_fault did not come up")

    def arm_scenario(self, name: str) -> str:
        """Arm a fault scenario through /aca/sim/inject_fault; RuntimeError with its message
        when refused."""
        request = InjectFault.Request(kind="scenario", scenario=name)
        armed = call_idempotent(self.inject, request, 30, "inject_fault")
        if not armed.success:
            raise RuntimeError(armed.message)
        return armed.message

    def arm_faults(self, faults: tuple[tuple[str, float], ...]) -> str:
        """Arm each fault through /aca/sim/inject_fault, in order; RuntimeError with the
        sim's message when one is refused (the campaign file checked them all already)."""
        for kind, value in faults:
            armed = call_idempotent(
                self.inject, InjectFault.Request(kind=kind, value=float(value)), 30, "inject_fault"
            )
            if not armed.success:
                raise RuntimeError(armed.message)
        return faults_summary(faults)

    def cache_sample(self, request: CacheRequest, on_feedback: OnFeedback) -> SequenceResult:
        """One cache_sample goal to its result."""
        goal = CacheSample.Goal(
            kind=number_of(SAMPLE_KINDS, request.kind),
            sample_name=request.sample_name,
            slot=request.slot,
            dispenser=request.dispenser,
            empty_tube_policy=number_of(EMPTY_POLICIES, request.empty_policy),
        )
        return self._result(self.cache, goal, on_feedback)

    def recover_seal(self, request: RecoverRequest, on_feedback: OnFeedback) -> SequenceResult:
        """One recover_seal goal to its result."""
        goal = RecoverSeal.Goal(
            tube_id=request.tube_id, sweeps=request.sweeps, dispenser=request.dispenser
        )
        return self._result(self.recover, goal, on_feedback)

    def _result(self, client: Any, goal: Any, on_feedback: OnFeedback) -> SequenceResult:
        def feedback(message: Any) -> None:
            fb = message.feedback
            on_feedback(
                SequenceFeedback(
                    fb.step, fb.step_index, fb.step_count, fb.progress, fb.last_measurement
                )
            )

        handle = send_goal(self.node, client, goal, 30, feedback)
        if not handle.accepted:
            raise RuntimeError(f"{type(goal).__name__} was rejected (a sequence is running)")
        result = get_result(self.node, handle, self.timeout_s, "sequence result").result
        return SequenceResult(
            code_of(result.error_code),
            result.error_msg,
            tube_id=getattr(result, "tube_id", 0),
            sealed=result.sealed,
            sample_height_m=getattr(result, "sample_height_m", 0.0),
            catalogued_kind=Catalogue(result.catalogued_kind),
            awaiting_ground=getattr(result, "awaiting_ground", False),
            sweeps_done=getattr(result, "sweeps_done", 0),
            peak_force_n=getattr(result, "peak_force_n", 0.0),
            duration_s=result.duration_s,
        )
