"""The one goal lifecycle of the sim node's action servers: a goal books the devices it needs,
runs as a job on the physics thread, publishes feedback from there, can be canceled or
preempted, and ends in exactly one terminal state whose result stays fetchable by goal id.

A server (sim_servers.step_server, sim_servers.trajectory_server) supplies only what differs:
the operation a request starts, how its feedback is passed on, and the mapping from how the
job ended to a terminal status and a Result message (a Verdict).

Goal policy, for every server:
- the goal callback REJECTS a goal while another goal holds a device it needs; with
  `preempts`, the server's own running goals do not count: they are preempted instead;
- the booking is made when the goal is accepted (rclpy's accepted callback, which it skips
  when it cannot send the goal response), keyed by the goal id, and released when that goal
  ends, whatever the ending: a goal whose acceptance response was lost leaves no booking;
- a goal accepted although its devices were taken in between ends ABORTED unrun (`refused`);
- preemption marks the old goal preempted and stops its job at the next physics step; with
  `preempt_ends_at_once` its result goes out at once (ended None), otherwise when the job
  has stopped;
- cancel stops the job at the next physics step; the verdict says how that ends;
- a bug in a server ends the goal ABORTED with the server's internal-error result, logged.

Thread rules: everything runs on the node's executor thread, except `_feedback` and
`_before_end` (the physics thread, which publishes feedback itself: rclpy's goal handle locks
for that) and publish_feedback (any thread); a job's end comes back through the
ExecutorBridge.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from rclpy.action import CancelResponse, GoalResponse
from rclpy.node import Node
from rclpy.task import Future

from aca_sim.model.status import StepStatus
from aca_sim.ros.executor_bridge import ExecutorBridge
from aca_sim.ros.retaining_server import RetainingActionServer

RESULT_KEEP_S = 24 * 3600  # wall s a result stays fetchable by goal id (a restarted
# sequencer settles its cut-off step with it; rclpy's default keeps it 15 minutes)
RESULTS_KEPT = 1000  # per server: the newest results kept (a teleop session sends thousands)


class JobRunner(Protocol):
    """Where a server's goals run (sim.runner.PhysicsRunner): jobs are submitted there and
    asked to stop; any thread. on_done(ended) and on_feedback(feedback) are called on the
    physics thread."""

    def submit(
        self,
        operation: Any,
        on_done: Callable[[Any], None],
        on_feedback: Callable[[Any], None] | None = None,
    ) -> Any: ...

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


@dataclass(frozen=True)
class ServerSetting:
    """What every sim-side server of one node shares: the node, the bridge to its executor,
    the physics thread's runner, the device book, and after_goal() (awaited when a goal ends,
    before its result goes out: the sim keeps its world file)."""

    node: Node
    bridge: ExecutorBridge
    runner: JobRunner
    book: DeviceBook
    after_goal: Callable[[], Awaitable[None]] | None = None


@dataclass(frozen=True)
class Verdict:
    """How a goal ends: status SUCCEEDED (succeed), CANCELED (canceled, only after a cancel
    request) or anything else (abort); the action's Result message; and the log line (INFO
    unless it succeeded)."""

    status: StepStatus
    result: Any
    summary: str


class BookedGoal:
    """One accepted goal: its handle, whether it was refused at acceptance, its job on the
    physics thread, whether it was preempted, the future its ending resolves, and the
    server's own per-goal state (`state`, e.g. a feedback gate)."""

    def __init__(self, handle: Any, refused: bool, state: Any = None) -> None:
        self.handle = handle
        self.refused = refused
        self.job: Any = None
        self.preempted = False
        self.done = Future()
        self.state = state


