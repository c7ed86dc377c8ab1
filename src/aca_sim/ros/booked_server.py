"""What the sim node's action servers share: the device book (which goal holds which
device), an action server whose goals run on the physics thread with that book, and
publishing feedback (from the physics thread).

Thread rules: everything here runs on the node's executor thread, except publish_feedback
(any thread).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from rclpy.action import CancelResponse, GoalResponse
from rclpy.node import Node

from aca_sim.ros.executor_bridge import ExecutorBridge
from aca_sim.ros.retaining_server import RetainingActionServer

RESULT_KEEP_S = 24 * 3600  # wall s a result stays fetchable by goal id (a restarted
# sequencer settles its cut-off step with it; rclpy's default keeps it 15 minutes)
RESULTS_KEPT = 1000  # per server: the newest results kept (a teleop session sends thousands)


class JobRunner(Protocol):
    """Where a server's goals run (sim.runner.PhysicsRunner): jobs are submitted there and
    asked to stop; any thread."""

    def cancel(self, job: Any) -> None: ...


class DeviceBook:
    """Which goal (by id) holds which device. Used only on the executor thread."""

    def __init__(self) -> None:
        self._owners: dict[str, bytes] = {}

    def holders(self, needs: frozenset[str]) -> set[bytes]:
        """Ids of the goals holding any of these devices."""
        return {self._owners[d] for d in needs if d in self._owners}

    def take(self, needs: frozenset[str], goal_id: bytes) -> None:
        """Book the devices for a goal (a preempted goal's devices pass to it)."""
        for device in needs:
            self._owners[device] = goal_id

    def release(self, goal_id: bytes) -> None:
        """Free every device a goal holds."""
        for device in [d for d, owner in self._owners.items() if owner == goal_id]:
            del self._owners[device]

    def held(self) -> dict[str, bytes]:
        """Device -> goal id, for inspection."""
        return dict(self._owners)


class BookedActionServer:
    """An rclpy ActionServer wired to a subclass's _execute, _blocked and _on_accepted: a
    goal is rejected while _blocked() (saying busy_reason); goals in self._active (objects
    with a `job`) are canceled on the physics thread; subclasses await _goal_ended() before
    returning a result that ran on the physics thread."""

    busy_reason = "busy"

    def __init__(
        self,
        node: Node,
        bridge: ExecutorBridge,
        runner: JobRunner,
        book: DeviceBook,
        action_type: Any,
        name: str,
        after_goal: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.node, self.bridge, self.runner, self.book = node, bridge, runner, book
        self.name, self.after_goal = name, after_goal
        self._active: dict[bytes, Any] = {}
        self.server = RetainingActionServer(
            node,
            action_type,
            name,
            execute_callback=self._execute,
            goal_callback=self._on_goal,
            handle_accepted_callback=self._on_accepted,
            cancel_callback=self._on_cancel,
            keep_s=RESULT_KEEP_S,
            keep_count=RESULTS_KEPT,
        )

    def destroy(self) -> None:
        """Destroy the underlying action server."""
        self.server.destroy()

    def _on_cancel(self, goal_handle: Any) -> CancelResponse:
        goal = self._active.get(bytes(goal_handle.goal_id.uuid))
        if goal is not None and goal.job is not None:
            self.runner.cancel(goal.job)
        return CancelResponse.ACCEPT

    async def _execute(self, goal_handle: Any) -> Any:
        raise NotImplementedError

    async def _goal_ended(self) -> None:
        """Run after_goal (the sim keeps its world file) before a goal's result goes out; a
        failure there is logged, and the result still goes out."""
        if self.after_goal is None:
            return
        try:
            await self.after_goal()
        except Exception as error:  # the goal's own outcome stands
            self.node.get_logger().error(f"{self.name}: after the goal: {error}")

    def _on_goal(self, _request: Any) -> GoalResponse:
        if self._blocked():
            self.node.get_logger().info(f"{self.name}: goal rejected, {self.busy_reason}")
            return GoalResponse.REJECT
        return GoalResponse.ACCEPT

    def _blocked(self) -> bool:
        raise NotImplementedError

    def _on_accepted(self, goal_handle: Any) -> None:
        raise NotImplementedError


def publish_feedback(goal_handle: Any, message: Any) -> None:
    """Publish an action feedback message while its goal is still active. Any thread: rclpy's
    ServerGoalHandle takes its own lock for both (the physics thread calls this). A goal
    ended by preemption on the executor thread may see one more message after its result;
    rclpy clients drop feedback of a goal whose result they have."""
    if goal_handle.is_active:
        goal_handle.publish_feedback(message)
