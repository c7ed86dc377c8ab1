"""Hand work from foreign threads (the physics thread, workers) to a node's executor thread.

An rclpy Future resolved by a foreign thread does not wake a waiting executor; the awaiting
coroutine would resume only at the executor's next wake-up. ExecutorBridge instead queues the
callable and triggers a guard condition, whose callback runs on the executor thread at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node
from rclpy.task import Future


class ExecutorBridge:
    """Run callables on the thread that spins `node`, posted from any thread.

    Thread rules: post() and resolve() may be called from any thread; the posted callables
    run on the executor thread, in posting order.
    """

    def __init__(self, node: Node) -> None:
        self._pending: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        # Its own group: an async service callback suspended in the node's default
        # (mutually exclusive) group would otherwise block the wake-up it is waiting for.
        self._guard = node.create_guard_condition(
            self._drain, callback_group=MutuallyExclusiveCallbackGroup()
        )

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue fn(*args) to run on the executor thread."""
        self._pending.append((fn, args))
        self._guard.trigger()

    def resolve(self, future: Future, value: Any) -> None:
        """Set future's result on the executor thread (wakes coroutines awaiting it)."""
        self.post(_set_result, future, value)

    def _drain(self) -> None:
        while self._pending:
            fn, args = self._pending.popleft()
            fn(*args)


def _set_result(future: Future, value: Any) -> None:
    if not future.done():
        future.set_result(value)
