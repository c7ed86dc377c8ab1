"""The teleop page's commands (JSON objects the browser publishes) and how they are checked,
before anything is sent to an action server: a command that does not parse gets a
CommandError naming the bad key and value, and nothing moves.

Commands (every one may carry "id", an integer the events about it echo, and "token", which
the page must present when the server is bound beyond loopback):
- {"op": "jog_joint", "joint": "sha_shoulder", "delta": 0.05}     rad (m for sha_z)
- {"op": "jog_fork", "axis": "x" | "y" | "z" | "yaw", "delta": 0.01}  m in aca_frame, or rad
- {"op": "servo", "joint": "sha_elbow", "speed": 0.5}             a jog through the servo:
  {"op": "servo", "axis": "x", "speed": -1, "frame": "sha_tool"}  speed in [-1, 1] of the
  servo's scale, frame aca_frame (default) or sha_tool; the page sends one every 50 ms
  while a jog button is held (the servo halts 0.1 s after the last)
- {"op": "step", "action": "sweep_bore", "goal": {"sweeps": 5}}    any aca action by name
- {"op": "cancel"}                                                 cancel what the page sent
No ROS here; the goal fields of a step are checked by aca_sim.ros.step_client.build_goal
(an enumerated field takes its number or its name: {"kind": "regolith"}).
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aca_sim.model.names import FORK_LINK, ROOT_FRAME, SHA_JOINTS

FORK_AXES = ("x", "y", "z", "yaw")
MAX_JOG = {"sha_z": 0.05, "sha_shoulder": 0.5, "sha_elbow": 0.5, "x": 0.05, "y": 0.05,
           "z": 0.05, "yaw": 0.5}  # fmt: skip  # m or rad: one jog never jumps further
OPS = ("jog_joint", "jog_fork", "servo", "step", "cancel")
SERVO_FRAMES = (ROOT_FRAME, FORK_LINK)


class CommandError(ValueError):
    """A command the page sent that cannot be run; the message names the key and value."""


@dataclass(frozen=True)
class Command:
    """A checked command: op, its id, and its fields."""

    op: str
    command_id: int = 0
    joint: str = ""  # jog_joint
    axis: str = ""  # jog_fork
    delta: float = 0.0  # jog_joint, jog_fork: m or rad
    speed: float = 0.0  # servo: [-1, 1]
    frame: str = ROOT_FRAME  # servo (a twist's frame)
    action: str = ""  # step
    goal: Mapping[str, Any] = field(default_factory=dict)  # step


def parse_command(data: Any, token: str = "") -> Command:
    """A checked command from the decoded JSON; CommandError names what is wrong. When token
    is set, the command must carry the same token."""
    if not isinstance(data, Mapping):
        raise CommandError(f"a command is a JSON object, not {type(data).__name__}")
    if token and not hmac.compare_digest(str(data.get("token", "")), token):
        raise CommandError("token: missing or wrong (the server is bound beyond loopback)")
    command_id = data.get("id", 0)
    if isinstance(command_id, bool) or not isinstance(command_id, int):
        raise CommandError(f"id={command_id!r}: must be an integer")
    op = data.get("op")
    if op not in OPS:
        raise CommandError(f"op={op!r}: use one of {', '.join(OPS)}")
    if op == "jog_joint":
        joint = data.get("joint")
        if joint not in SHA_JOINTS:
            raise CommandError(f"joint={joint!r}: use one of {', '.join(SHA_JOINTS)}")
        return Command(op, command_id, joint=joint, delta=_delta(data, joint))
    if op == "jog_fork":
        axis = data.get("axis")
        if axis not in FORK_AXES:
            raise CommandError(f"axis={axis!r}: use one of {', '.join(FORK_AXES)}")
        return Command(op, command_id, axis=axis, delta=_delta(data, axis))
    if op == "servo":
        return _servo(data, command_id)
    if op == "step":
        action, goal = data.get("action"), data.get("goal", {})
        if not isinstance(action, str) or not action:
            raise CommandError(f"action={action!r}: must name an action, e.g. 'sweep_bore'")
        if not isinstance(goal, Mapping):
            raise CommandError(f"goal={goal!r}: must be an object of goal fields")
        return Command(op, command_id, action=action, goal=dict(goal))
    return Command(op, command_id)


def _servo(data: Mapping[str, Any], command_id: int) -> Command:
    joint, axis = data.get("joint"), data.get("axis")
    if (joint is None) == (axis is None):
        raise CommandError("a servo command names a joint or an axis (exactly one)")
    if joint is not None and joint not in SHA_JOINTS:
        raise CommandError(f"joint={joint!r}: use one of {', '.join(SHA_JOINTS)}")
    if axis is not None and axis not in FORK_AXES:
        raise CommandError(f"axis={axis!r}: use one of {', '.join(FORK_AXES)}")
    speed = data.get("speed")
    if isinstance(speed, bool) or not isinstance(speed, int | float) or not -1 <= speed <= 1:
        raise CommandError(f"speed={speed!r}: a number in [-1, 1]")
    frame = data.get("frame", ROOT_FRAME)
    if frame not in SERVO_FRAMES:
        raise CommandError(f"frame={frame!r}: use one of {', '.join(SERVO_FRAMES)}")
    return Command(
        "servo", command_id, joint=joint or "", axis=axis or "", speed=float(speed), frame=frame
    )


def _delta(data: Mapping[str, Any], key: str) -> float:
    delta = data.get("delta")
    if isinstance(delta, bool) or not isinstance(delta, int | float) or not math.isfinite(delta):
        raise CommandError(f"delta={delta!r}: must be a finite number")
    if not 0 < abs(delta) <= MAX_JOG[key]:
        raise CommandError(f"delta={delta!r}: a {key} jog is 0 < |delta| <= {MAX_JOG[key]}")
    return float(delta)


# How the page says an error code in words (a code not listed is shown by its name).
CODE_WORDS = {
    "NONE": "done",
    "BUSY": "a device it needs is busy with another goal",
    "CANCELED": "canceled; the hardware was left safe",
    "PREEMPTED": "replaced by a newer goal",
    "INVALID_GOAL": "the goal is malformed; nothing moved",
    "TIMEOUT": "the step ran out of time",
    "NO_TUBE_HELD": "the arm holds no tube",
    "WRONG_TUBE": "the arm holds another tube",
    "MOTION_FAILED": "the arm could not complete the move",
    "INTERNAL_ERROR": "simulator failure",
    "SEAL_NOT_RELEASED": "the seal did not leave its dispenser",
    "EMPTY_TUBE": "the tube is empty",
    "EARLY_DRAG": "debris at the bit drop-off: caching halted",
    "STEP_FAILED": "a device step failed",
    "INVENTORY_MISMATCH": "the inventory contradicts the hardware",
    "NO_TUBE_AVAILABLE": "no suitable tube is left",
    "TUBE_SEALED": "the tube is already sealed",
    "OUT_OF_LIMITS": "a joint goal is beyond its limits",
    "UNREACHABLE": "the arm cannot reach that pose",
    "START_IN_COLLISION": "the arm touches something where it starts",
    "GOAL_IN_COLLISION": "the target would touch something",
    "NO_PATH": "no collision-free path was found",
    "SLOT_EMPTY": "that storage slot is empty",
}


def code_words(name: str) -> str:
    """An error code's name in words."""
    return CODE_WORDS.get(name, name.lower().replace("_", " "))
