"""The caching sequencer: the `cache_sample` action, driving only the device actions.

Each sequence is stored in the inventory (plan, next step, summary). For each step it records
the start with the device goal's id, sends the goal, reads what the hardware shows
(/aca/sim/get_state) and commits the outcome, the tube changes and the sequence's progress in
one transaction, then checks the whole inventory against the hardware (INVENTORY_MISMATCH on
any difference). Failures and the volume reading go through the onboard fault responses
(aca_sim.caching.fault_protection).

Surviving its own death (SIGKILL included): on start it asks the device for the result of the
step it left open (by goal id, waiting for the device to finish), checks the rest of the
inventory against the hardware, and resumes the interrupted sequence when the same goal is
sent again (a different goal is refused, naming the unfinished one). A device server or the
simulator that goes away mid-step ends the goal with STEP_FAILED instead of a hang.

Actions: /aca/cache_sample (one sample, start to end) and /aca/recover_seal (the ground-
commanded recovery of a stuck seal: retrieve, sweep the bore n times, retry, store).
Goal policy: one sequence at a time; a goal of either action while one runs is rejected.
Thread rule: everything runs on the node's executor (async callbacks), never on pybullet.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aca_interfaces import action as actions
from aca_interfaces.srv import GetWorldState
from action_msgs.msg import GoalStatus
from rclpy.action import ActionClient, ActionServer, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from unique_identifier_msgs.msg import UUID

from aca_sim.caching.fault_protection import EmptyTubePolicy, after_failure, after_volume
from aca_sim.caching.inventory import (
    Comparison,
    HistoryRow,
    Inventory,
    InventoryMismatch,
    Observed,
    Progress,
    SequenceRecord,
    TubeRecord,
)
from aca_sim.caching.sequences import SampleKind, Step, plan
from aca_sim.nodes.matching import await_action_matched
from aca_sim.nodes.parameters import read_only_parameter
from aca_sim.nodes.spinning import run_node
from aca_sim.nodes.waiting import PeerLost, Timeout, wait_for

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
    """What a run of steps came to so far; sim times in s. Stored with the sequence."""

    code: str = "NONE"
    message: str = ""
    tube_id: int = 0
    sample_height_m: float = 0.0
    awaiting_ground: bool = False
    catalogue: str = ""
    sweeps_done: int = 0
    peak_force_n: float = 0.0
    sealed: bool = False
    start_s: float | None = None
    end_s: float = 0.0
    duration_s: float = 0.0


@dataclass
class SequenceRun:
    """A sequence being run: its inventory id, plan, index of the next step, summary."""

    sequence_id: int
    steps: list[Step]
    index: int
    summary: RunSummary

    def progress(self, finished: bool = False) -> Progress:
        """What to store with the next step outcome."""
        return Progress(
            self.sequence_id,
            [{"action": s.action, "goal": s.goal} for s in self.steps],
            self.index,
            asdict(self.summary),
            finished,
        )

    @classmethod
    def from_record(cls, record: SequenceRecord) -> SequenceRun:
        steps = [Step(s["action"], s["goal"]) for s in record.steps]
        return cls(record.sequence_id, steps, record.next_index, RunSummary(**record.state))


@dataclass(frozen=True)
class CutOff:
    """The step a dead sequencer left open: its row, the device's result (None when the goal
    never reached the device) and the hardware's values for what it changed."""

    step: HistoryRow
    device_result: Any
    found: Comparison


class HardwareLost(RuntimeError):  # noqa: N818 - reads as the event it is
    """The simulator (or a device server) stopped answering."""


