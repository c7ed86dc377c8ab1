"""Service callbacks that answer every request: an exception the callback did not expect
ends that request with success=false and a message naming the error (logged with its
traceback), and the node goes on serving. Without it rclpy would end the node's spin at the
exception and the caller would never hear back.

Thread rule: the wrapped callback runs where rclpy runs it (the node's executor thread).
"""

from __future__ import annotations

import functools
import inspect
import traceback
from collections.abc import Callable
from typing import Any

from rclpy.node import Node


def answered(node: Node, name: str, callback: Callable[..., Any]) -> Callable[..., Any]:
    """A service callback (sync or async) that always returns its response."""

    def failed(response: Any, error: Exception) -> Any:
        node.get_logger().error(
            f"{name}: {type(error).__name__}: {error}; request refused, still serving\n"
            + traceback.format_exc()
        )
        if hasattr(response, "success"):
            response.success = False
        if hasattr(response, "message"):
            response.message = f"{name} failed: {type(error).__name__}: {error}"
        return response

    if inspect.iscoroutinefunction(callback):

        @functools.wraps(callback)
        async def guarded_async(request: Any, response: Any) -> Any:
            try:
                return await callback(request, response)
            except Exception as error:  # any error: the caller gets an answer
                return failed(response, error)

        return guarded_async

    @functools.wraps(callback)
    def guarded(request: Any, response: Any) -> Any:
        try:
            return callback(request, response)
        except Exception as error:  # any error: the caller gets an answer
            return failed(response, error)

    return guarded
