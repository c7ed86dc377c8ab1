"""A SingleThreadedExecutor that lets a coroutine sleep while it awaits an rclpy Future.

rclpy's executors (Jazzy, rclpy 7.1) resume every unfinished coroutine task each time they
wake for any work: a task awaiting a Future (an action server's execute callback waiting for
the physics thread, the sequencer waiting for a step's result) is run again, and finds its
Future still pending, after every message, timer and guard condition, each time at the cost
of a whole spin (the wait set rebuilt). In the default campaign two such tasks were resumed
25 000 times and tripled the executor's spins (37 000 against 12 500). rclpy issue 1405 comes
from the same design; rclpy pull request 1469 (after Jazzy) resumes a task when its Future is done.

AwaitingExecutor does the same from outside: after running a task that did not finish, it
finds the rclpy Future at the bottom of the task's await chain and parks the task (takes it
out of the executor's task list) until that Future is done; the Future's done callback puts
it back and wakes the executor. A task awaiting anything else (no Future found) is resumed
whenever the executor wakes, as before. Results and callback groups are rclpy's own.

Thread rules: spin on one thread; Futures may be completed from any thread (the done
callback takes the executor's task lock).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rclpy.context import Context
from rclpy.executors import (
    ConditionReachedException,
    ShutdownException,
    SingleThreadedExecutor,
    TimeoutException,
)
from rclpy.task import Future, Task


def awaited_future(task: Task) -> Future | None:
    """The rclpy Future a suspended coroutine task waits on (at the bottom of its chain of
    awaited coroutines), or None when it waits on something else."""
    awaited: Any = getattr(task, "_handler", None)
    for _depth in range(64):
        inner = getattr(awaited, "cr_await", None)
        if inner is None:
            inner = getattr(awaited, "gi_yieldfrom", None)
        if inner is None:
            frame = getattr(awaited, "gi_frame", None)  # Future.__await__'s generator
            owner = frame.f_locals.get("self") if frame is not None else None
            return owner if isinstance(owner, Future) and owner is not task else None
        awaited = inner
    return None


class AwaitingExecutor(SingleThreadedExecutor):
    """SingleThreadedExecutor whose coroutine tasks sleep while they await a Future."""

    def __init__(self, *, context: Context | None = None) -> None:
        super().__init__(context=context)
        self.parked = 0  # tasks parked so far (for tests and benchmarks)

    def _spin_once_impl(
        self, timeout_sec: Any = None, wait_condition: Callable[[], bool] = lambda: False
    ) -> None:
        try:
            handler, _entity, _node = self.wait_for_ready_callbacks(
                timeout_sec, None, wait_condition
            )
        except (ShutdownException, TimeoutException, ConditionReachedException):
            return
        handler()
        if handler.exception() is not None:
            raise handler.exception()
        handler.result()  # raise any exceptions
        if not handler.done():
            self._park(handler)

    def _park(self, task: Task) -> None:
        future = awaited_future(task)
        if future is None:
            return
        with self._tasks_lock:
            entries = [entry for entry in self._tasks if entry[0] is task]
            if not entries:
                return
            self._tasks = [entry for entry in self._tasks if entry[0] is not task]
        self.parked += 1

        def unpark(_done: Future) -> None:
            with self._tasks_lock:
                self._tasks.extend(entries)
            self.wake()

        future.add_done_callback(unpark)
