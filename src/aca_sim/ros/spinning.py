"""Spin nodes on one executor in a background thread, with clean shutdown.

rclpy's MultiThreadedExecutor can fall into a busy loop that starves callbacks on this stack
(see ../shared/design/ros-from-pypi.md), so every aca_sim process uses one single-threaded
executor and writes long work as async callbacks: an AwaitingExecutor (ros.awaiting_executor),
rclpy's SingleThreadedExecutor, except that a coroutine awaiting a Future is not resumed at
every wake-up.

No callback can end a node: rclpy's spin() ends at the first exception a callback raises
(taking every service and action server of the node with it), so spin_resiliently() logs it
with its traceback and goes on. Service callbacks also answer such a request (see
aca_sim.ros.guard), so that the caller hears of it.
"""

from __future__ import annotations

import atexit
import sys
import threading
import traceback
from collections.abc import Callable

import rclpy
from rclpy.context import Context
from rclpy.executors import (
    Executor,
    ExternalShutdownException,
    ShutdownException,
)
from rclpy.node import Node

from aca_sim.ros.awaiting_executor import AwaitingExecutor

Log = Callable[[str], None]


def spin_resiliently(
    executor: Executor, log: Log, stopped: Callable[[], bool] = lambda: False
) -> None:
    """Spin until stopped() or the context shuts down; an exception a callback raises is
    logged (log gets one line plus the traceback) and spinning goes on."""
    while executor.context.ok() and not stopped():
        try:
            executor.spin_once()  # no timeout: a timeout makes an rcl timer on every call
        except (ShutdownException, ExternalShutdownException):
            return
        except Exception as error:  # the point: no callback ends the node
            log(
                f"a callback raised {type(error).__name__}: {error}; still serving\n"
                + traceback.format_exc()
            )


class BackgroundSpinner:
    """Own an AwaitingExecutor that spins the given nodes in a daemon thread.

    Use as a context manager; stop() shuts the executor down and joins the thread, which must
    happen before rclpy shuts down. A spinner still running when the interpreter exits is
    stopped by an atexit hook: its thread, left waiting inside rcl while the process tears
    down, aborted it ("terminate called without an active exception", every time in a
    30-run check), as it did moveit2_tutorials' script, which never shuts rclpy down.
    """

    def __init__(self, nodes: list[Node], context: Context | None = None) -> None:
        self.executor = AwaitingExecutor(context=context)
        for node in nodes:
            self.executor.add_node(node)
        self._log = nodes[0].get_logger().error if nodes else print
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._spin, name="ros-executor", daemon=True)

    def _spin(self) -> None:
        spin_resiliently(self.executor, self._log, self._stopping.is_set)

    def start(self) -> BackgroundSpinner:
        """Start spinning; return self."""
        self._thread.start()
        atexit.register(self.stop)
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Shut the executor down and wait up to timeout_s for the thread to end."""
        atexit.unregister(self.stop)
        self._stopping.set()
        self.executor.shutdown(timeout_sec=timeout_s)
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def __enter__(self) -> BackgroundSpinner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_node(make_node: Callable[[], Node], name: str, argv: list[str] | None = None) -> int:
    """A node process's main: keep discovery local, init rclpy, spin the node on an
    AwaitingExecutor until Ctrl-C or shutdown, clean up; return the exit code
    (2 when the node refuses its parameters with ValueError)."""
    from aca_sim.ros_env import ensure_local_discovery

    ensure_local_discovery()
    rclpy.init(args=argv if argv is not None else sys.argv)
    node = None
    try:
        node = make_node()
        executor = AwaitingExecutor()
        executor.add_node(node)
        spin_resiliently(executor, node.get_logger().error)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except ValueError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 2
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
