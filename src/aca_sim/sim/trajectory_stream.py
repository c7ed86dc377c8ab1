"""A stream of joint trajectories for the SHA, as joint_trajectory_controller's ~/joint_trajectory
topic takes them (what MoveIt Servo writes): each new trajectory replaces the one followed,
from the state that one left (no stop between); when one ends the arm holds its last point;
after idle_s of sim time with nothing new the stream ends, and the arm is free for others.

No ROS here (aca_sim.sim_servers.trajectory_topic subscribes). Thread rules: put() from any
thread; the operation runs on the physics thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from aca_sim.motion.trajectory_goal import ControllerConfig, FollowGoal, FollowResult
from aca_sim.sim.operation import Operation
from aca_sim.sim.sha import Sha
from aca_sim.sim.trajectory_controller import ActiveTrajectory, follow


class TrajectoryMailbox:
    """The newest trajectory not yet taken (an older one not taken yet is dropped: only the
    newest counts, as on the controller's topic)."""

    def __init__(self) -> None:
        self._goal: FollowGoal | None = None
        self._lock = threading.Lock()

    def put(self, goal: FollowGoal) -> None:
        with self._lock:
            self._goal = goal

    def pending(self) -> bool:
        """True when a trajectory waits to be taken."""
        with self._lock:
            return self._goal is not None

    def take(self) -> FollowGoal | None:
        with self._lock:
            goal, self._goal = self._goal, None
        return goal


def follow_stream(
    sha: Sha,
    mailbox: TrajectoryMailbox,
    config: ControllerConfig,
    idle_s: float,
    report: Callable[[FollowResult], None],
    active: ActiveTrajectory | None = None,
) -> Operation[None]:
    """Follow the mailbox's trajectories one after the other, each replacing the last at the
    step it arrives; report(result) each one that ends (physics thread); end idle_s (sim s)
    after the last one ended with nothing new."""
    world = sha.world
    current = None  # the follow() of the newest trajectory, None when holding
    idle_since_s = world.time_s
    try:
        while True:
            goal = mailbox.take()
            if goal is not None:
                if current is not None:
                    current.close()  # stops its coast and holds; the new one starts here
                current = follow(sha, goal, config, phase="stream", active=active)
            if current is None:
                if world.time_s - idle_since_s >= idle_s:
                    return None
                yield None
                continue
            try:
                yield next(current)
            except StopIteration as ended:
                report(ended.value)
                current, idle_since_s = None, world.time_s
    finally:
        if current is not None:
            current.close()
