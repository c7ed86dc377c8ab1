"""The caching sequencer: runs cache_sample and recover_seal sequences over a DevicePort.

Each sequence is stored in the inventory (plan, next step, summary). For each step it records
the start with the device goal's id, runs the step on the port, reads what the hardware shows
and commits the outcome, the tube changes and the sequence's progress in one transaction,
then checks the whole inventory against the hardware (INVENTORY_MISMATCH on any
difference). Failures and the volume reading go through the onboard fault responses.

Surviving the death of its process: prepare() asks the port for the result of the step left
open (by goal id), checks the rest of the inventory against the hardware, and the same goal
sent again resumes the sequence (a different one is refused, naming the unfinished one).

Cancel: a sequence is given a `canceled()` callable, read before each step and when a step
ends; stop_step() asks the port to stop the running device step (the device holds where it
is). The step is recorded as canceled with what it changed and the sequence is closed: the
result says CANCELED and where the tube was left. A new sequence then refuses to start while
the arm still holds a tube (store it with store_tube first).

No ROS here: the sequencer node wires this to actions (port: nodes.device_link), and the
in-process driver to a world (port: campaign.headless). Methods are coroutines that await only
the port; thread rule: one caller at a time, on the port's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aca_sim.caching.inventory import Inventory, InventoryMismatch, Progress, SequenceRecord
from aca_sim.caching.reconciliation import adopt_hardware, differences
from aca_sim.caching.selection import next_slot
from aca_sim.caching.sequence_types import (
    CacheRequest,
    DevicePort,
    HardwareLost,
    RecoverRequest,
    SequenceFeedback,
    SequenceResult,
)
from aca_sim.caching.sequences import plan, recovery_plan
from aca_sim.caching.step_journal import CutOff, StepDone, StepJournal
from aca_sim.caching.summary import RunSummary, fold, measurement_text
from aca_sim.model.codes import Code
from aca_sim.model.kinds import Catalogue, EmptyTubePolicy, SampleKind, SealState, catalogue_for
from aca_sim.model.status import StepStatus
from aca_sim.model.steps import MAX_SWEEPS, Step

RESUME_KEYS = ("kind", "sample_name", "tube_id")
Feedback = Callable[[SequenceFeedback], None]
Canceled = Callable[[], bool]


def _never() -> bool:
    return False


class InvalidGoal(ValueError):  # noqa: N818 - reads as the result code it becomes
    """A goal that cannot run now (the message says why)."""


@dataclass
class SequenceRun:
    """A sequence being run: its inventory id, plan, index of the next step, summary."""

    sequence_id: int
    steps: list[Step]
    index: int
    summary: RunSummary = field(default_factory=RunSummary)

    def progress(self, finished: bool = False) -> Progress:
        """What to store with the next step outcome."""
        plan_dicts = [s.as_dict() for s in self.steps]
        return Progress(
            self.sequence_id, plan_dicts, self.index, self.summary.as_state(), finished
        )

    @classmethod
    def from_record(cls, record: SequenceRecord) -> SequenceRun:
        steps = [Step.from_dict(s) for s in record.steps]
        summary = RunSummary.from_state(record.state)
        return cls(record.sequence_id, steps, record.next_index, summary)


class Sequencer:
    """The sequences of one inventory over one device port."""

    def __init__(
        self, inventory: Inventory, port: DevicePort, log: Callable[[str], None] = print
    ) -> None:
        self.inventory, self.port, self.log = inventory, port, log
        self.journal = StepJournal(inventory, port, log)
        self._ready = False
        self._cut_off: CutOff | None = None
        self._canceled: Canceled = _never

    def stop_step(self) -> None:
        """Ask the port to stop the running device step (call when a sequence's canceled()
        has turned true; the sequence then ends CANCELED)."""
        self.port.cancel_step()

    # ------------------------------------------------------------------ the two sequences
    async def cache_sample(
        self,
        request: CacheRequest,
        on_feedback: Feedback = lambda _f: None,
        canceled: Canceled = _never,
    ) -> SequenceResult:
        """Cache one sample (or resume the interrupted sequence of the same goal)."""
        return await self._guarded(self._cache_sample(request, on_feedback), canceled)

    async def recover_seal(
        self,
        request: RecoverRequest,
        on_feedback: Feedback = lambda _f: None,
        canceled: Canceled = _never,
    ) -> SequenceResult:
        """The ground's recovery of a tube stored unsealed: retrieve it, sweep the bore, retry
        the seal, store it (or resume the interrupted recovery of the same tube)."""
        return await self._guarded(self._recover_seal(request, on_feedback), canceled)

    async def _guarded(self, sequence: Any, canceled: Canceled) -> SequenceResult:
        """Run a sequence coroutine; every way it can end becomes a result."""
        self._canceled = canceled
        try:
            return await sequence
        except HardwareLost as error:  # the step stays open: resume after a restart
            self._ready = False
            return SequenceResult(Code.STEP_FAILED, f"the hardware stopped answering: {error}")
        except InventoryMismatch as error:
            self._ready = False
            return SequenceResult(Code.INVENTORY_MISMATCH, str(error))
        except InvalidGoal as error:
            return SequenceResult(Code.INVALID_GOAL, str(error))
        finally:
            self._canceled = _never

    async def _cache_sample(self, request: CacheRequest, on_feedback: Feedback) -> SequenceResult:
        await self._ensure_ready()
        kind = request.kind
        if kind == SampleKind.DEPOT_DROP:
            return await self._drop_at_depot(request, on_feedback)
        running = self.inventory.running_sequence()
        slot = request.slot or (0 if running else next_slot(kind, self.inventory.tubes().values()))
        if not slot and not running:
            return SequenceResult(
                Code.NO_TUBE_AVAILABLE, f"no tube left for a {kind.value} sample"
            )
        key = {
            "kind": kind.value,
            "sample_name": request.sample_name,
            "slot": slot,
            "dispenser": request.dispenser,
            "empty_tube_policy": request.empty_policy.value,
        }
        run = await self._begin("cache_sample", key, plan(kind, slot, request.dispenser))
        summary = await self._run_steps(
            run, request.sample_name, request.empty_policy, on_feedback
        )
        catalogue = summary.catalogue or kind.catalogue
        catalogued = catalogue if summary.sealed else Catalogue.NONE
        return self._finish(run, request.sample_name, catalogued)

    async def _drop_at_depot(self, request: CacheRequest, on_feedback: Feedback) -> SequenceResult:
        """Drop the tube of a named sample (or the tube in a named slot) at the depot: its
        catalogue stays, and it joins the depot inventory with the next drop order."""
        running = self.inventory.running_sequence()
        tube = self._depot_tube(request) if running is None else None
        slot = tube.location.index if tube is not None else request.slot
        key = {
            "kind": SampleKind.DEPOT_DROP.value,
            "sample_name": request.sample_name,
            "slot": slot,
        }
        run = await self._begin("cache_sample", key, plan(SampleKind.DEPOT_DROP, slot))
        name = tube.sample_name if tube is not None else request.sample_name
        summary = await self._run_steps(run, name, request.empty_policy, on_feedback)
        dropped = summary.code == Code.NONE and summary.tube_id
        if not dropped:
            self.inventory.save_progress(run.progress(finished=True))
            return self._result(summary, Catalogue.NONE)
        entry = self.inventory.record_drop(
            summary.tube_id, summary.end_s, summary.landed_on_end, run.progress(finished=True)
        )
        self.log(f"depot drop {entry.drop_order}: tube {entry.tube_id} ({entry.sample_name})")
        return self._result(summary, Catalogue(entry.catalogued_kind))

    def _depot_tube(self, request: CacheRequest) -> Any:
        """The stored, sealed tube a depot drop names by its sample (or its slot)."""
        if request.sample_name:
            tube = self.inventory.tube_named(request.sample_name)
            if tube is None:
                raise InvalidGoal(f"no catalogued sample named {request.sample_name!r}")
            if request.slot and request.slot != tube.home_slot:
                raise InvalidGoal(
                    f"sample {request.sample_name!r} is in tube {tube.tube_id} of slot "
                    f"{tube.home_slot}, not slot {request.slot}"
                )
        elif request.slot:
            tube = next(
                (t for t in self.inventory.tubes().values() if t.home_slot == request.slot), None
            )
            if tube is None:
                raise InvalidGoal(f"no tube has slot {request.slot}")
        else:
            raise InvalidGoal("a depot drop names its sample (sample_name) or its slot")
        if not tube.location.in_storage:
            raise InvalidGoal(f"tube {tube.tube_id} is at {tube.location}, not in storage")
        if tube.seal_state != SealState.ACTIVATED:
            raise InvalidGoal(f"tube {tube.tube_id} is not hermetically sealed: not dropped")
        return tube

    async def _recover_seal(
        self, request: RecoverRequest, on_feedback: Feedback
    ) -> SequenceResult:
        await self._ensure_ready()
        running = self.inventory.running_sequence()
        resuming = running is not None and running.goal.get("tube_id") == request.tube_id
        try:
            tube = self.inventory.tube(request.tube_id)
        except KeyError as error:
            raise InvalidGoal(str(error.args[0])) from None
        if tube.seal_state != SealState.NONE and not resuming:
            return SequenceResult(Code.TUBE_SEALED, f"tube {tube.tube_id} already has a seal")
        if not tube.location.in_storage and not resuming:
            raise InvalidGoal(f"tube {tube.tube_id} is at {tube.location}, not in storage")
        if not 0 <= request.sweeps <= MAX_SWEEPS:
            raise InvalidGoal(f"sweeps must be in 0..{MAX_SWEEPS}, got {request.sweeps}")
        key = {"tube_id": request.tube_id, "sweeps": request.sweeps}
        swept = any(
            row.step == "sweep_bore" and row.event == StepStatus.SUCCEEDED
            for row in self.inventory.history(tube.tube_id)
        )
        steps = recovery_plan(tube.home_slot, request.sweeps, request.dispenser, not swept)
        run = await self._begin("recover_seal", key, steps)
        policy = EmptyTubePolicy.HOLD_UNSEALED
        summary = await self._run_steps(run, tube.sample_name, policy, on_feedback)
        catalogued = catalogue_for(tube.contents) if summary.sealed else Catalogue.NONE
        return self._finish(run, tube.sample_name, catalogued)

    # ------------------------------------------------------------------ operator
    async def reconcile(self, adopt: bool, reason: str) -> list[str]:
        """The differences between the inventory and the hardware; with adopt, also make the
        inventory say what the hardware shows (recorded with the reason; ValueError when
        there is no reason or a tube is missing on one side). Call only between sequences.
        An empty inventory is seeded from the hardware first."""
        if self.inventory.is_empty:
            await self._ensure_ready()
        hardware = await self.port.hardware()
        if not adopt:
            return differences(self.inventory, hardware)
        if not reason.strip():
            raise ValueError("adopt needs a reason: it is recorded with every change")
        adopted = adopt_hardware(self.inventory, hardware, reason)
        self._cut_off, self._ready = None, False  # settle afresh before the next sequence
        self.log(f"operator adopted the hardware ({len(adopted)} differences): {reason}")
        return adopted

    # ------------------------------------------------------------------ start and resume
    async def _ensure_ready(self) -> None:
        if not self._ready:
            await self.prepare()

    async def prepare(self) -> None:
        """Seed an empty inventory from the hardware, or check it against the hardware. A
        step a dead sequencer left open is settled first: its outcome is fetched by goal id
        (waiting for the device to finish) and kept for the sequence to resume with."""
        running = self.inventory.running_sequence()
        self._cut_off = await self.journal.open_cut_off(running is not None)
        if self._cut_off is not None and running is not None:
            known = "known" if self._cut_off.outcome is not None else "absent"
            self.log(
                f"step {self._cut_off.step.step} of sequence {running.sequence_id} was cut "
                f"off; device result {known}; send the same goal to resume"
            )
        self._ready = True

    async def _begin(self, action: str, goal: dict[str, Any], steps: list[Step]) -> SequenceRun:
        """A new sequence, or the interrupted one when `goal` is the same; InvalidGoal when a
        different sequence is still unfinished or the arm holds a tube."""
        hardware = await self.port.hardware()
        self.journal.verify(hardware)  # nothing moves on an inventory that is wrong
        running = self.inventory.running_sequence()
        if running is None:
            if hardware.caching_halted:
                raise InvalidGoal(
                    "caching is halted after an early drag at bit drop-off: the ground clears "
                    "the bit carousel (clear_debris) first"
                )
            if hardware.held_tube_id:
                raise InvalidGoal(
                    f"the arm holds tube {hardware.held_tube_id} (left by a canceled sequence "
                    "or by hand): store it with store_tube first"
                )
            plan_dicts = [s.as_dict() for s in steps]
            sequence_id = self.inventory.start_sequence(action, goal, plan_dicts)
            return SequenceRun(sequence_id, list(steps), 0)
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
        self.log(
            f"resuming sequence {running.sequence_id} at step "
            f"{running.next_index + 1}/{len(running.steps)}"
        )
        return SequenceRun.from_record(running)

    # ------------------------------------------------------------------ running steps
    async def _run_steps(
        self, run: SequenceRun, sample_name: str, policy: EmptyTubePolicy, on_feedback: Feedback
    ) -> RunSummary:
        """Run the sequence's steps from run.index on, each outcome committed with the
        sequence's progress; apply the fault responses; verify the inventory after each."""
        cut_off, self._cut_off = self._cut_off, None
        summary = run.summary
        while run.index < len(run.steps):
            step, number = run.steps[run.index], run.index + 1
            if self._canceled():
                summary.code, summary.message = Code.CANCELED, f"canceled before {step.action}"
                break
            count = len(run.steps)
            on_feedback(SequenceFeedback(step.action, number, count, run.index / count))
            done = await self._step(step, sample_name, cut_off)
            cut_off = None
            canceled = done.outcome.canceled and self._canceled()
            if canceled:
                summary.code, summary.message = Code.CANCELED, _canceled_during(step, done)
            else:
                response = fold(summary, done.outcome, done.hardware, policy)
                if response is not None and response.replace_remaining is not None:
                    run.steps = run.steps[:number] + list(response.replace_remaining)
                run.index = number
            ending = (
                StepStatus.CANCELED
                if canceled
                else StepStatus.SUCCEEDED
                if done.outcome.succeeded
                else StepStatus.FAILED
            )
            self.journal.commit(done, ending, run.progress())
            count = len(run.steps)
            text = measurement_text(done.outcome)
            on_feedback(SequenceFeedback(step.action, number, count, run.index / count, text))
            if canceled:
                break
        hardware = await self.port.hardware()
        tube = hardware.tubes.get(summary.tube_id)
        summary.sealed = tube is not None and tube.seal_state == SealState.ACTIVATED
        summary.end_s = hardware.sim_time_s
        summary.duration_s = summary.end_s - (
            summary.end_s if summary.start_s is None else summary.start_s
        )
        return summary

    async def _step(self, step: Step, sample_name: str, cut_off: CutOff | None) -> StepDone:
        """The next step done: settled from a cut-off step's known outcome, else run (a
        cut-off step whose goal never reached the device is closed first and redone)."""
        if cut_off is not None and cut_off.outcome is not None:
            self.log(f"settled cut-off step {cut_off.step.step} from its device result")
            return await self.journal.settle(cut_off, cut_off.outcome)
        if cut_off is not None:
            self.journal.close_unsent(cut_off)
        return await self.journal.run(step, sample_name)

    def _finish(self, run: SequenceRun, sample_name: str, catalogued: Catalogue) -> SequenceResult:
        """Close the sequence, cataloguing its tube (name and kind) in the same transaction;
        the sequence's result."""
        summary = run.summary
        if summary.tube_id:
            self.inventory.record_step(
                "catalogue",
                summary.tube_id,
                summary.end_s,
                sample_name,
                {summary.tube_id: {"sample_name": sample_name, "catalogued_kind": catalogued}},
                run.progress(finished=True),
            )
        else:
            self.inventory.save_progress(run.progress(finished=True))
        return self._result(summary, catalogued)

    @staticmethod
    def _result(summary: RunSummary, catalogued: Catalogue) -> SequenceResult:
        return SequenceResult(
            summary.code,
            summary.message,
            tube_id=summary.tube_id,
            sealed=summary.sealed,
            sample_height_m=summary.sample_height_m,
            catalogued_kind=catalogued,
            awaiting_ground=summary.awaiting_ground,
            sweeps_done=summary.sweeps_done,
            peak_force_n=summary.peak_force_n,
            duration_s=summary.duration_s,
        )


def _canceled_during(step: Step, done: StepDone) -> str:
    held = done.hardware.held_tube_id
    where = f", the arm holding tube {held}" if held else ""
    return f"canceled during {step.action}; the devices stopped where they were{where}"
