"""The physics thread: the only thread that touches the AcaWorld (and so PyBullet).

Other threads submit operations (jobs) and calls; the thread applies them at step boundaries,
advances every active job by one generator step per physics step, and reports feedback and
completion through callbacks that run on the physics thread (hand them to your executor).

Modes: "fast" steps as fast as the CPU allows and only while some job is active, so the
sim-time timeline of a sequence does not depend on machine load; "realtime" steps all the time,
paced to the wall clock times real_time_factor.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from aca_sim.sim.errors import StepError
from aca_sim.sim.world import AcaWorld, Feedback, Operation

MODES = ("fast", "realtime")


@dataclass(frozen=True)
class Outcome:
    """How a job ended: status "succeeded" | "aborted" | "canceled", with its value or error.
    Times are sim time, s."""

    status: str
    value: Any = None
    error: StepError | None = None
    started_s: float = 0.0
    finished_s: float = 0.0

    @property
    def duration_s(self) -> float:
        return self.finished_s - self.started_s


@dataclass
class Job:
    """An operation running on the physics thread. Create with PhysicsRunner.submit()."""

    operation: Operation
    on_feedback: Callable[[Feedback], None] | None
    on_done: Callable[[Outcome], None]
    started_s: float = 0.0
    cancel_requested: bool = False
    progress: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)


class PhysicsRunner:
    """Own an AcaWorld on a dedicated thread. Thread rules: submit(), cancel(), call() and
    stop() may be called from any thread; callbacks run on the physics thread."""

    def __init__(
        self,
        world: AcaWorld,
        mode: str = "fast",
        real_time_factor: float = 1.0,
        tick_period_s: float = 0.01,
        on_tick: Callable[[AcaWorld], None] | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if real_time_factor <= 0:
            raise ValueError(f"real_time_factor must be > 0, got {real_time_factor}")
        self.world = world
        self.mode = mode
        self.real_time_factor = real_time_factor
        self.tick_every = max(1, round(tick_period_s / world.dt))
        self.on_tick = on_tick
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
        return job

    def cancel(self, job: Job) -> None:
        """Ask a job to stop at the next step boundary (its hardware is left safe)."""
        job.cancel_requested = True
        self._inbox.put(lambda: None)  # wake an idle loop

    def call(self, fn: Callable[[AcaWorld], Any]) -> Future:
        """Run fn(world) on the physics thread between steps; return a Future of its result."""
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(fn(self.world))
            except BaseException as exc:  # handed to the caller
                future.set_exception(exc)

        self._inbox.put(run)
        return future

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    # ------------------------------------------------------------------ physics thread
    def _start(self, job: Job) -> None:
        job.started_s = self.world.time_s
        self._jobs.append(job)

    def _cancel_all(self) -> None:
        for job in self._jobs:
            job.cancel_requested = True

    def _finish(self, job: Job, outcome: Outcome) -> None:
        self._jobs.remove(job)
        job.done.set()
        job.on_done(outcome)

    def _advance(self, job: Job) -> None:
        world = self.world
        if job.cancel_requested:
            job.operation.close()  # GeneratorExit inside: the procedure makes the hardware safe
            self._finish(
                job, Outcome("canceled", started_s=job.started_s, finished_s=world.time_s)
            )
            return
        try:
            feedback = next(job.operation)
        except StopIteration as done:
            self._finish(job, Outcome("succeeded", done.value, None, job.started_s, world.time_s))
            return
        except StepError as error:
            self._finish(job, Outcome("aborted", None, error, job.started_s, world.time_s))
            return
        except Exception as exc:  # a simulator bug must not kill the thread
            error = StepError("INTERNAL_ERROR", f"{type(exc).__name__}: {exc}")
            self._finish(job, Outcome("aborted", None, error, job.started_s, world.time_s))
            return
        if feedback is not None and job.on_feedback is not None:
            job.progress = max(job.progress, feedback.progress)  # monotone for the client
            job.on_feedback(
                Feedback(feedback.phase, job.progress, feedback.force_n, feedback.value)
            )

    def _drain(self, block: bool) -> None:
        try:
            item = self._inbox.get(timeout=0.1) if block else self._inbox.get_nowait()
        except queue.Empty:
            return
        item()
        while True:
            try:
                self._inbox.get_nowait()()
            except queue.Empty:
                return

    def _loop(self) -> None:
        world = self.world
        wall0, sim0 = time.perf_counter(), world.time_s
        while self._running:
            idle = not self._jobs and self.mode == "fast"
            self._drain(block=idle)
            if idle:
                wall0, sim0 = time.perf_counter(), world.time_s
                continue
            for job in list(self._jobs):
                self._advance(job)
            if not self._jobs and self.mode == "fast":
                continue  # the last job ended at a step boundary: no extra step
            world.step()
            if self.on_tick is not None and world.step_count % self.tick_every == 0:
                self.on_tick(world)
            if self.mode == "realtime":
                ahead = (world.time_s - sim0) / self.real_time_factor - (
                    time.perf_counter() - wall0
                )
                if ahead > 0:
                    time.sleep(ahead)
        for job in list(self._jobs):
            job.operation.close()
            self._finish(
                job, Outcome("canceled", started_s=job.started_s, finished_s=world.time_s)
            )
