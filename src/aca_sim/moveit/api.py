"""AcaMoveIt: plan and execute SHA motions from Python with moveit_py's shape, against a
running aca_sim simulator (for scripts, notebooks and tests).

    from aca_sim.moveit import AcaMoveIt
    with AcaMoveIt() as aca:
        sha = aca.get_planning_component("sha")
        sha.set_start_state_to_current_state()
        sha.set_goal_state(configuration_name="stow")
        plan = sha.plan()
        if plan:
            aca.execute(plan.trajectory, controllers=[])

Differences from moveit_py's MoveItPy, where they matter:
- AcaMoveIt(node=None, ...) takes an rclpy node instead of launch parameters: with no node
  it makes and spins its own (and initialises rclpy if needed); a node you pass is never
  spun here (you spin it, in another thread than the one calling plan/execute);
- the robot model comes from the model configuration (config/aca_model.yaml by default),
  which must be the running simulator's; the state comes from /aca/sim/get_state;
- its parameters (what PlanRequestParameters(robot, ns) reads) come from config_dict, or
  launch_params_filepaths, or the package's config/moveit_cpp.yaml, as MoveItPy's do;
  `seed` seeds the model's random states;
- execute() returns an ExecutionResult (blocking=False: a future of it, as execute_async);
  stop_execution() cancels; there is no trajectory execution manager or controller
  switching.
moveit_py's module layout is mirrored (aca_sim.moveit.planning, aca_sim.moveit.core.*), so a
moveit_py script runs with `moveit.` replaced by `aca_sim.moveit.` in its imports.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import rclpy
from aca_interfaces.srv import GetWorldState
from rclpy.node import Node

from aca_sim.model.config import load_model_config
from aca_sim.model.names import SHA_JOINTS
from aca_sim.model.records import HardwareState
from aca_sim.motion.arm_planner import ArmPlanner
from aca_sim.moveit.component import PlanningComponent, RobotTrajectory
from aca_sim.moveit.execution import ExecutionResult, TrajectoryExecutor
from aca_sim.moveit.plan_parameters import load_parameters
from aca_sim.moveit.robot_state import RobotModel
from aca_sim.moveit.scene_monitor import PlanningSceneMonitor
from aca_sim.ros import blocking
from aca_sim.ros.conversions import hardware_of
from aca_sim.ros.spinning import BackgroundSpinner
from aca_sim.ros_env import ensure_local_discovery


class AcaMoveIt:
    """The entry point (moveit_py's MoveItPy): planning components, the scene monitor,
    execution. Thread rule: call it from one thread, not the one spinning its node."""

    def __init__(
        self,
        node: Node | None = None,
        node_name: str = "aca_moveit",
        namespace: str = "/aca",
        model_config: str | Path | None = None,
        wait_s: float = 10.0,
        config_dict: Mapping[str, Any] | None = None,
        launch_params_filepaths: Sequence[str | Path] | None = None,
        seed: int = 0,
    ) -> None:
        self._owns_rclpy = self._spinner = None
        self.parameters = load_parameters(config_dict, launch_params_filepaths)
        if node is None:
            ensure_local_discovery()
            if not rclpy.ok():
                rclpy.init()
                self._owns_rclpy = True
            node = rclpy.create_node(node_name)
            self._spinner = BackgroundSpinner([node]).start()
        self.node = node
        self.namespace, self.wait_s = namespace.rstrip("/"), wait_s
        self._planner = ArmPlanner.for_config(load_model_config(model_config))
        self._model = RobotModel(self._planner, seed)
        self._state_client = node.create_client(GetWorldState, f"{self.namespace}/sim/get_state")
        if not self._state_client.wait_for_service(timeout_sec=wait_s):
            self.shutdown()
            raise RuntimeError(
                f"no simulator: {self.namespace}/sim/get_state did not answer in {wait_s:g} s "
                "(start one with `aca-sim launch sim.launch.xml`)"
            )
        self._monitor = PlanningSceneMonitor(self._planner, self.hardware_state)
        self._executor = TrajectoryExecutor(node, self.current_positions, wait_s)
        self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="aca-execute")
        self.last_plan_time_s = 0.0

    # ------------------------------------------------------------------ state
    def hardware_state(self) -> HardwareState:
        """What the simulator shows now (one get_state call)."""
        future = self._state_client.call_async(GetWorldState.Request())
        return hardware_of(blocking.wait_future(future, self.wait_s, "get_state"))

    def current_positions(self) -> list[float]:
        """The sha joints now: sha_z m, sha_shoulder rad, sha_elbow rad."""
        joints = self.hardware_state().joint_positions
        return [joints[name] for name in SHA_JOINTS]

    # ------------------------------------------------------------------ moveit_py's API
    def get_planning_component(self, planning_component_name: str) -> PlanningComponent:
        """A planning component for a group of the SRDF (PlanningError INVALID_GROUP_NAME
        naming an unknown one)."""
        self._planner.check_group(planning_component_name)
        return PlanningComponent(planning_component_name, self._monitor, self._model)

    def get_planning_scene_monitor(self) -> PlanningSceneMonitor:
        return self._monitor

    def get_robot_model(self) -> RobotModel:
        """The robot model (groups, named states, the fork's kinematics); moveit_py's has
        far more."""
        return self._model

    def execute(
        self,
        robot_trajectory: RobotTrajectory,
        controllers: Sequence[str] = (),
        timeout_s: float | None = None,
        blocking: bool = True,
    ) -> ExecutionResult | concurrent.futures.Future:
        """Execute a planned trajectory and wait for the end (controllers: [] or the
        simulator's "sha_controller"; ValueError naming another); blocking=False returns
        at once with a future of the result."""
        if not blocking:
            return self.execute_async(robot_trajectory, controllers)
        self._executor.check_controllers(controllers)
        return self._executor.execute(robot_trajectory, timeout_s)

    def execute_async(
        self, robot_trajectory: RobotTrajectory, controllers: Sequence[str] = ()
    ) -> concurrent.futures.Future:
        """execute() in a worker thread: a future of its ExecutionResult."""
        self._executor.check_controllers(controllers)
        return self._worker.submit(self._executor.execute, robot_trajectory, None)

    def stop_execution(self) -> bool:
        """Cancel the running execution; the arm holds where it is. False when none runs."""
        return self._executor.stop()

    # ------------------------------------------------------------------ life
    def shutdown(self) -> None:
        """Stop what this object started: its worker, its spinner, its node, rclpy if it
        initialised it. A node you passed in stays yours."""
        worker = getattr(self, "_worker", None)
        if worker is not None:
            worker.shutdown(wait=True)
        if getattr(self, "_executor", None) is not None:
            self._executor.destroy()
        if self._spinner is not None:
            self._spinner.stop()
            self.node.destroy_node()
            self._spinner = None
        if self._owns_rclpy:
            rclpy.try_shutdown()
            self._owns_rclpy = None

    def __enter__(self) -> AcaMoveIt:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
