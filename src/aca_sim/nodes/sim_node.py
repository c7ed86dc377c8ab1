"""The simulation node: owns the Aca on its physics thread and serves the device actions.

Publishes /clock, /joint_states (every joint of the model), /robot_description (transient
local), /aca/tubes, /aca/dispensers and CacheCam's frames (/aca/cachecam/image_raw rim in
focus, /aca/cachecam/sample/image_raw sample in focus, each also .../compressed as PNG;
ros/cachecam_topics.py); serves ~/reset, ~/snapshot,
~/restore, ~/get_state and ~/inject_fault, and one action per caching step under /aca; the
arm's controller at the root: /sha_controller/follow_joint_trajectory, its ~/joint_trajectory
topic, ~/controller_state and ~/query_state.
Parameters are read once at start (see config/sim_node.yaml).
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aca_interfaces.srv import GetWorldState, InjectFault, ResetWorld, SetObstacle, Snapshot
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile
from rclpy.task import Future
from std_msgs.msg import String

from aca_sim.model.codes import Code
from aca_sim.model.config import ModelConfig, checked_fidelity, load_model_config, with_fidelity
from aca_sim.model.urdf import expand_xacro
from aca_sim.nodes.sim_actions import device_servers
from aca_sim.paths import share_path
from aca_sim.ros import conversions
from aca_sim.ros.booked_server import BookedActionServer, DeviceBook
from aca_sim.ros.cachecam_topics import CacheCamTopics
from aca_sim.ros.executor_bridge import ExecutorBridge
from aca_sim.ros.feedback_pacing import FeedbackPacing
from aca_sim.ros.guard import answered
from aca_sim.ros.parameters import read_only_parameter
from aca_sim.ros.spinning import run_node
from aca_sim.sim.aca import Aca
from aca_sim.sim.errors import StepError
from aca_sim.sim.obstacles import checked
from aca_sim.sim.runner import MODES, PhysicsRunner, Tick
from aca_sim.sim.snapshot import initial_description
from aca_sim.sim.world_file import load_world, save_world
from aca_sim.sim_servers.controller_state import ControllerStateInterfaces
from aca_sim.sim_servers.setting import SimSetting
from aca_sim.sim_servers.tick_publisher import IDLE_JOINTS_PERIOD_S, TickPublisher, TickSink
from aca_sim.sim_servers.trajectory_server import TrajectoryServer
from aca_sim.sim_servers.trajectory_topic import TrajectoryTopic

MAX_SCENARIO_CHARS = 255


@dataclass(frozen=True)
class SimParams:
    """The sim node's parameters, read once at start."""

    mode: str
    real_time_factor: float
    time_step_s: float
    physics_fidelity: str
    seed: int
    gui: bool
    publish_rate_hz: float
    state_rate_hz: float
    state_repeat_s: float
    feedback_period_s: float
    feedback_min_interval_s: float
    model_config: str
    state_file: str


PARAMETERS: dict[str, tuple[Any, str]] = {
    "mode": (
        "fast",
        "fast: step only while a device works, as fast as the CPU allows; realtime: "
        "step continuously, paced to the wall clock times real_time_factor",
    ),
    "real_time_factor": (1.0, "realtime mode: sim seconds per wall second"),
    "time_step_s": (0.0, "physics time step, s; 0 = the model configuration's (1/240 s)"),
    "physics_fidelity": (
        "",
        "fast: free-space arm moves coast without contact dynamics (checked clearance); "
        "full: every step is a PyBullet step; empty = the model configuration's (fast)",
    ),
    "seed": (0, "random seed of the world (core heights, dust, drop tumble)"),
    "gui": (False, "open the PyBullet GUI"),
    "publish_rate_hz": (100.0, "/clock and /joint_states rate in sim time, Hz"),
    "state_rate_hz": (
        2.0,
        "how often /aca/tubes and /aca/dispensers are checked, Hz of sim time: records that "
        "changed go out at the next check",
    ),
    "state_repeat_s": (
        5.0,
        "unchanged /aca/tubes and /aca/dispensers go out again after this much sim time, s "
        "(both are latched: a late subscriber gets the last one at once)",
    ),
    "feedback_period_s": (
        0.5,
        "action feedback period in sim time, s (and on every phase change)",
    ),
    "feedback_min_interval_s": (
        0.05,
        "least wall time between two feedback messages of a goal within a phase, s (fast "
        "mode would otherwise send one per feedback_period_s of sim time, hundreds a second); "
        "0 = the sim period only",
    ),
    "model_config": ("", "model configuration YAML; empty = config/aca_model.yaml"),
    "state_file": (
        "",
        "keep the world in this JSON file, written after every goal and world change; a sim "
        "started on an existing file continues from it; empty = a fresh world, kept nowhere",
    ),
}


