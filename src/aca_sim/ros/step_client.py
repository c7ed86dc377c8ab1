"""Send a device-step or sequence goal by action name and goal fields, without blocking:
what the teleop tools (interactive markers, the browser page) use to run the caching steps.

Goals are built field by field from the action's goal type, so a bad field name or value is
refused here with a message naming it (GoalError), before anything is sent. Results come back
as StepOutcome (code, message, sim-time duration, the result's plain fields); feedback as the
feedback message's plain fields.

Thread rule: every method and callback runs on the node's executor thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from rclpy.action import ActionClient
from rclpy.node import Node
from rclpy.task import Future

from aca_sim.model.codes import Code
from aca_sim.model.steps import StepOutcome
from aca_sim.ros.conversions import code_of, pose_target_of
from aca_sim.ros.interfaces import ALL_ACTIONS, goal_number

OnDone = Callable[[StepOutcome], None]
OnFeedback = Callable[[dict[str, Any]], None]
_RESULT_META = {"error_code", "error_msg", "duration_s"}


class GoalError(ValueError):
    """A goal that cannot be sent: unknown action, field or value (the message names it)."""


def plain_fields(message: Any) -> dict[str, Any]:
    """A message's fields as JSON-able values (nested messages other than a PoseStamped are
    left out: an image is published on its own topic)."""
    values: dict[str, Any] = {}
    for name, kind in message.get_fields_and_field_types().items():
        value = getattr(message, name)
        if kind == "geometry_msgs/PoseStamped":
            values[name] = pose_target_of(value)
        elif "/" in kind:
            continue
        elif hasattr(value, "tolist"):
            values[name] = value.tolist()
        elif isinstance(value, list | tuple):
            values[name] = list(value)
        else:
            values[name] = value
    return values


def build_goal(action: str, fields: Mapping[str, Any]) -> Any:
    """The goal message of an action from its goal field names; GoalError names what is bad.
    An enumerated field takes its number or its domain name (CacheSample kind "rock_core",
    empty_tube_policy "abort"; CoreSample kind "regolith"). A `pose_target` is given as
    {"frame_id", "position": [x, y, z], "orientation": [x, y, z, w]}."""
    if action not in ALL_ACTIONS:
        raise GoalError(f"no action {action!r} (known: {', '.join(sorted(ALL_ACTIONS))})")
    goal = ALL_ACTIONS[action].Goal()
    known = goal.get_fields_and_field_types()
    for name, value in fields.items():
        if name not in known:
            raise GoalError(f"{action} has no goal field {name!r} (fields: {', '.join(known)})")
        try:
            if name == "pose_target":
                _fill_pose(goal.pose_target, value)
            else:
                setattr(goal, name, checked_value(known[name], goal_number(action, name, value)))
        except (TypeError, ValueError, KeyError) as error:
            reason = str(error) or "wrong type or out of range"
            raise GoalError(f"{action}.{name} = {value!r}: {reason}") from None
    return goal


_INT_BITS = {"uint8": 8, "uint16": 16, "uint32": 32, "int32": 32}


def checked_value(kind: str, value: Any) -> Any:
    """A goal field's value, checked against its ROS type (rclpy checks field types only when
    ROS_PYTHON_CHECK_FIELDS is set, so a wrong type would otherwise fail while sending)."""
    if kind in _INT_BITS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"must be an integer ({kind})")
        bits = _INT_BITS[kind]
        low, high = (
            (0, 2**bits - 1) if kind.startswith("u") else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        )
        if not low <= value <= high:
            raise ValueError(f"must be in {low}..{high} ({kind})")
        return value
    if kind in ("float", "double"):
        return _finite(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise TypeError("must be true or false")
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise TypeError("must be a string")
        return value
    if kind == "sequence<double>":
        if not isinstance(value, list | tuple):
            raise TypeError("must be a list of numbers")
        return [_finite(v) for v in value]
    raise TypeError(f"fields of type {kind} cannot be set here")


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("must be a finite number")
    return float(value)


def _fill_pose(pose: Any, value: Mapping[str, Any]) -> None:
    if not isinstance(value, Mapping):
        raise TypeError("must be {frame_id, position, orientation}")
    pose.header.frame_id = checked_value("string", value["frame_id"])
    x, y, z = checked_value("sequence<double>", value["position"])
    orientation = value.get("orientation", (0.0, 0.0, 0.0, 1.0))
    qx, qy, qz, qw = checked_value("sequence<double>", orientation)
    p, q = pose.pose.position, pose.pose.orientation
    p.x, p.y, p.z, q.x, q.y, q.z, q.w = x, y, z, qx, qy, qz, qw


class StepClient:
    """Action clients for every aca action, sending goals by name."""

    def __init__(self, node: Node, namespace: str = "/aca") -> None:
        self.node = node
        self.clients = {
            name: ActionClient(node, kind, f"{namespace}/{name}")
            for name, kind in ALL_ACTIONS.items()
        }
        self._running: dict[bytes, Any] = {}  # goal id -> handle, sent here, not yet ended

    def cancel_all(self) -> int:
        """Ask the servers to cancel every goal sent here that has not ended; how many."""
        for handle in self._running.values():
            handle.cancel_goal_async()
        return len(self._running)

    def send(
        self,
        action: str,
        fields: Mapping[str, Any],
        on_done: OnDone,
        on_feedback: OnFeedback | None = None,
    ) -> None:
        """Send a goal (GoalError at once when it cannot be built); on_done gets the outcome:
        the server's result, BUSY when the goal was rejected, INTERNAL_ERROR when no server
        answers."""
        goal = build_goal(action, fields)
        client = self.clients[action]
        if not client.server_is_ready():
            on_done(StepOutcome(action, Code.INTERNAL_ERROR, f"/aca/{action} is not available"))
            return
        feedback = None
        if on_feedback is not None:
            feedback = lambda message: on_feedback(plain_fields(message.feedback))  # noqa: E731
        sent = client.send_goal_async(goal, feedback_callback=feedback)
        sent.add_done_callback(lambda future: self._accepted(action, future, on_done))

    def _accepted(self, action: str, future: Future, on_done: OnDone) -> None:
        handle = future.result()
        if handle is None or not handle.accepted:
            on_done(StepOutcome(action, Code.BUSY, "goal rejected: a device it needs is busy"))
            return
        key = bytes(handle.goal_id.uuid)
        self._running[key] = handle

        def ended(result: Future) -> None:
            self._running.pop(key, None)
            on_done(outcome_from(action, result.result().result))

        handle.get_result_async().add_done_callback(ended)


def outcome_from(action: str, result: Any) -> StepOutcome:
    """The outcome an action result message says (any aca action)."""
    values = {k: v for k, v in plain_fields(result).items() if k not in _RESULT_META}
    return StepOutcome(
        action, code_of(result.error_code), result.error_msg, result.duration_s, values
    )