class SequencerNode(Node):
    """The cache_sample and recover_seal action servers over the device actions."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("sequencer", namespace="aca", **kwargs)

        def param(name: str, default: Any, description: str) -> Any:
            return read_only_parameter(self, name, default, description)

        path = param("inventory_path", "aca_inventory.db", "SQLite inventory file (created)")
        self.step_timeout_s = float(
            param("step_timeout_s", 1800.0, "wall-time bound on one device step, s")
        )
        if self.step_timeout_s <= 0:
            raise ValueError(f"step_timeout_s must be > 0, got {self.step_timeout_s}")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.inventory = Inventory(Path(path))
        group = ReentrantCallbackGroup()
        self.device_clients = {
            name: ActionClient(self, kind, f"/aca/{name}", callback_group=group)
            for name, kind in DEVICE_ACTIONS.items()
        }
        self.result_clients = {
            name: self.create_client(
                kind.Impl.GetResultService,
                f"/aca/{name}/_action/get_result",
                callback_group=group,
            )
            for name, kind in DEVICE_ACTIONS.items()
        }
        self.state_client = self.create_client(
            GetWorldState, "/aca/sim/get_state", callback_group=group
        )
        self._busy = False
        self._ready = False
        self._matched: set[str] = set()  # device actions whose server answered a probe
        self._cut_off: CutOff | None = None
        self.servers = [
            ActionServer(
                self,
                action_type,
                name,
                execute_callback=self._execute_with(action_type, run),
                goal_callback=self._on_goal_for(name),
                handle_accepted_callback=self._on_accepted,
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
    async def _world(self, attempts: int = 3) -> GetWorldState.Response:
        """The hardware's state. A read is idempotent, so a request lost while DDS matches a
        (re)started simulator's endpoints is simply sent again (10 s per attempt)."""
        if not self.state_client.wait_for_service(timeout_sec=2.0):
            raise HardwareLost("/aca/sim/get_state is not available")
        for attempt in range(1, attempts + 1):
            try:
                return await wait_for(
                    self,
                    self.state_client.call_async(GetWorldState.Request()),
                    10.0,
                    "/aca/sim/get_state",
                    alive=self.state_client.service_is_ready,
                )
            except (Timeout, PeerLost) as error:
                if isinstance(error, PeerLost) or attempt == attempts:
                    raise HardwareLost(str(error)) from error
        raise ValueError(f"attempts must be >= 1, got {attempts}")

    async def _match(self, action: str) -> None:
        """Make sure the device's action server has matched this node both ways (one probe
        round trip, see nodes/matching.py) before the first goal or result request to it, and
        again after the hardware was lost; HardwareLost when it does not answer."""
        if action in self._matched:
            return
        if not self.result_clients[action].wait_for_service(timeout_sec=5.0):
            raise HardwareLost(f"/aca/{action} is not available")
        try:
            await await_action_matched(
                self, self.result_clients[action], DEVICE_ACTIONS[action], f"/aca/{action}", 30.0
            )
        except (Timeout, PeerLost) as error:
            raise HardwareLost(str(error)) from error
        self._matched.add(action)

    async def _device_result(self, action: str, goal_id: str) -> Any:
        """The result the device gave (or will give) for a goal id, None if it never had it."""
        client = self.result_clients[action]
        await self._match(action)
        request = DEVICE_ACTIONS[action].Impl.GetResultService.Request()
        request.goal_id.uuid = list(bytes.fromhex(goal_id))
        try:
            response = await wait_for(
                self,
                client.call_async(request),
                self.step_timeout_s,
                f"/aca/{action} result",
                alive=client.service_is_ready,
            )
        except (Timeout, PeerLost) as error:
            raise HardwareLost(str(error)) from error
        return None if response.status == GoalStatus.STATUS_UNKNOWN else response.result

    async def _prepare(self) -> None:
        """Seed an empty inventory from the hardware, or check it against the hardware. A step
        a dead sequencer left open is settled first: its device result is fetched by goal id
        (waiting for the device to finish) and kept for the sequence to resume with."""
        open_step = self.inventory.open_step()
        device_result = None
        if open_step is not None and open_step.measurement.get("goal_id"):
            device_result = await self._device_result(
                open_step.step, open_step.measurement["goal_id"]
            )
        world = await self._world()
        seals = {d.dispenser_id: d.seals_remaining for d in world.dispensers}
        if self.inventory.is_empty:
            tubes = [
                TubeRecord(
                    t.tube_id, t.kind, t.home_slot, t.location, t.contents, seal_state=t.seal_state
                )
                for t in world.tubes
            ]
            self.inventory.initialise(tubes, seals, {"created_sim_s": f"{_sim_s(world):.3f}"})
        else:
            found = self.inventory.check(_observed(world), seals)
            running = self.inventory.running_sequence()
            if open_step is not None and running is not None:
                self._cut_off = CutOff(open_step, device_result, found)
                self.get_logger().warn(
                    f"step {open_step.step} of sequence {running.sequence_id} was cut off; "
                    f"device result {'known' if device_result is not None else 'absent'}; "
                    "send the same goal to resume"
                )
            elif open_step is not None:
                self.inventory.reconcile(_observed(world), seals, _sim_s(world))
        self._ready = True

    # ------------------------------------------------------------------ action plumbing
    def _on_goal_for(self, name: str) -> Any:
        def on_goal(_request: Any) -> GoalResponse:
            if self._busy:
                self.get_logger().info(f"{name}: goal rejected, a sequence is running")
                return GoalResponse.REJECT
            return GoalResponse.ACCEPT

        return on_goal

    def _on_accepted(self, goal_handle: Any) -> None:
        """Busy from here, not from the goal callback: rclpy skips this (and execution) when
        it cannot send the goal response, and a flag set earlier would then never clear. The
        goal callback and this run in one executor task with no await between them, so no
        second goal is accepted in between."""
        self._busy = True
        goal_handle.execute()

    def _execute_with(self, action_type: Any, run: Any) -> Any:
        async def execute(goal_handle: Any) -> Any:
            result = action_type.Result()
            try:
                return await run(goal_handle)
            except HardwareLost as error:  # the step stays open: resume after a restart
                self._ready = False
                self._matched.clear()
                message = f"the hardware stopped answering: {error}"
                self.get_logger().error(message)
                return self._finish(goal_handle, result, "STEP_FAILED", message)
            except InventoryMismatch as error:
                self._ready = False
                return self._finish(goal_handle, result, "INVENTORY_MISMATCH", str(error))
            except Exception as error:  # every goal ends in an explicit terminal state
                self.get_logger().error(f"{type(error).__name__}: {error}")
                message = f"{type(error).__name__}: {error}"
                return self._finish(goal_handle, result, "INTERNAL_ERROR", message)
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

    async def _begin(self, action: str, goal: dict[str, Any], steps: list[Step]) -> SequenceRun:
        """A new sequence, or the interrupted one when `goal` is the same; InvalidGoal when a
        different sequence is still unfinished."""
        if not self._ready:
            await self._prepare()
        self._verify(await self._world())  # nothing moves on an inventory that is wrong
        running = self.inventory.running_sequence()
        if running is None:
            plan_dicts = [{"action": s.action, "goal": s.goal} for s in steps]
            sequence_id = self.inventory.start_sequence(action, goal, plan_dicts)
            return SequenceRun(sequence_id, list(steps), 0, RunSummary())
        same = running.action == action and all(
            running.goal.get(k) == v for k, v in goal.items() if k in RESUME_KEYS
        )
        if not same:
            done = running.next_index
            raise InvalidGoal(
                f"sequence {running.sequence_id} ({running.action} {running.goal}) was "
                f"interrupted after step {done}/{len(running.steps)}; "
                "send that goal again to resume it"
            )
        self.get_logger().info(
            f"resuming sequence {running.sequence_id} at step "
            f"{running.next_index + 1}/{len(running.steps)}"
        )
        return SequenceRun.from_record(running)

    # ------------------------------------------------------------------ actions
    async def _run(self, goal_handle: Any) -> Any:
        """cache_sample: plan the sequence for the goal's kind and run (or resume) it."""
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
        if not self._ready:
            await self._prepare()
        kind = KINDS[goal.kind]
        running = self.inventory.running_sequence()
        slot = goal.slot or (0 if running else self._next_slot(kind))
        if not slot and not running:
            return self._finish(
                goal_handle, result, "NO_TUBE_AVAILABLE", f"no tube left for a {kind.value} sample"
            )
        key = {
            "kind": int(goal.kind),
            "sample_name": goal.sample_name,
            "slot": slot,
            "dispenser": int(goal.dispenser),
            "empty_tube_policy": int(goal.empty_tube_policy),
        }
        try:
            run = await self._begin("cache_sample", key, plan(kind, slot, goal.dispenser))
        except InvalidGoal as error:
            return self._finish(goal_handle, result, "INVALID_GOAL", str(error))
        summary = await self._run_steps(
            goal_handle,
            run,
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
        self._close(run, goal.sample_name, result.catalogued_kind)
        return self._finish(goal_handle, result, summary.code, summary.message)

    async def _recover(self, goal_handle: Any) -> Any:
        """recover_seal: retrieve the unsealed tube, sweep the bore, retry the seal, store."""
        goal = goal_handle.request
        result = actions.RecoverSeal.Result()
        if not self._ready:
            await self._prepare()
        running = self.inventory.running_sequence()
        resuming = running is not None and running.goal.get("tube_id") == goal.tube_id
        try:
            tube = self.inventory.tube(goal.tube_id)
        except KeyError as error:
            return self._finish(goal_handle, result, "INVALID_GOAL", str(error.args[0]))
        if tube.seal_state != 0 and not resuming:
            return self._finish(
                goal_handle, result, "TUBE_SEALED", f"tube {tube.tube_id} already has a seal"
            )
        if not tube.location.startswith("slot_") and not resuming:
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
        steps = [Step("retrieve_tube", {"slot": int(tube.home_slot)})]
        if goal.sweeps:
            steps.append(Step("sweep_bore", {"sweeps": goal.sweeps}))
        steps += [
            Step("dispense_seal", {"dispenser": goal.dispenser}),
            Step("activate_seal"),
            Step("store_tube", {"slot": 0}),
        ]
        key = {"tube_id": int(goal.tube_id), "sweeps": int(goal.sweeps)}
        try:
            run = await self._begin("recover_seal", key, steps)
        except InvalidGoal as error:
            return self._finish(goal_handle, result, "INVALID_GOAL", str(error))
        summary = await self._run_steps(
            goal_handle,
            run,
            actions.RecoverSeal.Feedback,
            tube.sample_name,
            EmptyTubePolicy.HOLD_UNSEALED,
        )
        result.sealed, result.sweeps_done = summary.sealed, summary.sweeps_done
        result.peak_force_n, result.duration_s = summary.peak_force_n, summary.duration_s
        kind = {"empty": "atmospheric"}.get(tube.contents, tube.contents)
        self._close(run, tube.sample_name, kind if summary.sealed else "")
        return self._finish(goal_handle, result, summary.code, summary.message)

    # ------------------------------------------------------------------ running steps
    async def _run_steps(
        self,
        goal_handle: Any,
        run: SequenceRun,
        feedback_type: Any,
        sample_name: str,
        empty_policy: EmptyTubePolicy,
    ) -> RunSummary:
        """Run the sequence's steps from run.index on, each outcome committed with the
        sequence's progress; apply the fault responses; verify the inventory after each."""
        cut_off, self._cut_off = self._cut_off, None
        while run.index < len(run.steps):
            step = run.steps[run.index]
            feedback = feedback_type(
                step=step.action,
                step_index=run.index + 1,
                step_count=len(run.steps),
                progress=run.index / len(run.steps),
            )
            goal_handle.publish_feedback(feedback)
            if cut_off is not None and cut_off.device_result is not None:
                done = await self._settle(cut_off)  # the device finished it: use its result
            elif cut_off is not None:  # the goal never reached the device: close it, redo
                self._close_unsent(cut_off)
                done = await self._do_step(step, sample_name)
            else:
                done = await self._do_step(step, sample_name)
            cut_off = None
            device_result, world = done.device_result, done.world
            measurement = self._respond(run, step, device_result, world, empty_policy)
            run.index += 1
            self._end_step(done, step, run)
            self._verify(world)
            if measurement:
                feedback.last_measurement = measurement
            feedback.step_count = len(run.steps)
            feedback.progress = run.index / len(run.steps)
            goal_handle.publish_feedback(feedback)
        world = await self._world()
        summary = run.summary
        tube = next((t for t in world.tubes if t.tube_id == summary.tube_id), None)
        summary.sealed = tube is not None and tube.seal_state == 2
        summary.end_s = _sim_s(world)
        summary.duration_s = summary.end_s - (
            summary.end_s if summary.start_s is None else summary.start_s
        )
        return summary

    def _respond(
        self,
        run: SequenceRun,
        step: Step,
        device_result: Any,
        world: GetWorldState.Response,
        empty_policy: EmptyTubePolicy,
    ) -> str:
        """Fold a step's result into the run (summary, fault responses); return the
        measurement text for the feedback."""
        summary = run.summary
        if summary.start_s is None:
            summary.start_s = _sim_s(world) - device_result.duration_s
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
        if step.action == "dispense_seal":
            summary.peak_force_n = device_result.peak_force_n
        if response is not None:
            summary.catalogue = response.catalogue_as or summary.catalogue
            if response.replace_remaining is not None:
                run.steps = run.steps[: run.index + 1] + list(response.replace_remaining)
            if response.error_code:
                summary.code = response.error_code
                summary.message = f"{response.reason} ({device_result.error_msg})"
            summary.awaiting_ground = summary.awaiting_ground or response.await_ground
        measure = MEASUREMENTS.get(step.action)
        # A stuck seal's force is the measurement that matters most (Mageik): shown either way.
        shown = device_result.error_code == 0 or step.action == "dispense_seal"
        return measure(device_result) if shown and measure else ""

    async def _do_step(self, step: Step, sample_name: str) -> StepDone:
        """Send one device goal (its id stored with the step's start) and wait for it."""
        before = await self._world()
        tube_id = before.held_tube_id or self._tube_for(step, before)
        client = self.device_clients[step.action]
        if not client.server_is_ready():
            self._matched.discard(step.action)  # gone or restarted: new endpoints to match
            if not client.wait_for_server(timeout_sec=5.0):
                raise HardwareLost(f"/aca/{step.action} is not available")
        await self._match(step.action)
        goal_id = uuid.uuid4()
        step_id = self.inventory.begin_step(
            step.action, tube_id, _sim_s(before), sample_name, {"goal_id": goal_id.hex}
        )
        action = DEVICE_ACTIONS[step.action]
        goal_uuid = UUID(uuid=list(goal_id.bytes))
        try:
            handle = await wait_for(
                self,
                client.send_goal_async(action.Goal(**step.goal), goal_uuid=goal_uuid),
                30.0,
                f"/aca/{step.action} goal",
                alive=client.server_is_ready,
            )
            if not handle.accepted:
                device_result = action.Result(error_code=1, error_msg="goal rejected: busy")
            else:
                device_result = (
                    await wait_for(
                        self,
                        handle.get_result_async(),
                        self.step_timeout_s,
                        f"/aca/{step.action}",
                        alive=client.server_is_ready,
                    )
                ).result
        except (Timeout, PeerLost) as error:
            raise HardwareLost(str(error)) from error
        world = await self._world()
        seals_before = {d.dispenser_id: d.seals_remaining for d in before.dispensers}
        used = {
            d.dispenser_id: seals_before[d.dispenser_id] - d.seals_remaining
            for d in world.dispensers
        }
        return StepDone(
            step_id,
            device_result,
            world,
            _tube_changes(before, world),
            {d: n for d, n in used.items() if n},
        )

    async def _settle(self, cut_off: CutOff) -> StepDone:
        """A cut-off step the device completed: its result and what the hardware shows."""
        world = await self._world()
        changes = dict(cut_off.found.tube_changes)
        tube = next((t for t in world.tubes if t.tube_id == cut_off.step.tube_id), None)
        if tube is not None:  # also the fields reconciliation does not compare
            record = self.inventory.tube(tube.tube_id)
            extra = {
                f: getattr(tube, f) for f in TRACKED if getattr(record, f) != getattr(tube, f)
            }
            changes[tube.tube_id] = {**changes.get(tube.tube_id, {}), **extra}
        self.get_logger().info(f"settled cut-off step {cut_off.step.step} from its device result")
        return StepDone(
            cut_off.step.step_id,
            cut_off.device_result,
            world,
            {k: v for k, v in changes.items() if v},
            cut_off.found.seals_used,
        )

    def _close_unsent(self, cut_off: CutOff) -> None:
        self.inventory.end_step(
            cut_off.step.step_id,
            "interrupted",
            cut_off.step.sim_time_s,
            cut_off.found.tube_changes,
            cut_off.found.seals_used,
            error_code="INTERRUPTED",
            error_msg="the sequencer stopped before the device had the goal; step redone",
        )

    def _end_step(self, done: StepDone, step: Step, run: SequenceRun) -> None:
        """Commit the step's outcome, its changes and the sequence's progress together."""
        result = done.device_result
        measurement = {
            name: float(getattr(result, name)) for name in MEASURED_FIELDS if hasattr(result, name)
        }
        self.inventory.end_step(
            done.step_id,
            "succeeded" if result.error_code == 0 else "failed",
            _sim_s(done.world),
            done.tube_changes,
            done.seals_used,
            self._code_name(step.action, result.error_code),
            result.error_msg,
            measurement,
            progress=run.progress(),
        )

    def _verify(self, world: GetWorldState.Response) -> None:
        """After every step: the inventory must equal the hardware (InventoryMismatch if not)."""
        seals = {d.dispenser_id: d.seals_remaining for d in world.dispensers}
        self.inventory.check(_observed(world), seals)

    def _close(self, run: SequenceRun, sample_name: str, catalogued_kind: str) -> None:
        """Finish the sequence; catalogue the tube (name and kind) in the same transaction."""
        tube_id = run.summary.tube_id
        if not tube_id:
            self.inventory.save_progress(run.progress(finished=True))
            return
        self.inventory.record_step(
            "catalogue",
            tube_id,
            run.summary.end_s,
            sample_name,
            {tube_id: {"sample_name": sample_name, "catalogued_kind": catalogued_kind}},
            run.progress(finished=True),
        )

    # ------------------------------------------------------------------ helpers
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


class InvalidGoal(ValueError):  # noqa: N818 - reads as the result code it becomes
    """A goal that cannot run now (the message says why)."""


@dataclass(frozen=True)
class StepDone:
    """A finished device step: its history id, device result, the hardware after it, and
    what changed (tube fields by id, seals used by dispenser)."""

    step_id: int
    device_result: Any
    world: GetWorldState.Response
    tube_changes: dict[int, dict[str, Any]]
    seals_used: dict[int, int]


RESUME_KEYS = ("kind", "sample_name", "tube_id")
MEASURED_FIELDS = (
    "peak_force_n",
    "sample_height_m",
    "contact_travel_m",
    "peak_drag_n",
    "duration_s",
)


def _sim_s(world: GetWorldState.Response) -> float:
    return world.sim_time.sec + world.sim_time.nanosec * 1e-9


def _observed(world: GetWorldState.Response) -> dict[int, Observed]:
    return {t.tube_id: Observed(t.location, t.contents, t.seal_state) for t in world.tubes}


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
