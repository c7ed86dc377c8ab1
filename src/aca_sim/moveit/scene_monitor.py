"""PlanningSceneMonitor, shaped like moveit_py's: a lock around the planning scene, with
read_only() and read_write() contexts. Differences from moveit_py: the scene is brought up
to date from the simulator's get_state service when a context opens and before each plan
(the simulator publishes /joint_states only while it steps, in its "fast" mode), not from a
stream; collision objects stay in this process (they are not published to other nodes).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from aca_sim.model.records import HardwareState
from aca_sim.motion.arm_planner import ArmPlanner
from aca_sim.motion.errors import MoveItErrorCode, PlanningError
from aca_sim.moveit.collision_object import CollisionObject, scene_object
from aca_sim.moveit.robot_state import RobotModel, RobotState


class PlanningScene:
    """The view of the planning scene inside a monitor's context (moveit_py's PlanningScene
    methods this arm needs)."""

    def __init__(self, planner: ArmPlanner, writable: bool) -> None:
        self._planner, self._writable = planner, writable

    @property
    def current_state(self) -> RobotState:
        """The joint positions the scene mirrors."""
        return RobotState(RobotModel(self._planner), self._planner.scene.joint_values)

    @property
    def world_object_names(self) -> list[str]:
        """The collision objects a user added."""
        return sorted(self._planner.scene.objects)

    def apply_collision_object(self, collision_object: Any, color_msg: Any = None) -> None:
        """Add (or replace), move or remove a collision object (see collision_object.py).
        color_msg is accepted for moveit_py's signature and not used (no display here)."""
        if not self._writable:
            raise PermissionError("apply_collision_object needs read_write()")
        scene = self._planner.scene
        operation = int(collision_object.operation)
        name = str(collision_object.id)
        if operation == CollisionObject.REMOVE:
            try:
                scene.remove_object(name)
            except KeyError as error:
                raise PlanningError(MoveItErrorCode.INVALID_OBJECT_NAME, error.args[0]) from None
            return
        if operation == CollisionObject.MOVE:
            if name not in scene.objects:
                raise PlanningError(
                    MoveItErrorCode.INVALID_OBJECT_NAME, f"MOVE of unknown object {name!r}"
                )
            moved = scene_object(collision_object)
            scene.apply_object(type(moved)(name, scene.objects[name].shapes, moved.pose))
            return
        if operation not in (CollisionObject.ADD, CollisionObject.APPEND):
            raise PlanningError(
                MoveItErrorCode.INVALID_OBJECT_NAME, f"unknown operation {operation} for {name!r}"
            )
        added = scene_object(collision_object)
        if operation == CollisionObject.APPEND and name in scene.objects:
            added = type(added)(name, scene.objects[name].shapes + added.shapes, added.pose)
        scene.apply_object(added)

    def remove_all_collision_objects(self) -> None:
        """Remove every collision object a user added (the hardware's tubes stay)."""
        if not self._writable:
            raise PermissionError("remove_all_collision_objects needs read_write()")
        for name in list(self._planner.scene.objects):
            self._planner.scene.remove_object(name)

    def is_state_colliding(
        self, robot_state: RobotState, joint_model_group_name: str = "sha", verbose: bool = False
    ) -> bool:
        """True when the group's joints at robot_state touch something (verbose: print what)."""
        self._planner.check_group(joint_model_group_name)
        contacts = self._planner.scene.contacts(robot_state.get_joint_group_positions("sha"))
        if verbose and contacts:
            print(f"{contacts[0].arm} touches {contacts[0].other}")
        return bool(contacts)


class PlanningSceneMonitor:
    """Owns the planning scene; `refresh` brings it up to date with the hardware."""

    def __init__(self, planner: ArmPlanner, hardware: Callable[[], HardwareState]) -> None:
        self._planner, self._hardware = planner, hardware
        self._lock = threading.RLock()

    def update(self) -> HardwareState:
        """Read the hardware state and mirror it (joints, tubes, held tube)."""
        state = self._hardware()
        with self._lock:
            self._planner.scene.update(state)
        return state

    @contextlib.contextmanager
    def read_only(self) -> Iterator[PlanningScene]:
        """The scene, up to date, for reading."""
        self.update()
        with self._lock:
            yield PlanningScene(self._planner, writable=False)

    @contextlib.contextmanager
    def read_write(self) -> Iterator[PlanningScene]:
        """The scene, up to date, for changing (collision objects)."""
        self.update()
        with self._lock:
            yield PlanningScene(self._planner, writable=True)

    @contextlib.contextmanager
    def locked(self) -> Iterator[ArmPlanner]:
        """The planner with the scene locked (for planning)."""
        with self._lock:
            yield self._planner
