"""The SHA controller's ~/joint_trajectory topic (trajectory_msgs/JointTrajectory), as
ros2_controllers' joint_trajectory_controller subscribes it, so MoveIt Servo (or aca_sim's
servo node) can stream to the sim:

- each message is checked as an action goal is (joint names, points, limits, a stamp whose
  trajectory ends in the past); one that fails is dropped with an ERROR line naming the code
  and the value, and the running trajectory goes on; an empty one is such a failure, as in
  the ROS 2 controller;
- a valid one replaces what the arm follows: the running streamed trajectory (from the state
  it left, no stop between) or a running FollowJointTrajectory goal (preempted: ABORTED,
  "Current goal cancelled due to new incoming action.");
- while a caching step holds the arm the messages are dropped (a WARN line, once per second);
- the stream books the arm from its first message until idle_s of sim time after its last
  trajectory ended (then a caching step may take the arm).

Thread rules: the callback and stop() on the node's executor thread; the stream's end comes
back through the ExecutorBridge.
"""

from __future__ import annotations

from typing import Any

from rclpy.qos import QoSProfile, ReliabilityPolicy
from trajectory_msgs.msg import JointTrajectory

from aca_sim.model.names import SHA_CONTROLLER
from aca_sim.motion.trajectory_goal import FollowGoal, FollowResult
from aca_sim.ros.trajectory_codec import command_of
from aca_sim.sim.trajectory_stream import TrajectoryMailbox, follow_stream
from aca_sim.sim_servers.trajectory_server import ARM, TrajectoryServer

TOPIC = f"/{SHA_CONTROLLER}/joint_trajectory"
HOLDER = b"/sha_controller/joint_trajectory"  # the stream's key in the device book
IDLE_S = 1.0  # sim s the stream keeps the arm after its last trajectory ended


class TrajectoryTopic:
    """The topic's subscriber and the stream it runs on the physics thread."""

    def __init__(self, server: TrajectoryServer, idle_s: float = IDLE_S) -> None:
        self.server, self.idle_s = server, idle_s
        self.node = server.node
        self.mailbox = TrajectoryMailbox()
        self._job: Any = None
        server.stream = self
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.subscription = self.node.create_subscription(
            JointTrajectory, TOPIC, self._on_message, qos
        )

    def holder(self) -> set[bytes]:
        """The stream's key while it holds the arm."""
        return {HOLDER} if self._job is not None else set()

    def stop(self) -> None:
        """Executor thread: end the stream now (an action goal takes the arm); the arm holds
        where the stream left it."""
        if self._job is None:
            return
        self.server.runner.cancel(self._job)
        self.server.book.release(HOLDER)
        self._job = None

    def _on_message(self, message: JointTrajectory) -> None:
        goal = FollowGoal(command_of(message))
        error = self.server.goal_error(goal)
        log = self.node.get_logger()
        if error is not None:
            log.error(f"{TOPIC}: trajectory dropped: {error}")
            return
        if self._job is not None:
            self.mailbox.put(goal)
            return
        if self.server.held_by_others():
            log.warning(
                f"{TOPIC}: trajectories dropped: a caching step holds the arm",
                throttle_duration_sec=1.0,
            )
            return
        self.server.preempt_goals()
        self.mailbox.put(goal)
        self._start()

    def _start(self) -> None:
        """Book the arm and run the stream on the mailbox's trajectories."""
        self.server.book.take(ARM, HOLDER)
        operation = follow_stream(
            self.server.aca.devices.sha,
            self.mailbox,
            self.server.config,
            self.idle_s,
            self._report,
            self.server.active,
        )
        started: list[Any] = []  # the job, read on the executor thread (after submit)
        self._job = self.server.runner.submit(
            operation,
            on_done=lambda _ended: self.server.bridge.post(lambda: self._ended(started[0])),
        )
        started.append(self._job)

    def _ended(self, job: Any) -> None:
        """Executor thread: the stream ended by itself (idle): free the arm, unless it was
        stopped already (then a goal holds it); a message that came while it was ending
        starts the next one."""
        if job is not self._job:
            return
        self._job = None
        self.server.book.release(HOLDER)
        if self.mailbox.pending():
            self._start()

    def _report(self, result: FollowResult) -> None:
        """Physics thread: a streamed trajectory that did not end at its goal is news."""
        if not result.succeeded:
            self.node.get_logger().warning(
                f"{TOPIC}: {result.code.name} {result.message}".rstrip()
            )

    def destroy(self) -> None:
        self.node.destroy_subscription(self.subscription)