class SimNode(Node):
    """Wiring of the Aca to ROS. Construction: parameters, world, interfaces, thread."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("sim", namespace="aca", **kwargs)
        self.params = self._read_parameters()
        self.model = self._model_config(self.params)
        self.bridge = ExecutorBridge(self)
        self.aca = Aca.create(gui=self.params.gui, config=self.model, seed=self.params.seed)
        self.state_file = Path(self.params.state_file) if self.params.state_file else None
        self._continue_world()
        self._snapshots: dict[str, dict[str, Any]] = {}

        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.description_pub = self.create_publisher(String, "/robot_description", latched)
        state_every = max(1, round(self.params.publish_rate_hz / self.params.state_rate_hz))
        repeat_every = max(1, round(self.params.state_repeat_s * self.params.publish_rate_hz))
        self.ticks = TickPublisher(self, state_every, repeat_every)
        self.cachecam = CacheCamTopics(self)
        self.description_pub.publish(
            String(data=expand_xacro("aca.urdf.xacro", self.model.source_path))
        )

        services = ReentrantCallbackGroup()  # async callbacks that wait on the physics thread
        for kind, name, callback in (
            (ResetWorld, "~/reset", self._persisting(self._reset)),
            (Snapshot, "~/snapshot", self._snapshot),
            (Snapshot, "~/restore", self._persisting(self._restore)),
            (GetWorldState, "~/get_state", self._get_state),
            (InjectFault, "~/inject_fault", self._persisting(self._inject_fault)),
            (SetObstacle, "~/set_obstacle", self._persisting(self._set_obstacle)),
        ):
            guarded = answered(self, name.removeprefix("~/"), callback)
            self.create_service(kind, name, guarded, callback_group=services)

        self.runner = PhysicsRunner(
            self.aca,
            self.params.mode,
            self.params.real_time_factor,
            1.0 / self.params.publish_rate_hz,
            self._on_ticks,
        )
        setting = SimSetting(self, self.bridge, self.runner, DeviceBook(), self.persist)
        self.servers: list[BookedActionServer] = [
            *device_servers(
                setting,
                FeedbackPacing(self.params.feedback_period_s, self.params.feedback_min_interval_s),
                self.cachecam.publish,
            ),
        ]
        trajectories = TrajectoryServer(setting, self.aca.controller_config)
        self.servers.append(trajectories)
        self.trajectory_topic = TrajectoryTopic(trajectories)
        self.controller_state = ControllerStateInterfaces(self, trajectories.active)
        self.ticks.publish_now(self.aca)
        self.create_timer(
            IDLE_JOINTS_PERIOD_S,
            lambda: self.ticks.repeat_joints(not self.runner.busy and self.params.mode == "fast"),
        )
        self.runner.start()
        self.get_logger().info(
            f"ACA simulation up: mode {self.params.mode}, seed {self.params.seed}, "
            f"dt {self.aca.dt * 1000:.3f} ms, {len(self.servers)} action servers"
        )

    def _on_ticks(self, aca: Aca, ticks: list[Tick]) -> None:
        """Physics thread: the ticks go to the tick publisher and the controller's state."""
        self.ticks.on_ticks(aca, ticks)
        self.controller_state.on_ticks(ticks)

    # ------------------------------------------------------------------ the state file
    def _continue_world(self) -> None:
        """At start: the world of the state file when it exists (ValueError naming the file
        when it cannot be used), else write the fresh world there."""
        if self.state_file is None:
            return
        description = load_world(self.state_file)
        if description is None:
            save_world(self.state_file, self.aca.describe())
            self.get_logger().info(f"new world, kept in {self.state_file}")
            return
        try:
            self.aca.restore(description)
        except (KeyError, TypeError, ValueError, StepError) as error:
            raise ValueError(
                f"state file {self.state_file}: cannot restore it ({error})"
            ) from None
        self.get_logger().info(
            f"continuing the world of {self.state_file} at sim t = {self.aca.time_s:.1f} s"
        )

    async def persist(self) -> None:
        """Executor thread: write the world to the state file (if any) as it is now, read on
        the physics thread between steps. Called when a goal ends (before its result goes
        out) and after every service that changes the world. Also sends the tube and
        dispenser records now if they changed since the last ones sent (otherwise a goal's
        last change would wait for the next look, at the next step)."""

        def at_rest(aca: Aca) -> dict[str, Any] | None:
            self.ticks.publish_changes(aca)
            return None if self.state_file is None else aca.describe()

        description = await self._on_physics(at_rest)
        if description is not None:
            save_world(self.state_file, description)

    def _persisting(self, callback: Any) -> Any:
        """A service callback that changes the world, followed by persist() on success."""

        async def changed(request: Any, response: Any) -> Any:
            response = await callback(request, response)
            if response.success:
                await self.persist()
            return response

        return changed

    # ------------------------------------------------------------------ set-up
    def _read_parameters(self) -> SimParams:
        values = {
            name: read_only_parameter(self, name, default, description)
            for name, (default, description) in PARAMETERS.items()
        }
        params = SimParams(**values)
        if params.mode not in MODES:
            raise ValueError(f"parameter mode={params.mode!r}: use one of {', '.join(MODES)}")
        rates = ("real_time_factor", "publish_rate_hz", "state_rate_hz", "state_repeat_s")
        for name in (*rates, "feedback_period_s"):
            if getattr(params, name) <= 0:
                raise ValueError(f"parameter {name}={getattr(params, name)!r} must be > 0")
        for name in ("time_step_s", "feedback_min_interval_s"):
            if getattr(params, name) < 0:
                raise ValueError(f"parameter {name}={getattr(params, name)!r} must be >= 0")
        if params.physics_fidelity:
            hint = "or empty for the model configuration's"
            checked_fidelity(params.physics_fidelity, "parameter physics_fidelity", hint)
        return params

    @staticmethod
    def _model_config(params: SimParams) -> ModelConfig:
        model = load_model_config(params.model_config or None)
        if params.time_step_s:
            physics = dataclasses.replace(model.physics, time_step_s=params.time_step_s)
            model = dataclasses.replace(model, physics=physics)
        if params.physics_fidelity:
            model = with_fidelity(model, params.physics_fidelity)
        return model

    def destroy_node(self) -> None:
        """Stop the physics thread (canceling goals), then destroy the node."""
        self.runner.stop()
        for server in self.servers:
            server.destroy()
        self.aca.close()
        super().destroy_node()

    # ------------------------------------------------------------------ physics thread
    def add_tick_sink(self, sink: TickSink) -> None:
        """Also hand every /clock and /joint_states message to `sink` (batches of (topic, CDR
        bytes, sim time in ns)), on the physics thread: an in-process recorder takes them so,
        with no DDS in between. Call before goals run."""
        self.ticks.add_sink(sink)

    # ------------------------------------------------------------------ services
    async def _on_physics(self, fn: Any) -> Any:
        """Run fn(world) on the physics thread between steps; await its result here."""
        done = Future()
        concurrent = self.runner.call(fn)
        concurrent.add_done_callback(lambda f: self.bridge.resolve(done, f))
        return (await done).result()

    async def _reset(
        self, request: ResetWorld.Request, response: ResetWorld.Response
    ) -> ResetWorld.Response:
        if self.runner.busy:
            response.success, response.message = (
                False,
                "a device action is running; cancel it first",
            )
            return response
        seed = self.aca.world.seed if request.seed < 0 else int(request.seed)

        def reset(aca: Aca) -> None:
            aca.restore(initial_description(aca.config, seed))
            self.ticks.publish_now(aca)

        await self._on_physics(reset)
        response.success, response.message = True, f"world rebuilt with seed {seed}"
        return response

    async def _snapshot(
        self, request: Snapshot.Request, response: Snapshot.Response
    ) -> Snapshot.Response:
        if not request.name:
            response.success, response.message = False, "snapshot name must not be empty"
            return response
        self._snapshots[request.name] = await self._on_physics(lambda aca: aca.describe())
        response.success, response.message = True, f"saved {request.name!r}"
        return response

    async def _restore(
        self, request: Snapshot.Request, response: Snapshot.Response
    ) -> Snapshot.Response:
        description = self._snapshots.get(request.name)
        if description is None:
            known = ", ".join(sorted(self._snapshots)) or "none"
            response.success, response.message = (
                False,
                f"no snapshot {request.name!r} (saved: {known})",
            )
            return response
        if self.runner.busy:
            response.success, response.message = (
                False,
                "a device action is running; cancel it first",
            )
            return response
        await self._on_physics(lambda aca: (aca.restore(description), self.ticks.publish_now(aca)))
        response.success, response.message = True, f"restored {request.name!r}"
        return response

    async def _get_state(
        self, _request: Any, response: GetWorldState.Response
    ) -> GetWorldState.Response:
        hardware = await self._on_physics(lambda aca: aca.hardware_state(with_hash=True))
        return conversions.world_state_response(hardware, response)

    async def _inject_fault(
        self, request: InjectFault.Request, response: InjectFault.Response
    ) -> InjectFault.Response:
        try:
            if request.kind == "scenario":
                if request.value != 0.0:
                    raise StepError(
                        Code.INVALID_GOAL, f"value must be 0 with a scenario, got {request.value}"
                    )
                path = self._scenario_path(request.scenario)
                kinds = await self._on_physics(lambda aca: aca.faults.arm_scenario(path))
                armed = f"scenario {request.scenario}: {', '.join(kinds)}"
            else:
                if request.scenario:
                    raise StepError(
                        Code.INVALID_GOAL,
                        f"scenario={request.scenario[:40]!r} is only for kind 'scenario'",
                    )
                if not math.isfinite(request.value):
                    raise StepError(Code.INVALID_GOAL, f"value {request.value} is not finite")
                await self._on_physics(lambda aca: aca.faults.arm(request.kind, request.value))
                armed = f"fault {request.kind} ({request.value:g})"
        except StepError as error:
            response.success, response.message = False, error.message
            return response
        response.success, response.message = True, f"{armed} armed for the next coring"
        return response

    async def _set_obstacle(
        self, request: SetObstacle.Request, response: SetObstacle.Response
    ) -> SetObstacle.Response:
        size = (request.size.x, request.size.y, request.size.z)
        p, q = request.pose.position, request.pose.orientation

        def change(aca: Aca) -> str:
            if size == (0.0, 0.0, 0.0):
                aca.world.obstacles.remove(request.name)
                return f"removed obstacle {request.name!r}"
            aca.world.obstacles.place(
                checked(request.name, (p.x, p.y, p.z), (q.x, q.y, q.z, q.w), size)
            )
            return f"obstacle {request.name!r} placed"

        try:
            response.message = await self._on_physics(change)
            response.success = True
        except (KeyError, ValueError) as error:
            response.success, response.message = False, str(error.args[0])
        return response

    @staticmethod
    def _scenario_path(name: str) -> Path:
        """A scenario file: a .yaml path, or a name under config/faults/ (without .yaml);
        StepError INVALID_GOAL for anything else."""
        if not name or len(name) > MAX_SCENARIO_CHARS or "\0" in name:
            raise StepError(
                Code.INVALID_GOAL,
                f"scenario must be 1..{MAX_SCENARIO_CHARS} characters (got {len(name)})",
            )
        path = Path(name)
        try:
            if path.suffix == ".yaml" and path.is_file():
                return path
            candidate = share_path("config", "faults", f"{name}.yaml")
            found = candidate.is_file()
        except OSError as error:  # e.g. a path component longer than the file system allows
            raise StepError(Code.INVALID_GOAL, f"scenario {name[:40]!r}...: {error}") from None
        if not found:
            known = ", ".join(sorted(p.stem for p in candidate.parent.glob("*.yaml")))
            raise StepError(Code.INVALID_GOAL, f"no fault scenario {name!r} (known: {known})")
        return candidate


def main(argv: list[str] | None = None) -> int:
    """Run the node until Ctrl-C or shutdown; return the exit code."""
    return run_node(SimNode, "aca_sim sim node", argv)


if __name__ == "__main__":
    sys.exit(main())
