"""Planning and execution outcomes, with the values of moveit_msgs/MoveItErrorCodes so a
MoveIt user reads them as they know them."""

from __future__ import annotations

from enum import IntEnum


class MoveItErrorCode(IntEnum):
    """moveit_msgs/msg/MoveItErrorCodes values (Jazzy)."""

    SUCCESS = 1
    UNDEFINED = 0
    FAILURE = 99999
    PLANNING_FAILED = -1
    INVALID_MOTION_PLAN = -2
    MOTION_PLAN_INVALIDATED_BY_ENVIRONMENT_CHANGE = -3
    CONTROL_FAILED = -4
    UNABLE_TO_AQUIRE_SENSOR_DATA = -5
    TIMED_OUT = -6
    PREEMPTED = -7
    START_STATE_IN_COLLISION = -10
    START_STATE_VIOLATES_PATH_CONSTRAINTS = -11
    GOAL_IN_COLLISION = -12
    GOAL_VIOLATES_PATH_CONSTRAINTS = -13
    GOAL_CONSTRAINTS_VIOLATED = -14
    INVALID_GROUP_NAME = -15
    INVALID_GOAL_CONSTRAINTS = -16
    INVALID_ROBOT_STATE = -17
    INVALID_LINK_NAME = -18
    INVALID_OBJECT_NAME = -19
    FRAME_TRANSFORM_FAILURE = -21
    COLLISION_CHECKING_UNAVAILABLE = -22
    ROBOT_STATE_STALE = -23
    SENSOR_INFO_STALE = -24
    COMMUNICATION_FAILURE = -25
    START_STATE_INVALID = -26
    GOAL_STATE_INVALID = -27
    UNRECOGNIZED_GOAL_TYPE = -28
    CRASH = -29
    ABORT = -30
    NO_IK_SOLUTION = -31

    @property
    def val(self) -> int:
        """The number, as moveit_py's MoveItErrorCode.val."""
        return int(self)


class PlanningError(Exception):
    """A request the planner refuses or cannot solve: a MoveItErrorCode and a message that
    names the value at fault."""

    def __init__(self, code: MoveItErrorCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
