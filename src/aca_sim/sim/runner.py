"""The physics thread: the only thread that touches the Aca (and so PyBullet).

Other threads submit operations (jobs) and calls; the thread applies them at step boundaries,
advances every active job by one generator step per physics step (a Leap's steps without
resuming it), and reports feedback and completion through callbacks that run on the physics
thread (hand them to your executor).

Modes: "fast" steps as fast as the CPU allows and only while some job is active, so the
sim-time timeline of a sequence does not depend on machine load; "realtime" steps all the time,
paced to the wall clock times real_time_factor. No ROS here.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from aca_sim.model.names import ACA_JOINTS
from aca_sim.model.status import StepStatus
from aca_sim.sim.aca import Aca
from aca_sim.sim.drive import Drive, Outcome, ending
from aca_sim.sim.errors import StepError
from aca_sim.sim.operation import Feedback, Operation

MODES = ("fast", "realtime")


@dataclass(frozen=True)
class Tick:
    """The world at the first step of a tick period: sim time (s) and each ACA joint's
    (position m|rad, velocity m/s|rad/s, effort N|N m) in ACA_JOINTS order."""

    time_s: float
    joint_states: list[tuple[float, float, float]]


@dataclass
class Job:
    """An operation running on the physics thread. Create with PhysicsRunner.submit()."""

    operation: Operation
    on_feedback: Callable[[Feedback], None] | None
    on_done: Callable[[Outcome], None]
    cancel_requested: bool = False
    drive: Drive = field(init=False)  # made when the job starts, on the physics thread


def run_to_end(aca: Aca, operation: Operation) -> Outcome:
    """Run an operation on this thread to its end, as the physics thread does (one generator
    step per physics step, no step after the last), and say how it ended."""
    drive = Drive(aca.world, operation)
    try:
        aca.drive_to_end(drive)
    except Exception as exc:  # a simulator bug ends the step too, as on the physics thread
        return drive.outcome(StepStatus.FAILED, ending(exc))
    return drive.outcome(StepStatus.SUCCEEDED)


class PhysicsRunner:
    """Own an Aca on a dedicated thread. Thread rules: submit(), cancel(), call() and stop()
    may be called from any thread; callbacks (on_done, on_feedback, on_ticks) run on the
    physics thread."""

    def __init__(
        self,
        aca: Aca,
        mode: str = "fast",
        real_time_factor: float = 1.0,
        tick_period_s: float = 0.01,
        on_ticks: Callable[[Aca, list[Tick]], None] | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if real_time_factor <= 0:
            raise ValueError(f"real_time_factor must be > 0, got {real_time_factor}")
        self.aca = aca
        self.mode = mode
        self.real_time_factor = real_time_factor
        if tick_period_s <= 0:
            raise ValueError(f"tick_period_s must be > 0, got {tick_period_s}")
        self.tick_period_s = tick_period_s
        self._last_tick = self._tick_index(aca.time_s)
        self.on_ticks = on_ticks
        self._inbox: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._jobs: list[Job] = []
        self._running = False
        self._thread = threading.Thread(target=self._loop, name="physics", daemon=True)

    # ------------------------------------------------------------------ any thread
    def start(self) -> PhysicsRunner:
        """Start the physics thread; return self."""
        self._running = True
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Cancel every job, stop the thread and wait for it."""
        self._inbox.put(self._cancel_all)
        self._running = False
        self._inbox.put(lambda: None)
        self._thread.join(timeout_s)

    def submit(
        self,
        operation: Operation,
        on_done: Callable[[Outcome], None],
        on_feedback: Callable[[Feedback], None] | None = None,
    ) -> Job:
        """Queue an operation; it starts at the next step boundary."""
        job = Job(operation, on_feedback, on_done)
        self._inbox.put(lambda: self._start(job))
        _hand_over_the_gil()
        return job

    def cancel(self, job: Job) -> None:
        """Ask a job to stop at the next step boundary (its hardware is left safe)."""
        job.cancel_requested = True
        self._inbox.put(lambda: None)  # wake an idle loop

    def call(self, fn: Callable[[Aca], Any]) -> Future:
        """Run fn(aca) on the physics thread between steps; return a Future of its result."""
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(fn(self.aca))
            except BaseException as exc:  # handed to the caller
                future.set_exception(exc)

        self._inbox.put(run)
        _hand_over_the_gil()
        return future

    @property
    def busy(self) -> bool:
        """True while a job is active."""
        return bool(self._jobs)

    # ------------------------------------------------------------------ physics thread
    def _tick_index(self, time_s: float) -> int:
        """Which tick period of sim time `time_s` falls in: a tick is the world at the first
        step of each period (on_ticks gets every one, in order), so its rate is
        1 / tick_period_s on average whatever the time step (whole steps of 1/240 s cannot
        make 100 Hz exactly; a fixed step count gave 120)."""
        return math.floor(time_s / self.tick_period_s + 1e-9)

    def _start(self, job: Job) -> None:
        job.drive = Drive(self.aca.world, job.operation, job.on_feedback)
        self._jobs.append(job)

    def _cancel_all(self) -> None:
        for job in self._jobs:
            job.cancel_requested = True

    def _finish(self, job: Job, outcome: Outcome) -> None:
        self._jobs.remove(job)
        job.on_done(outcome)

    def _end(self, job: Job, status: StepStatus, error: StepError | None = None) -> None:
        self._finish(job, job.drive.outcome(status, error))

    def _advance(self, job: Job) -> None:
        """Resume a job whose drive is due (sim.drive); end it when it returned, raised or
        was asked to stop."""
        drive = job.drive
        if job.cancel_requested:
            drive.close()
            self._end(job, StepStatus.CANCELED)
            return
        if not drive.due():
            return
        try:
            running = drive.look()
        except Exception as exc:  # a simulator bug must not kill the thread
            self._end(job, StepStatus.FAILED, ending(exc))
            return
        if not running:
            self._end(job, StepStatus.SUCCEEDED)

    def _drain(self, block: bool) -> None:
        try:
            item = self._inbox.get(timeout=0.1) if block else self._inbox.get_nowait()
        except queue.Empty:
            return
        self.aca.world.settle()  # calls and new jobs look at the world
        item()
        while True:
            try:
                self._inbox.get_nowait()()
            except queue.Empty:
                return

    def _take_steps(self) -> None:
        """This pass's step and its tick. When every job is inside a Leap on the running coast
        and nothing waits in the inbox, the Leap's next steps too, at once (Aca.leap: the
        same states as stepping singly): in fast mode up to the Leap's end, its ticks read
        from the coast's states and handed over together (_leap_with_ticks); in realtime
        mode up to the next tick, read from the world (ticks paced one by one)."""
        aca = self.aca
        coast = aca.world.coast
        extra = 0
        if coast is not None and self._inbox.empty():
            extra = min((_leap_left(job, coast) for job in self._jobs), default=0)
        ticks: list[Tick] = []
        taken = 0
        if extra and self.mode == "fast":
            taken = self._leap_with_ticks(coast, extra + 1, ticks)
        elif extra:  # realtime: up to the step that starts the next tick period
            steps, step_count = 1, aca.world.step_count
            while steps < extra + 1 and self._tick_index((step_count + steps) * aca.dt) == (
                self._last_tick
            ):
                steps += 1
            taken = aca.leap(steps)
            self._tick(ticks)
        if not taken:
            aca.step()
            self._tick(ticks)
        for job in self._jobs:
            job.drive.stepped(max(taken, 1))
        if ticks and self.on_ticks is not None:
            self.on_ticks(aca, ticks)

    def _leap_with_ticks(self, coast: Any, budget: int, ticks: list[Tick]) -> int:
        """Up to `budget` steps of `coast` at once; the ticks they start added to `ticks`,
        each read from the coast's state at its step (Coast.advance_many's marks) for the
        coasted joints and as the world stood before the leap for the others and for every
        effort (nothing else moves during a coast, and no physics step changes an effort):
        the ticks stepping singly reads from PyBullet, without a leap and a read per tick.
        Returns the steps taken."""
        aca = self.aca
        start, dt = aca.world.step_count, aca.dt
        marks: list[int] = []
        last = self._last_tick
        for k in range(1, budget + 1):
            period = self._tick_index((start + k) * dt)
            if period != last:
                marks.append(k)
                last = period
        standing = aca.world.mech.joint_states() if marks else []
        taken = aca.leap(budget, marks)
        columns = [ACA_JOINTS.index(name) for name in coast.joints]
        reached = len(coast.marked)  # fewer than marked when the coast ended early
        for k, (positions, velocities) in zip(marks[:reached], coast.marked, strict=True):
            states = list(standing)
            for column, position, velocity in zip(columns, positions, velocities, strict=True):
                states[column] = (position, velocity, standing[column][2])
            ticks.append(Tick((start + k) * dt, states))
            self._last_tick = self._tick_index((start + k) * dt)
        return taken

    def _tick(self, ticks: list[Tick]) -> None:
        """Add the world's tick to `ticks` when its step started a new tick period."""
        aca = self.aca
        tick = self._tick_index(aca.time_s)
        if tick != self._last_tick:
            self._last_tick = tick
            ticks.append(Tick(aca.time_s, aca.world.mech.joint_states()))

    def _loop(self) -> None:
        aca = self.aca
        wall0, sim0 = time.perf_counter(), aca.time_s
        while self._running:
            idle = not self._jobs and self.mode == "fast"
            self._drain(block=idle)
            if idle:
                wall0, sim0 = time.perf_counter(), aca.time_s
                continue
            for job in list(self._jobs):
                self._advance(job)
            if not self._jobs and self.mode == "fast":
                continue  # the last job ended at a step boundary: no extra step
            self._take_steps()
            if self.mode == "realtime":
                ahead = (aca.time_s - sim0) / self.real_time_factor - (time.perf_counter() - wall0)
                if ahead > 0:
                    time.sleep(ahead)
        for job in list(self._jobs):
            job.drive.close()
            self._end(job, StepStatus.CANCELED)


def _leap_left(job: Job, coast: Any) -> int:
    """Steps past this one a job's drive lets pass at once on `coast` (0: its look was no
    Leap on that coast)."""
    if job.drive.leap_coast is not coast:
        return 0
    return job.drive.steps_left - 1


def _hand_over_the_gil() -> None:
    """Let the physics thread, just woken by the inbox, take the GIL now: otherwise it waits
    until the calling thread blocks or 5 ms of switch interval pass, and the caller (the ROS
    executor) goes on with its own Python first. Measured: a step goal's round trip 0.5 ms
    shorter (bench/ros_bench.py)."""
    time.sleep(0)
