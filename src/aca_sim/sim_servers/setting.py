"""What the sim node's servers share (ros.booked_server.ServerSetting), with the runner being
the sim's physics thread, whose world (runner.aca) the servers' operations act on."""

from __future__ import annotations

from dataclasses import dataclass

from aca_sim.ros.booked_server import ServerSetting
from aca_sim.sim.runner import PhysicsRunner


@dataclass(frozen=True)
class SimSetting(ServerSetting):
    """ServerSetting whose runner is the sim's PhysicsRunner."""

    runner: PhysicsRunner
