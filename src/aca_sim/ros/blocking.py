"""Calling rclpy from a thread that is not spinning the node (the campaign driver, tests).

Two rules make that safe with rclpy 7.1.6, the Jazzy wheel this project runs on:

- Wait on a future with wait_future() (an Event its done callback sets): the executor runs in
  its own thread, so spinning here would compete with it.
- Make ActionClient calls on the executor's thread (on_executor, send_goal, get_result,
  cancel_goal). ActionClient.send_goal_async, get_result_async and cancel_goal_async send the
  request first and register it afterwards without a lock; when the executor thread takes the
  response in between, rclpy drops it ("Ignoring unexpected goal response. There may be more
  than one action server ...") and the future never completes (ros2/rclpy#1123, fixed upstream
  by ros2/rclpy#1308, not in 7.1.6). Seen here as goals that ran on the server while the
  client timed out. Service clients take a lock and are safe from any thread.

No rclpy import at module level (callers may still be setting up the ROS environment).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

EXECUTOR_CALL_S = 10.0  # s for the executor thread to pick up and run a short call


def wait_future(future: Any, timeout_s: float, what: str) -> Any:
    """Block this (non-executor) thread until an rclpy future is done; its result (or its
    exception, raised). TimeoutError after timeout_s wall seconds, naming `what`."""
    event = threading.Event()
    future.add_done_callback(lambda _: event.set())
    if not event.wait(timeout_s):
        raise TimeoutError(f"{what}: no answer within {timeout_s:g} s")
    return future.result()


def on_executor(node: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run fn(*args, **kwargs) on the thread spinning `node` and return what it returned.
    Thread rule: not from that thread itself (it would wait for itself)."""
    executor = node.executor
    if executor is None:
        raise RuntimeError(f"node {node.get_name()!r} is not added to an executor")
    task = executor.create_task(fn, *args, **kwargs)
    return wait_future(task, EXECUTOR_CALL_S, f"{getattr(fn, '__name__', 'call')} on the executor")


def send_goal(
    node: Any,
    client: Any,
    goal: Any,
    timeout_s: float,
    feedback_callback: Callable[[Any], None] | None = None,
    what: str = "goal response",
) -> Any:
    """Send `goal` through ActionClient `client` (of `node`) and wait up to timeout_s for the
    server's answer; the ClientGoalHandle (accepted or not)."""
    future = on_executor(node, client.send_goal_async, goal, feedback_callback=feedback_callback)
    return wait_future(future, timeout_s, what)


def get_result(node: Any, handle: Any, timeout_s: float, what: str = "result") -> Any:
    """Wait up to timeout_s for an accepted goal's result; the GetResult response (status,
    result)."""
    return wait_future(on_executor(node, handle.get_result_async), timeout_s, what)


def cancel_goal(node: Any, handle: Any, timeout_s: float) -> Any:
    """Ask the server to cancel a goal; the CancelGoal response."""
    return wait_future(on_executor(node, handle.cancel_goal_async), timeout_s, "cancel response")
