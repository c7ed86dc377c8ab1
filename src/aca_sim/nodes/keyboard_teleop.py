"""`aca-sim teleop keyboard`: jog the SHA from a terminal through the servo node (MoveIt
Servo's interfaces, so it drives a real MoveIt Servo the same way), while `aca-sim teleop`
(or teleop.launch.xml) runs in another terminal. The keys: aca_sim.teleop.keyboard.

It reads the terminal in raw mode, and every 20 ms publishes the held key's command on
/servo_node/delta_twist_cmds or /servo_node/delta_joint_cmds (unitless), switching the
servo's command type with ~/switch_command_type and pausing it with ~/pause_servo. Thread
rules: the terminal loop on the main thread, the node spun by a background executor.
"""

from __future__ import annotations

import os
import select
import sys
import termios
import time
import tty
from typing import Any, TextIO

import rclpy
from rclpy.node import Node

from aca_sim.ros import blocking
from aca_sim.ros.servo_link import ServoLink
from aca_sim.ros.spinning import BackgroundSpinner
from aca_sim.teleop.keyboard import HELP, Jog, Keyboard, keys_of

LOOP_S = 0.02  # s between commands while a key is held
WAIT_S = 10.0  # s to wait for the servo's services


class KeyboardLink:
    """The servo link as the terminal loop uses it: calls wait for their answers (the node is
    spun by a background executor, not by this thread)."""

    def __init__(self, node: Node) -> None:
        self.link = ServoLink(node)
        self.servo = self.link.servo
        self.paused = False

    def wait(self, timeout_s: float = WAIT_S) -> bool:
        return self.link.wait(timeout_s)

    def command_type(self, twist: bool) -> bool:
        """Make the servo follow twists (True) or joint jogs; True when it agreed."""
        future = self.link.command_type_async(twist)
        return bool(blocking.wait_future(future, WAIT_S, "switch_command_type").success)

    def toggle_pause(self) -> bool:
        """Pause or resume the servo; the new state (True: paused)."""
        blocking.wait_future(self.link.pause_async(not self.paused), WAIT_S, "pause_servo")
        self.paused = not self.paused
        return self.paused

    def send(self, jog: Jog) -> None:
        if jog.twist:
            self.link.send_twist(jog.frame, jog.linear)
        else:
            self.link.send_joint(jog.joint, jog.velocity)


def drive(link: KeyboardLink, fd: int, out: TextIO) -> int:
    """The terminal loop on file descriptor fd (raw mode is the caller's); 0 on quit."""
    keyboard = Keyboard()
    link.command_type(twist=True)
    out.write(HELP.replace("\n", "\r\n") + "\r\n")
    out.flush()
    while not keyboard.quit:
        ready, _, _ = select.select([fd], [], [], LOOP_S)
        now = time.monotonic()
        if ready:
            data = os.read(fd, 64)
            if not data:  # the terminal closed
                return 0
            for key in keys_of(data):
                said = keyboard.press(key, now)
                if key in ("t", "j"):  # the mode keys
                    link.command_type(keyboard.twist_mode)
                if keyboard.toggle_pause:
                    keyboard.toggle_pause = False
                    said = "paused" if link.toggle_pause() else "resumed"
                if said:
                    out.write(said + "\r\n")
                    out.flush()
        jog = keyboard.current(now)
        if jog is not None:
            link.send(jog)
    return 0


def main(argv: list[str] | None = None, stdin: Any = None, stdout: TextIO | None = None) -> int:
    """Run the keyboard teleop on a terminal; the exit code (2: no terminal or no servo)."""
    from aca_sim.ros_env import ensure_local_discovery

    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    if not os.isatty(stdin.fileno()):
        print("aca-sim teleop keyboard: stdin is not a terminal", file=sys.stderr)
        return 2
    ensure_local_discovery()
    rclpy.init(args=argv)
    node = rclpy.create_node("keyboard_teleop")
    spinner = BackgroundSpinner([node]).start()
    link = KeyboardLink(node)
    try:
        if not link.wait():
            print(
                f"aca-sim teleop keyboard: no servo at {link.servo} "
                "(start `aca-sim teleop` in another terminal)",
                file=sys.stderr,
            )
            return 2
        fd = stdin.fileno()
        saved = termios.tcgetattr(fd)
        try:
            tty.setraw(fd)
            return drive(link, fd, out)
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    except KeyboardInterrupt:
        return 130
    finally:
        spinner.stop()
        node.destroy_node()
        rclpy.try_shutdown()
