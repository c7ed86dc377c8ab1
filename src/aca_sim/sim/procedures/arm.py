"""Caching steps of the arm alone: move, take a tube out of storage, put it back, drop it at
the depot port."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from aca_sim.model.codes import Code
from aca_sim.model.kinds import SealState
from aca_sim.model.layout import storage_slot_name
from aca_sim.model.locations import Location
from aca_sim.model.names import ROOT_FRAME
from aca_sim.motion.arm_planner import Goal, JointGoal, NamedGoal, PlanParameters, PoseGoal
from aca_sim.motion.errors import MoveItErrorCode, PlanningError
from aca_sim.motion.joint_trajectory import command_from
from aca_sim.motion.kinematics import JointPositions
from aca_sim.motion.semantic import station_state_name
from aca_sim.motion.trajectory_goal import FollowGoal
from aca_sim.sim.aca import Aca
from aca_sim.sim.errors import StepError
from aca_sim.sim.operation import Feedback, Operation, with_progress
from aca_sim.sim.procedures.common import TubeResult, check_slot, held_tube, safely, visit
from aca_sim.sim.stations import DropResult
from aca_sim.sim.trajectory_controller import follow


@dataclass(frozen=True)
class ArmMove:
    """Where a move_arm step left the arm (z m, shoulder rad, elbow rad) and the wall time its
    planning took, s."""

    joint_positions: JointPositions
    planning_time_s: float


PLANNING_CODES = {
    MoveItErrorCode.NO_IK_SOLUTION: Code.UNREACHABLE,
    MoveItErrorCode.GOAL_STATE_INVALID: Code.OUT_OF_LIMITS,
    MoveItErrorCode.START_STATE_INVALID: Code.OUT_OF_LIMITS,
    MoveItErrorCode.INVALID_GOAL_CONSTRAINTS: Code.UNKNOWN_NAMED_STATE,
    MoveItErrorCode.START_STATE_IN_COLLISION: Code.START_IN_COLLISION,
    MoveItErrorCode.GOAL_IN_COLLISION: Code.GOAL_IN_COLLISION,
    MoveItErrorCode.PLANNING_FAILED: Code.NO_PATH,
    MoveItErrorCode.TIMED_OUT: Code.NO_PATH,
    MoveItErrorCode.INVALID_ROBOT_STATE: Code.INVALID_GOAL,
    MoveItErrorCode.INVALID_LINK_NAME: Code.INVALID_GOAL,
}


def arm_goal(
    aca: Aca,
    station: str = "",
    engage: bool = False,
    named_target: str = "",
    joint_positions: tuple[float, ...] = (),
    pose_target: tuple[str, tuple[float, ...], tuple[float, ...]] | None = None,
) -> Goal:
    """The planner goal of a move_arm request: exactly one of station, named_target,
    joint_positions, pose_target (frame, xyz m, quaternion x y z w); StepError naming what
    is wrong, before anything moves."""
    given = [
        name
        for name, value in (
            ("station", station),
            ("named_target", named_target),
            ("joint_positions", joint_positions),
            ("pose_target", pose_target),
        )
        if value
    ]
    if len(given) != 1:
        raise StepError(
            Code.INVALID_GOAL,
            f"give exactly one of station, named_target, joint_positions, pose_target "
            f"(got {given or 'none'})",
        )
    if engage and not station:
        raise StepError(Code.INVALID_GOAL, "engage needs a station")
    if station:
        if station not in aca.stations:
            raise StepError(Code.UNKNOWN_STATION, f"no station named {station!r}")
        aca.devices.sha.station_joints(aca.stations[station])  # UNREACHABLE before moving
        goal: Goal = NamedGoal(station_state_name(station))
    elif named_target:
        goal = NamedGoal(named_target)
    elif joint_positions:
        if len(joint_positions) != 3:
            raise StepError(
                Code.INVALID_GOAL,
                f"a joint goal needs 3 values (z, shoulder, elbow), got {len(joint_positions)}",
            )
        goal = JointGoal(tuple(float(v) for v in joint_positions))
    else:
        frame, position, orientation = pose_target
        if frame != ROOT_FRAME:
            raise StepError(
                Code.INVALID_GOAL, f"pose_target frame {frame!r}: poses are in {ROOT_FRAME!r}"
            )
        goal = PoseGoal(tuple(position), tuple(orientation))
    try:
        aca.planner.goal_state(goal)
    except PlanningError as error:
        raise StepError(PLANNING_CODES.get(error.code, Code.INVALID_GOAL), error.message) from None
    return goal


def move_arm(
    aca: Aca,
    station: str = "",
    engage: bool = False,
    named_target: str = "",
    joint_positions: tuple[float, ...] = (),
    pose_target: tuple[str, tuple[float, ...], tuple[float, ...]] | None = None,
) -> Operation[ArmMove]:
    """Move the SHA to a station (by its named state at the transit height, then, with
    engage, the guarded Z approach), a named state, joint positions or a fork pose: planned
    collision-free in the planning scene of what the hardware shows, followed by the
    trajectory controller with the contact guard. A start that touches something (the arm
    engaged in a station) first retracts straight to the transit height."""
    goal = arm_goal(aca, station, engage, named_target, joint_positions, pose_target)
    sha, planner = aca.devices.sha, aca.planner

    def steps() -> Generator[Any, Any, ArmMove]:
        planner.scene.update(aca.hardware_state())
        if not planner.scene.is_free(sha.joint_positions()):
            yield from with_progress(sha.retract(), 0.0, 0.1)
            planner.scene.update(aca.hardware_state())
        plan = planner.plan(sha.joint_positions(), goal, PlanParameters())
        if not plan:
            raise StepError(PLANNING_CODES.get(plan.error_code, Code.NO_PATH), plan.message)
        yield Feedback("plan", 0.1)
        followed = yield from with_progress(
            follow(
                sha,
                FollowGoal(command_from(plan.trajectory)),
                aca.controller_config,
                guard_force_n=sha.cfg.guard_force_n,
                phase="transit",
            ),
            0.1,
            0.9 if engage else 1.0,
        )
        if not followed.succeeded:
            raise StepError(Code.MOTION_FAILED, followed.message)
        if engage:
            yield from with_progress(sha.approach(aca.stations[station]), 0.9, 1.0)
        return ArmMove(sha.joint_positions(), plan.planning_time)

    return (yield from safely(aca, steps()))


def retrieve_tube(aca: Aca, slot: int) -> Operation[TubeResult]:
    """Take the tube out of a storage slot: transit, guarded Z into the slot, grip, retract."""
    check_slot(aca, slot)
    world = aca.world
    tube_id = world.tube_at(Location.storage(slot))
    if not tube_id:
        raise StepError(Code.SLOT_EMPTY, f"storage slot {slot} holds no tube")
    if world.held_tube:
        raise StepError(Code.GRIPPER_OCCUPIED, f"the arm already holds tube {world.held_tube}")
    sha = aca.devices.sha
    station = aca.stations[storage_slot_name(slot)]

    def steps() -> Generator[Any, Any, TubeResult]:
        yield from with_progress(sha.go_to_station(station, engage=True), 0.0, 0.8)
        world.unlatch_from_slot(tube_id)
        sha.grip(tube_id)
        yield Feedback("grip", 0.8)
        yield from with_progress(sha.retract(), 0.8, 1.0)
        return TubeResult(tube_id, world.tubes[tube_id].location)

    return (yield from safely(aca, steps()))


def store_tube(aca: Aca, slot: int = 0) -> Operation[TubeResult]:
    """Put the held tube into a storage slot (0 = its home slot): guarded Z up against the
    sheath stop, release (the ball locks latch it), retract."""
    tube = held_tube(aca)
    slot = slot or tube.home_slot
    check_slot(aca, slot)
    world = aca.world
    occupant = world.tube_at(Location.storage(slot))
    if occupant:
        raise StepError(Code.SLOT_OCCUPIED, f"storage slot {slot} already holds tube {occupant}")
    sha = aca.devices.sha
    station = aca.stations[storage_slot_name(slot)]

    def steps() -> Generator[Any, Any, TubeResult]:
        yield from with_progress(
            sha.go_to_station(station, engage=True, force_limit_n=sha.cfg.guard_force_n), 0.0, 0.8
        )
        tube_id = sha.release()
        world.latch_in_slot(tube_id, slot)
        yield Feedback("release", 0.8)
        yield from with_progress(sha.retract(), 0.8, 1.0)
        return TubeResult(tube_id, world.tubes[tube_id].location)

    return (yield from safely(aca, steps()))


def drop_tube(aca: Aca, tube_id: int = 0, allow_unsealed: bool = False) -> Operation[DropResult]:
    """Release the held tube over the depot drop port; it falls to the ground."""
    tube = held_tube(aca, tube_id)
    if tube.seal_state != SealState.ACTIVATED and not allow_unsealed:
        raise StepError(Code.TUBE_NOT_SEALED, f"tube {tube.tube_id} is not hermetically sealed")
    sha, port = aca.devices.sha, aca.devices.drop_port

    def release_and_fall() -> Generator[Any, Any, DropResult]:
        return (yield from port.fall(sha.release()))

    def steps() -> Generator[Any, Any, DropResult]:
        return (yield from visit(aca, "station_drop", release_and_fall(), (0.6, 0.95)))

    return (yield from safely(aca, steps()))
