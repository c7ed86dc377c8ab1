"""The caching sequencer: the `cache_sample` action, driving only the device actions.

For each step of the plan (aca_sim.caching.sequences) it records the start in the inventory,
sends the device goal, reads what the hardware shows (/aca/sim/get_state) and records the
outcome with the tube's new state in one transaction. Failures and the volume reading go
through the onboard fault responses (aca_sim.caching.fault_protection). On start it
reconciles the inventory with the hardware and refuses to run on a contradiction.

Actions: /aca/cache_sample (one sample, start to end) and /aca/recover_seal (the ground-
commanded recovery of a stuck seal: retrieve, sweep the bore n times, retry, store).
Goal policy: one sequence at a time; a goal of either action while one runs is rejected.
Thread rule: everything runs on the node's executor (async callbacks), never on pybullet.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aca_interfaces import action as actions
from aca_interfaces.srv import GetWorldState
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.action import ActionClient, ActionServer, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node

from aca_sim.caching.fault_protection import EmptyTubePolicy, after_failure, after_volume
from aca_sim.caching.inventory import Inventory, InventoryMismatch, Observed, TubeRecord
from aca_sim.caching.sequences import SampleKind, Step, plan
from aca_sim.nodes.spinning import run_node

DEVICE_ACTIONS = {
    "move_arm": actions.MoveArm,
    "retrieve_tube": actions.RetrieveTube,
    "transfer_tube_to_bit": actions.TransferTubeToBit,
    "core_sample": actions.CoreSample,
    "receive_tube_from_bit": actions.ReceiveTubeFromBit,
    "assess_volume": actions.AssessVolume,
    "capture_image": actions.CaptureImage,
    "dispense_seal": actions.DispenseSeal,
    "activate_seal": actions.ActivateSeal,
    "sweep_bore": actions.SweepBore,
    "store_tube": actions.StoreTube,
    "drop_tube": actions.DropTube,
}
KINDS = {
    actions.CacheSample.Goal.KIND_ROCK_CORE: SampleKind.ROCK_CORE,
    actions.CacheSample.Goal.KIND_REGOLITH: SampleKind.REGOLITH,
    actions.CacheSample.Goal.KIND_ATMOSPHERIC: SampleKind.ATMOSPHERIC,
    actions.CacheSample.Goal.KIND_WITNESS: SampleKind.WITNESS,
    actions.CacheSample.Goal.KIND_DEPOT_DROP: SampleKind.DEPOT_DROP,
}
POLICIES = {
    actions.CacheSample.Goal.EMPTY_SEAL_AS_ATMOSPHERIC: EmptyTubePolicy.SEAL_AS_ATMOSPHERIC,
    actions.CacheSample.Goal.EMPTY_HOLD_UNSEALED: EmptyTubePolicy.HOLD_UNSEALED,
    actions.CacheSample.Goal.EMPTY_ABORT: EmptyTubePolicy.ABORT,
}
# What a result says, for the feedback's last_measurement.
MEASUREMENTS = {
    "core_sample": lambda r: (
        f"drop-off contact {r.contact_travel_m * 100:.1f} cm, drag {r.peak_drag_n:.0f} N"
    ),
    "assess_volume": lambda r: (
        f"sample height {r.sample_height_m * 100:.2f} cm" if r.contact_detected else "empty"
    ),
    "capture_image": lambda r: f"rim dust ~{r.rim_dust_estimate:.2f}",
    "dispense_seal": lambda r: f"insertion force {r.peak_force_n:.1f} N",
    "activate_seal": lambda r: f"ram {r.peak_force_n:.0f} N, hermetic={r.hermetic}",
}


@dataclass
class RunSummary:
    """What a run of steps came to; sim times in s."""

    code: str = "NONE"
    message: str = ""
    tube_id: int = 0
    sample_height_m: float = 0.0
    awaiting_ground: bool = False
    catalogue: str = ""
    sweeps_done: int = 0
    peak_force_n: float = 0.0
    sealed: bool = False
    end_s: float = 0.0
    duration_s: float = 0.0


class SequencerNode(Node):
    """The cache_sample action server over the device actions and the inventory."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("sequencer", namespace="aca", **kwargs)
        path = self.declare_parameter(
            "inventory_path",
            "aca_inventory.db",
            ParameterDescriptor(
                description="SQLite inventory file (created when missing)", read_only=True
            ),
        ).value
        self.inventory = Inventory(Path(path))
        group = ReentrantCallbackGroup()
        self.device_clients = {
            name: ActionClient(self, kind, f"/aca/{name}", callback_group=group)
            for name, kind in DEVICE_ACTIONS.items()
        }
        self.state_client = self.create_client(
            GetWorldState, "/aca/sim/get_state", callback_group=group
        )
        self._busy = False
        self._ready = False
        self.servers = [
            ActionServer(
                self,
                action_type,
                name,
                execute_callback=self._execute_with(action_type, run),
                goal_callback=self._on_goal_for(name),
                callback_group=group,
            )
            for action_type, name, run in (
                (actions.CacheSample, "cache_sample", self._run),
                (actions.RecoverSeal, "recover_seal", self._recover),
            )
        ]

    def destroy_node(self) -> None:
        """Close the inventory and destroy the node."""
        self.inventory.close()
        super().destroy_node()

    # ------------------------------------------------------------------ hardware view
    async def _world(self) -> GetWorldState.Response:
        if not self.state_client.service_is_ready():
            raise InventoryMismatch("/aca/sim/get_state is not available")
        return await self.state_client.call_async(GetWorldState.Request())

    async def _prepare(self) -> None:
        """Seed an empty inventory from the hardware, or reconcile with it."""
        world = await self._world()
        sim_s = world.sim_time.sec + world.sim_time.nanosec * 1e-9
        seals = {d.dispenser_id: d.seals_remaining for d in world.dispensers}
        if self.inventory.is_empty:
            tubes = [
                TubeRecord(
                    t.tube_id, t.kind, t.home_slot, t.location, t.contents, seal_state=t.seal_state
                )
                for t in world.tubes
            ]
            self.inventory.initialise(tubes, seals, {"created_sim_s": f"{sim_s:.3f}"})
        else:
            observed = {
                t.tube_id: Observed(t.location, t.contents, t.seal_state) for t in world.tubes
            }
            report = self.inventory.reconcile(observed, seals, sim_s)
            if report.interrupted_step_id is not None:
                self.get_logger().warn(f"closed an interrupted step: {'; '.join(report.adopted)}")
        self._ready = True

    # ------------------------------------------------------------------ action
    def _on_goal_for(self, name: str) -> Any:
        def on_goal(_request: Any) -> GoalResponse:
            if self._busy:
                self.get_logger().info(f"{name}: goal rejected, a sequence is running")
                return GoalResponse.REJECT
            self._busy = True
            return GoalResponse.ACCEPT

        return on_goal

    def _execute_with(self, action_type: Any, run: Any) -> Any:
        async def execute(goal_handle: Any) -> Any:
            try:
                return await run(goal_handle)
            except Exception as error:  # every goal ends in an explicit terminal state
                self.get_logger().error(f"{type(error).__name__}: {error}")
                result = action_type.Result(
                    error_code=action_type.Result.INTERNAL_ERROR,
                    error_msg=f"{type(error).__name__}: {error}",
                )
                goal_handle.abort()
                return result
            finally:
                self._busy = False

        return execute

    @staticmethod
    def _finish(goal_handle: Any, result: Any, code: str, message: str) -> Any:
        codes = type(result)
        result.error_code = getattr(codes, code, codes.INTERNAL_ERROR)
        result.error_msg = message if hasattr(codes, code) else f"{code}: {message}"
        if code == "NONE":
            goal_handle.succeed()
        else:
            goal_handle.abort()
        return result

    async def _ensure_ready(self) -> str:
        """Prepare the inventory once; return an error message or ''."""
        try:
            if not self._ready:
                await self._prepare()
        except InventoryMismatch as error:
            return str(error)
        return ""

    async def _run(self, goal_handle: Any) -> Any:
        """cache_sample: plan the sequence for the goal's kind and run it."""
        goal = goal_handle.request
        result = actions.CacheSample.Result()
        if goal.kind not in KINDS:
            return self._finish(
                goal_handle,
                result,
                "INVALID_GOAL",
                f"kind {goal.kind} is not one of {sorted(KINDS)}",
            )
        if goal.empty_tube_policy not in POLICIES:
            message = f"empty_tube_policy {goal.empty_tube_policy} is unknown"
            return self._finish(goal_handle, result, "INVALID_GOAL", message)
        problem = await self._ensure_ready()
        if problem:
            return self._finish(goal_handle, result, "INVENTORY_MISMATCH", problem)
        kind = KINDS[goal.kind]
        slot = goal.slot or self._next_slot(kind)
        if not slot:
            return self._finish(
                goal_handle, result, "NO_TUBE_AVAILABLE", f"no tube left for a {kind.value} sample"
            )
        summary = await self._run_steps(
            goal_handle,
            plan(kind, slot, goal.dispenser),
            actions.CacheSample.Feedback,
            goal.sample_name,
            POLICIES[goal.empty_tube_policy],
        )
        catalogue = summary.catalogue or {SampleKind.WITNESS: "witness"}.get(kind, kind.value)
        result.tube_id, result.sample_height_m = summary.tube_id, summary.sample_height_m
        result.sealed, result.awaiting_ground = summary.sealed, summary.awaiting_ground
        result.catalogued_kind = (
            catalogue if summary.sealed or kind == SampleKind.DEPOT_DROP else ""
        )
        result.duration_s = summary.duration_s
        if result.tube_id:
            self._catalogue(
                result.tube_id, goal.sample_name, result.catalogued_kind, summary.end_s
            )
        return self._finish(goal_handle, result, summary.code, summary.message)

    async def _recover(self, goal_handle: Any) -> Any:
        """recover_seal: retrieve the unsealed tube, sweep the bore, retry the seal, store."""
        goal = goal_handle.request
        result = actions.RecoverSeal.Result()
        problem = await self._ensure_ready()
        if problem:
            return self._finish(goal_handle, result, "INVENTORY_MISMATCH", problem)
        try:
            tube = self.inventory.tube(goal.tube_id)
        except KeyError as error:
            return self._finish(goal_handle, result, "INVALID_GOAL", str(error.args[0]))
        if tube.seal_state != 0:
            return self._finish(
                goal_handle, result, "TUBE_SEALED", f"tube {tube.tube_id} already has a seal"
            )
        if not tube.location.startswith("slot_"):
            return self._finish(
                goal_handle,
                result,
                "INVALID_GOAL",
                f"tube {tube.tube_id} is at {tube.location}, not in storage",
            )
        if goal.sweeps > 100:
            return self._finish(
                goal_handle, result, "INVALID_GOAL", f"sweeps must be in 0..100, got {goal.sweeps}"
            )
        steps = [Step("retrieve_tube", {"slot": int(tube.location.removeprefix("slot_"))})]
        if goal.sweeps:
            steps.append(Step("sweep_bore", {"sweeps": goal.sweeps}))
        steps += [
            Step("dispense_seal", {"dispenser": goal.dispenser}),
            Step("activate_seal"),
            Step("store_tube", {"slot": 0}),
        ]
        summary = await self._run_steps(
            goal_handle,
            steps,
            actions.RecoverSeal.Feedback,
            tube.sample_name,
            EmptyTubePolicy.HOLD_UNSEALED,
        )
        result.sealed, result.sweeps_done = summary.sealed, summary.sweeps_done
        result.peak_force_n, result.duration_s = summary.peak_force_n, summary.duration_s
        if summary.sealed:
            kind = {"empty": "atmospheric"}.get(tube.contents, tube.contents)
            self._catalogue(tube.tube_id, tube.sample_name, kind, summary.end_s)
        return self._finish(goal_handle, result, summary.code, summary.message)

    async def _run_steps(
        self,
        goal_handle: Any,
        steps: list[Step],
        feedback_type: Any,
        sample_name: str,
        empty_policy: EmptyTubePolicy,
    ) -> RunSummary:
        """Run steps in order, recording each in the inventory; apply the fault responses."""
        summary = RunSummary()
        steps, index, start_s = list(steps), 0, None
        while index < len(steps):
            step = steps[index]
            index += 1
            feedback = feedback_type(
                step=step.action,
                step_index=index,
                step_count=len(steps),
                progress=(index - 1) / len(steps),
            )
            goal_handle.publish_feedback(feedback)
            device_result, world = await self._do_step(step, sample_name)
            now = world.sim_time.sec + world.sim_time.nanosec * 1e-9
            start_s = now - device_result.duration_s if start_s is None else start_s
            response = None
            if device_result.error_code != 0:
                code = self._code_name(step.action, device_result.error_code)
                response = after_failure(step.action, code, world.held_tube_id != 0)
            elif step.action == "retrieve_tube":
                summary.tube_id = device_result.tube_id
            elif step.action == "assess_volume":
                summary.sample_height_m = device_result.sample_height_m
                response = after_volume(device_result.contact_detected, empty_policy)
            elif step.action == "sweep_bore":
                summary.sweeps_done += device_result.sweeps_done
            if hasattr(device_result, "peak_force_n") and step.action == "dispense_seal":
                summary.peak_force_n = device_result.peak_force_n
            if response is not None:
                summary.catalogue = response.catalogue_as or summary.catalogue
                if response.replace_remaining is not None:
                    steps = steps[:index] + list(response.replace_remaining)
                if response.error_code:
                    summary.code = response.error_code
                    summary.message = f"{response.reason} ({device_result.error_msg})"
                summary.awaiting_ground = summary.awaiting_ground or response.await_ground
            measure = MEASUREMENTS.get(step.action)
            if device_result.error_code == 0 and measure:
                feedback.last_measurement = measure(device_result)
            feedback.progress = index / len(steps)
            goal_handle.publish_feedback(feedback)
        world = await self._world()
        tube = next((t for t in world.tubes if t.tube_id == summary.tube_id), None)
        summary.sealed = tube is not None and tube.seal_state == 2
        summary.end_s = world.sim_time.sec + world.sim_time.nanosec * 1e-9
        summary.duration_s = summary.end_s - (summary.end_s if start_s is None else start_s)
        return summary

    async def _do_step(self, step: Step, sample_name: str) -> tuple[Any, GetWorldState.Response]:
        """Run one device step with its inventory records; return (device result, world).
        The outcome row carries every tube whose observed state the step changed."""
        before = await self._world()
        tube_id = before.held_tube_id or self._tube_for(step, before)
        sim_s = before.sim_time.sec + before.sim_time.nanosec * 1e-9
        step_id = self.inventory.begin_step(step.action, tube_id, sim_s, sample_name)
        client = self.device_clients[step.action]
        if not client.server_is_ready() and not client.wait_for_server(timeout_sec=5.0):
            raise InventoryMismatch(f"/aca/{step.action} is not available")
        handle = await client.send_goal_async(DEVICE_ACTIONS[step.action].Goal(**step.goal))
        if not handle.accepted:
            device_result = DEVICE_ACTIONS[step.action].Result(
                error_code=1, error_msg="goal rejected: device busy"
            )
        else:
            device_result = (await handle.get_result_async()).result
        world = await self._world()
        changes = _tube_changes(before, world)
        seals_before = {d.dispenser_id: d.seals_remaining for d in before.dispensers}
        used = {
            d.dispenser_id: seals_before[d.dispenser_id] - d.seals_remaining
            for d in world.dispensers
        }
        outcome = "succeeded" if device_result.error_code == 0 else "failed"
        measurement = {
            name: float(getattr(device_result, name))
            for name in (
                "peak_force_n",
                "sample_height_m",
                "contact_travel_m",
                "peak_drag_n",
                "duration_s",
            )
            if hasattr(device_result, name)
        }
        self.inventory.end_step(
            step_id,
            outcome,
            world.sim_time.sec + world.sim_time.nanosec * 1e-9,
            changes,
            {d: n for d, n in used.items() if n},
            self._code_name(step.action, device_result.error_code),
            device_result.error_msg,
            measurement,
        )
        return device_result, world

    @staticmethod
    def _code_name(action: str, code: int) -> str:
        if code == 0:
            return ""
        names = [
            n
            for n in dir(DEVICE_ACTIONS[action].Result)
            if n.isupper() and getattr(DEVICE_ACTIONS[action].Result, n) == code
        ]
        return names[0] if names else str(code)

    def _tube_for(self, step: Step, world: GetWorldState.Response) -> int:
        """The tube a step works on when the arm holds none: in the goal's slot, or in a bit."""
        slot = step.goal.get("slot", 0)
        in_slot = next((t.tube_id for t in world.tubes if t.location == f"slot_{slot:02d}"), 0)
        in_bit = next((b.tube_id for b in world.bit_slots if b.tube_id), 0)
        return in_slot or in_bit

    def _next_slot(self, kind: SampleKind) -> int:
        tubes = self.inventory.tubes().values()
        wanted = "witness" if kind == SampleKind.WITNESS else "sample"
        for tube in sorted(tubes, key=lambda t: t.home_slot):
            if not tube.location.startswith("slot_"):
                continue
            if kind == SampleKind.DEPOT_DROP:
                suitable = tube.seal_state == 2
            else:
                fresh = tube.seal_state == 0 and not tube.catalogued_kind
                empty = kind == SampleKind.WITNESS or tube.contents == "empty"
                suitable = tube.kind == wanted and fresh and empty
            if suitable:
                return int(tube.location.removeprefix("slot_"))
        return 0

    def _catalogue(
        self, tube_id: int, sample_name: str, catalogued_kind: str, sim_s: float
    ) -> None:
        """Record the sample's name and catalogue kind (a bookkeeping step, no hardware)."""
        step_id = self.inventory.begin_step("catalogue", tube_id, sim_s, sample_name)
        self.inventory.end_step(
            step_id,
            "succeeded",
            sim_s,
            {tube_id: {"sample_name": sample_name, "catalogued_kind": catalogued_kind}},
        )


TRACKED = ("location", "contents", "seal_state", "sample_height_m", "rim_dust")


def _tube_changes(
    before: GetWorldState.Response, after: GetWorldState.Response
) -> dict[int, dict]:
    """Tube fields that differ between two hardware readings, by tube id."""
    old = {t.tube_id: t for t in before.tubes}
    changes = {}
    for tube in after.tubes:
        diff = {
            f: getattr(tube, f)
            for f in TRACKED
            if getattr(tube, f) != getattr(old[tube.tube_id], f)
        }
        if diff:
            changes[tube.tube_id] = diff
    return changes


def main(argv: list[str] | None = None) -> int:
    """Run the node until Ctrl-C or shutdown; return the exit code."""
    return run_node(SequencerNode, "aca_sim sequencer", argv)


if __name__ == "__main__":
    sys.exit(main())
