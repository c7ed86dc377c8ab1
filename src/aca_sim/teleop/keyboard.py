"""Keys to servo commands for `aca-sim teleop keyboard` (no ROS, no terminal here): the keys
of MoveIt Servo's keyboard demo where they fit this arm, and a hold rule that makes a held
key one smooth jog.

    arrows      fork x (up/down) and y (left/right)        t  twist mode (the default)
    . ;         fork z down / up                           j  joint mode
    1 2 3       jog sha_z, sha_shoulder, sha_elbow         r  reverse the joint direction
    w e         twist in aca_frame / in the fork's frame   p  pause / resume the servo
    space       stop now                                   q  quit

A terminal repeats a held key only after a delay (about 0.5 s), then every 30-50 ms; so a
first press jogs for FIRST_HOLD_S, and once the key repeats, the jog ends REPEAT_HOLD_S after
its last repeat (then the servo's timeout halts the arm).
"""

from __future__ import annotations

from dataclasses import dataclass

from aca_sim.model.names import FORK_LINK, ROOT_FRAME, SHA_JOINTS

FIRST_HOLD_S = 0.6  # a single press: longer than a terminal's repeat delay
REPEAT_HOLD_S = 0.15  # a held key: a few repeat intervals
ARROWS = {b"\x1b[A": "up", b"\x1b[B": "down", b"\x1b[C": "right", b"\x1b[D": "left"}
TWIST_KEYS = {  # key -> (linear x, y, z), unitless
    "up": (1.0, 0.0, 0.0),
    "down": (-1.0, 0.0, 0.0),
    "left": (0.0, 1.0, 0.0),
    "right": (0.0, -1.0, 0.0),
    ";": (0.0, 0.0, 1.0),
    ".": (0.0, 0.0, -1.0),
}
JOINT_KEYS = {"1": SHA_JOINTS[0], "2": SHA_JOINTS[1], "3": SHA_JOINTS[2]}
HELP = __doc__.split("\n\n")[1]


def keys_of(data: bytes) -> list[str]:
    """The keys in a chunk read from a terminal (arrows as "up", "down", "left", "right";
    others as their character, lower case); unknown escape sequences are skipped."""
    keys, i = [], 0
    while i < len(data):
        if data[i : i + 1] == b"\x1b":
            sequence = data[i : i + 3]
            if sequence in ARROWS:
                keys.append(ARROWS[sequence])
            i += 3
            continue
        keys.append(chr(data[i]).lower())
        i += 1
    return keys


@dataclass(frozen=True)
class Jog:
    """A command to stream: a twist (frame, linear x, y, z unitless) or a joint jog (joint,
    velocity unitless)."""

    twist: bool
    frame: str = ROOT_FRAME
    linear: tuple[float, float, float] = (0.0, 0.0, 0.0)
    joint: str = ""
    velocity: float = 0.0


class Keyboard:
    """What the keys mean, and the jog a held key makes. Times are the caller's clock, s."""

    def __init__(self) -> None:
        self.twist_mode = True
        self.frame = ROOT_FRAME
        self.sign = 1.0
        self.jog: Jog | None = None
        self._key = ""
        self._until_s = 0.0
        self.quit = False
        self.toggle_pause = False  # set by "p": the caller flips the servo's pause

    def press(self, key: str, now_s: float) -> str:
        """Take one key; return a line saying what changed ("" for a jog key)."""
        if key == "q":
            self.quit, self.jog = True, None
            return "quit"
        if key == " ":
            self.jog, self._key = None, ""
            return "stop"
        if key in ("t", "j"):
            self.twist_mode, self.jog = key == "t", None
            return "twist mode" if self.twist_mode else "joint mode"
        if key in ("w", "e"):
            self.frame = ROOT_FRAME if key == "w" else FORK_LINK
            return f"twist frame {self.frame}"
        if key == "r":
            self.sign = -self.sign
            return f"joint direction {'+' if self.sign > 0 else '-'}"
        if key == "p":
            self.toggle_pause = True
            return "pause toggled"
        jog = self._jog_of(key)
        if jog is None:
            return ""
        repeat = key == self._key and now_s <= self._until_s
        self._key, self.jog = key, jog
        self._until_s = now_s + (REPEAT_HOLD_S if repeat else FIRST_HOLD_S)
        return ""

    def _jog_of(self, key: str) -> Jog | None:
        if self.twist_mode and key in TWIST_KEYS:
            return Jog(True, self.frame, TWIST_KEYS[key])
        if not self.twist_mode and key in JOINT_KEYS:
            return Jog(False, joint=JOINT_KEYS[key], velocity=self.sign)
        return None

    def current(self, now_s: float) -> Jog | None:
        """The jog to send now, or None once the key is let go (its hold has passed)."""
        if self.jog is not None and now_s > self._until_s:
            self.jog, self._key = None, ""
        return self.jog