class BookedActionServer:
    """An action server whose goals book devices and run on the physics thread (see the
    module's goal policy). Subclasses set the class attributes and supply _operation,
    _verdict, _refused_result and _error_result; _feedback, _before_end and _goal_state are
    optional."""

    preempts = False  # a new goal preempts this server's running goal instead of being rejected
    preempt_ends_at_once = False  # a preempted goal's result goes out without waiting its job

    def __init__(
        self, setting: ServerSetting, action_type: Any, name: str, needs: frozenset[str]
    ) -> None:
        self.node, self.bridge = setting.node, setting.bridge
        self.runner, self.book, self.after_goal = setting.runner, setting.book, setting.after_goal
        self.action_type, self.name, self.needs = action_type, name, needs
        self._active: dict[bytes, BookedGoal] = {}
        self.server = RetainingActionServer(
            setting.node,
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

    @property
    def busy_reason(self) -> str:
        """Why a goal is rejected or refused while its devices are held."""
        return f"devices {sorted(self.needs)} busy"

    # ------------------------------------------------------------------ what a server supplies
    def _operation(self, request: Any) -> Any:
        """The operation (sim.operation.Operation) a goal's request runs."""
        raise NotImplementedError

    def _verdict(self, goal: BookedGoal, ended: Any) -> Verdict:
        """How a goal ends, from how its job ended (a sim.drive.Outcome), or None for a goal
        preempted with preempt_ends_at_once."""
        raise NotImplementedError

    def _refused_result(self) -> Any:
        """The Result of a goal accepted while its devices were taken (it ends ABORTED)."""
        raise NotImplementedError

    def _error_result(self, message: str) -> Any:
        """The Result of a goal ended by a bug in the server (it ends ABORTED)."""
        raise NotImplementedError

    def _goal_error(self, request: Any) -> str | None:
        """Executor thread: why a goal's request is refused at goal time (it is REJECTED and
        the reason logged at WARN), or None to go on to the device booking."""
        return None

    def _goal_state(self) -> Any:
        """A new goal's own state (BookedGoal.state), made at acceptance."""
        return None

    def _feedback(self, goal: BookedGoal, feedback: Any) -> None:
        """Physics thread: pass on one feedback of the goal's job (publish_feedback)."""

    def _before_end(self, goal: BookedGoal) -> None:
        """Physics thread: the job ended; publish what feedback was held back."""

    # ------------------------------------------------------------------ the goal lifecycle
    def _own(self) -> set[bytes]:
        """The holders a new goal of this server preempts (with `preempts`): its running
        goals."""
        return set(self._active)

    def _preempt_own(self) -> None:
        """Executor thread: preempt what _own() names, for a new goal."""
        for old in list(self._active.values()):
            self._preempt(old)

    def _blocked(self) -> bool:
        """True when a goal that this server would not preempt holds a device it needs."""
        holders = self.book.holders(self.needs)
        return bool(holders) and not (self.preempts and holders <= self._own())

    def _on_goal(self, request: Any) -> GoalResponse:
        error = self._goal_error(request)
        if error is not None:
            self.node.get_logger().warning(f"{self.name}: goal rejected: {error}")
            return GoalResponse.REJECT
        if self._blocked():
            self.node.get_logger().info(f"{self.name}: goal rejected, {self.busy_reason}")
            return GoalResponse.REJECT
        return GoalResponse.ACCEPT

    def _on_accepted(self, goal_handle: Any) -> None:
        """Book the devices for the accepted goal (preempting our own running goals), then
        execute. rclpy runs this right after the goal callback with no other callback in
        between, so the devices are still free; if they were not, the goal is refused."""
        key = bytes(goal_handle.goal_id.uuid)
        refused = self._blocked()
        if not refused:
            self._preempt_own()
            self.book.take(self.needs, key)
        self._active[key] = BookedGoal(goal_handle, refused, self._goal_state())
        goal_handle.execute()

    def _preempt(self, goal: BookedGoal) -> None:
        goal.preempted = True
        if goal.job is not None:
            self.runner.cancel(goal.job)
        if self.preempt_ends_at_once and not goal.done.done():
            goal.done.set_result(None)

    def _on_cancel(self, goal_handle: Any) -> CancelResponse:
        goal = self._active.get(bytes(goal_handle.goal_id.uuid))
        if goal is not None and goal.job is not None:
            self.runner.cancel(goal.job)
        return CancelResponse.ACCEPT

    async def _execute(self, goal_handle: Any) -> Any:
        key = bytes(goal_handle.goal_id.uuid)
        goal = self._active[key]
        try:
            if goal.refused:
                goal_handle.abort()
                return self._refused_result()
            if not goal.done.done():  # not preempted (at once) before it started
                self._start(goal)
            ended = await goal.done
            await self._goal_ended()
            return self._end(goal, ended)
        except Exception as error:  # a bug: the goal still ends, with a result that says so
            self.node.get_logger().error(f"{self.name}: {type(error).__name__}: {error}")
            if goal_handle.is_active:
                goal_handle.abort()
            return self._error_result(f"internal error: {type(error).__name__}: {error}")
        finally:
            self._active.pop(key, None)
            self.book.release(key)

    def _start(self, goal: BookedGoal) -> None:
        def done(ended: Any) -> None:  # physics thread
            self._before_end(goal)
            self.bridge.resolve(goal.done, ended)

        goal.job = self.runner.submit(
            self._operation(goal.handle.request),
            on_done=done,
            on_feedback=lambda feedback: self._feedback(goal, feedback),
        )
        if goal.handle.is_cancel_requested or goal.preempted:
            self.runner.cancel(goal.job)

    async def _goal_ended(self) -> None:
        """Run after_goal before a goal's result goes out; a failure there is logged, and
        the result still goes out."""
        if self.after_goal is None:
            return
        try:
            await self.after_goal()
        except Exception as error:  # the goal's own outcome stands
            self.node.get_logger().error(f"{self.name}: after the goal: {error}")

    def _end(self, goal: BookedGoal, ended: Any) -> Any:
        verdict = self._verdict(goal, ended)
        if verdict.status == StepStatus.SUCCEEDED:
            goal.handle.succeed()
        elif verdict.status == StepStatus.CANCELED:
            goal.handle.canceled()
        else:
            goal.handle.abort()
        # A goal that failed or was canceled is news (INFO); a success is DEBUG: its result
        # and the status topic say it, and an INFO line (console, log file, /rosout) costs
        # 0.2 ms, more than the rest of a short goal's end (teleop sends goals at 10+ Hz).
        log = self.node.get_logger()
        succeeded = verdict.status == StepStatus.SUCCEEDED
        (log.debug if succeeded else log.info)(f"{self.name}: {verdict.summary}")
        return verdict.result


def publish_feedback(goal_handle: Any, message: Any) -> None:
    """Publish an action feedback message while its goal is still active. Any thread: rclpy's
    ServerGoalHandle takes its own lock for both (the physics thread calls this). A goal
    ended by preemption on the executor thread may see one more message after its result;
    rclpy clients drop feedback of a goal whose result they have."""
    if goal_handle.is_active:
        goal_handle.publish_feedback(message)
