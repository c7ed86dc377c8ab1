"""Bounded waits inside async rclpy callbacks.

`await wait_for(node, future, ...)` returns the future's result, or raises Timeout when it
does not complete within timeout_s (wall time), or PeerLost when `alive()` (checked every
period_s) has reported the answering side gone for lost_after_s without a break. Without this,
a client whose server dies waits forever. (A server killed with SIGKILL is not unannounced:
DDS drops it when its lease runs out, so that is noticed after the lease, not at once.)
`await until(node, condition, ...)` waits, without blocking the executor, for a condition
such as a service being ready.
Thread rule: call from a coroutine running on the node's executor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.task import Future


class Timeout(RuntimeError):  # noqa: N818 - reads as the event it is
    """No answer within the bound."""


class PeerLost(RuntimeError):  # noqa: N818 - reads as the event it is
    """The server that should answer went away."""


async def wait_for(
    node: Node,
    future: Future,
    timeout_s: float,
    what: str,
    alive: Callable[[], bool] | None = None,
    period_s: float = 0.5,
    lost_after_s: float = 3.0,
) -> Any:
    """The result of `future`; Timeout or PeerLost (naming `what`) instead of waiting forever."""
    if future.done():
        return future.result()
    gone_since: list[float | None] = [None]

    def lost() -> bool:
        return gone_since[0] is not None and time.monotonic() - gone_since[0] >= lost_after_s

    def ended() -> bool:
        if alive is not None:
            if alive():
                gone_since[0] = None
            elif gone_since[0] is None:
                gone_since[0] = time.monotonic()
        return future.done() or lost()

    await _polled(node, ended, timeout_s, period_s, early=future)
    if future.done():
        return future.result()
    if lost():
        raise PeerLost(f"{what}: the server went away")
    raise Timeout(f"{what}: no answer within {timeout_s:g} s")


async def until(
    node: Node, condition: Callable[[], bool], timeout_s: float, what: str, period_s: float = 0.05
) -> None:
    """Return once condition() holds (looked at every period_s of wall time); Timeout
    (naming `what`) after timeout_s. The executor goes on serving meanwhile, which a blocking
    wait such as Client.wait_for_service would stop for as long as it waits."""
    if condition():
        return
    await _polled(node, condition, timeout_s, period_s)
    if not condition():
        raise Timeout(f"{what}: not there within {timeout_s:g} s")


async def _polled(
    node: Node,
    ended: Callable[[], bool],
    timeout_s: float,
    period_s: float,
    early: Future | None = None,
) -> None:
    """Return once ended() holds, looked at every period_s of wall time (a steady timer: sim
    time may stand still), or timeout_s has passed; at once when `early` completes."""
    wake = Future()
    deadline = time.monotonic() + timeout_s

    def check() -> None:
        if not wake.done() and (ended() or time.monotonic() >= deadline):
            wake.set_result(None)

    if early is not None:
        early.add_done_callback(lambda _f: None if wake.done() else wake.set_result(None))
    steady = Clock(clock_type=ClockType.STEADY_TIME)
    timer = node.create_timer(min(period_s, timeout_s), check, clock=steady)
    try:
        await wake
    finally:
        node.destroy_timer(timer)
