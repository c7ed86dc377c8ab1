"""The SHA controller's state interfaces beside its action, as joint_trajectory_controller
has them: /sha_controller/controller_state (control_msgs/JointTrajectoryControllerState) and
/sha_controller/query_state (control_msgs/QueryTrajectoryState).

While a trajectory of this controller runs, a state goes out at every sim tick (the
controller's update rate: the sim's publish_rate_hz of sim time); with none running, at most
every IDLE_PERIOD_S of wall time. That is where it differs from the ROS 2 controller (which
publishes at its update rate always): in fast mode the sim runs a hundred times real time, and
a state per tick through a whole campaign (recorded) cost it several times its wall time.

The state: feedback is the measured SHA joints, reference what the running trajectory asks
for at the tick's time (with no trajectory: the measured positions, held, at rest), error
reference - feedback, output the servo's position targets (the reference's positions). A query
for a time outside the running trajectory, or with none running, answers success false with
joint_trajectory_controller's words (also logged at ERROR, as it does) and the measured state.

Thread rules: on_ticks() on the physics thread; the service on the executor thread; both
read the ActiveTrajectory the controller's follow() keeps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
from control_msgs.msg import JointTrajectoryControllerState
from control_msgs.srv import QueryTrajectoryState
from rclpy.node import Node
from std_msgs.msg import Header
from trajectory_msgs.msg import JointTrajectoryPoint

from aca_sim.model.names import SHA_CONTROLLER, SHA_JOINTS
from aca_sim.ros.conversions import seconds, sim_time
from aca_sim.sim.runner import Tick
from aca_sim.sim.trajectory_controller import ActiveTrajectory

PREFIX = f"/{SHA_CONTROLLER}"
IDLE_PERIOD_S = 0.2  # wall s between two states while no trajectory runs
Vectors = tuple[Sequence[float], Sequence[float], Sequence[float]]


class ControllerStateInterfaces:
    """~/controller_state and ~/query_state of the SHA controller (see the module)."""

    def __init__(self, node: Node, active: ActiveTrajectory, prefix: str = PREFIX) -> None:
        self.active, self._logger = active, node.get_logger()
        self.publisher = node.create_publisher(
            JointTrajectoryControllerState, f"{prefix}/controller_state", 10
        )
        node.create_service(QueryTrajectoryState, f"{prefix}/query_state", self._query)
        self._latest: Tick | None = None
        self._idle_sent = -math.inf  # wall time (monotonic s) of the last state at rest

    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        """Physics thread: the states of these ticks, when someone subscribes (see the
        module for the rate)."""
        if not ticks:
            return
        self._latest = ticks[-1]
        if self.publisher.get_subscription_count() == 0:
            return
        if self.active.current is not None:
            for tick in ticks:
                self.publisher.publish(self._state(tick))
        elif time.monotonic() - self._idle_sent >= IDLE_PERIOD_S:
            self._idle_sent = time.monotonic()
            self.publisher.publish(self._state(ticks[-1]))

    def _state(self, tick: Tick) -> JointTrajectoryControllerState:
        q, v = _measured(tick)
        wanted = self.active.at(tick.time_s)
        reference = (q, np.zeros(len(q)), np.zeros(len(q))) if isinstance(wanted, str) else wanted
        return JointTrajectoryControllerState(
            header=Header(stamp=sim_time(tick.time_s)),
            joint_names=list(SHA_JOINTS),
            reference=_point(reference),
            feedback=_point((q, v, ())),
            error=_point((reference[0] - q, reference[1] - v, ())),
            output=_point((reference[0], (), ())),
        )

    def _query(
        self, request: QueryTrajectoryState.Request, response: QueryTrajectoryState.Response
    ) -> QueryTrajectoryState.Response:
        response.name = list(SHA_JOINTS)
        wanted = self.active.at(seconds(request.time))
        if isinstance(wanted, str):
            self._logger.error(wanted)
            response.success, response.message = False, wanted
            if self._latest is not None:
                q, v = _measured(self._latest)
                response.position, response.velocity = list(q), list(v)
            return response
        response.success = True
        response.position, response.velocity, response.acceleration = (
            [float(x) for x in values] for values in wanted
        )
        return response


def _measured(tick: Tick) -> tuple[np.ndarray, np.ndarray]:
    """The SHA joints' positions and velocities of a tick (ACA_JOINTS begins with them)."""
    arm = tick.joint_states[: len(SHA_JOINTS)]
    return np.array([p for p, _, _ in arm]), np.array([v for _, v, _ in arm])


def _point(values: Vectors) -> JointTrajectoryPoint:
    positions, velocities, accelerations = values
    return JointTrajectoryPoint(
        positions=[float(x) for x in positions],
        velocities=[float(x) for x in velocities],
        accelerations=[float(x) for x in accelerations],
    )
