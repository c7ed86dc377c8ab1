"""Executing a planned trajectory on the simulator's SHA controller through
control_msgs/FollowJointTrajectory, as MoveIt's simple controller manager does.

Before sending, the trajectory's first point must match the current joint positions within
0.01 (MoveIt's allowed_start_tolerance); the goal carries stamp 0 (start on arrival) and the
controller's default tolerances. Thread rule: blocking calls from any thread but the one
spinning the node (see aca_sim.ros.blocking).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from action_msgs.msg import GoalStatus
from control_msgs.action import FollowJointTrajectory
from rclpy.action import ActionClient
from rclpy.node import Node

from aca_sim.model.names import SHA_CONTROLLER
from aca_sim.motion.joint_trajectory import command_from
from aca_sim.moveit.component import SAMPLE_PERIOD_S, RobotTrajectory
from aca_sim.ros import blocking
from aca_sim.ros.trajectory_codec import goal_msg

START_TOLERANCE = 0.01  # m or rad, as MoveIt's trajectory_execution.allowed_start_tolerance
STATUS = {
    GoalStatus.STATUS_SUCCEEDED: "SUCCEEDED",
    GoalStatus.STATUS_ABORTED: "ABORTED",
    GoalStatus.STATUS_CANCELED: "PREEMPTED",
}


@dataclass(frozen=True)
class ExecutionResult:
    """How an execution ended (moveit_py's ExecutionStatus): status "SUCCEEDED", "ABORTED",
    "PREEMPTED" (canceled), "REJECTED" (the controller refused the goal: the arm is busy) or
    "INVALID" (not sent); the controller's error_code and error_string. Truthy on success."""

    status: str
    error_code: int = 0
    error_string: str = ""

    def __bool__(self) -> bool:
        return self.status == "SUCCEEDED"


class TrajectoryExecutor:
    """Sends trajectories to /sha_controller/follow_joint_trajectory (the sim's controller,
    at the root as ros2_control's controllers are)."""

    def __init__(
        self,
        node: Node,
        current_positions: Callable[[], Sequence[float]],
        wait_s: float,
    ) -> None:
        self.node = node
        self.action_name = f"/{SHA_CONTROLLER}/follow_joint_trajectory"
        self._client = ActionClient(node, FollowJointTrajectory, self.action_name)
        self._current = current_positions
        self._wait_s = wait_s
        self._running: Any = None
        self._lock = threading.Lock()

    def check_controllers(self, controllers: Sequence[str]) -> None:
        """[] lets the executor choose; else the list must name this simulator's controller."""
        unknown = [c for c in controllers if c.strip("/") != SHA_CONTROLLER]
        if unknown:
            raise ValueError(
                f"unknown controllers {unknown} (this simulator has {SHA_CONTROLLER!r})"
            )

    def execute(
        self, trajectory: RobotTrajectory, timeout_s: float | None = None
    ) -> ExecutionResult:
        """Send the trajectory and wait for the controller's result (timeout_s of wall time,
        None: as long as it takes)."""
        command = command_from(trajectory.trajectory, SAMPLE_PERIOD_S)
        start = command.points[0].positions
        current = self._current()
        deviation = max(abs(a - b) for a, b in zip(start, current, strict=True))
        if deviation > START_TOLERANCE:
            return ExecutionResult(
                "INVALID",
                error_string=f"the trajectory starts {deviation:.4f} from the current state "
                f"(allowed {START_TOLERANCE}): plan again from the current state",
            )
        if not self._client.wait_for_server(timeout_sec=self._wait_s):
            return ExecutionResult("INVALID", error_string=f"no action server {self.action_name}")
        handle = blocking.send_goal(self.node, self._client, goal_msg(command), self._wait_s)
        if not handle.accepted:
            return ExecutionResult(
                "REJECTED", error_string="the controller refused: a caching step holds the arm"
            )
        with self._lock:
            self._running = handle
        try:
            future = blocking.on_executor(self.node, handle.get_result_async)
            done = threading.Event()
            future.add_done_callback(lambda _: done.set())
            if not done.wait(timeout_s):
                blocking.cancel_goal(self.node, handle, self._wait_s)
                return ExecutionResult("TIMED_OUT", error_string=f"no result in {timeout_s} s")
            response = future.result()
        finally:
            with self._lock:
                self._running = None
        status = STATUS.get(response.status, f"STATUS_{response.status}")
        return ExecutionResult(status, response.result.error_code, response.result.error_string)

    def stop(self) -> bool:
        """Cancel the running execution (the arm holds where it is); False when none runs."""
        with self._lock:
            handle = self._running
        if handle is None:
            return False
        blocking.cancel_goal(self.node, handle, self._wait_s)
        return True

    def destroy(self) -> None:
        self._client.destroy()
