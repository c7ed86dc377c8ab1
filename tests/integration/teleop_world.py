"""The teleop page's world for its browser tests: sim, state publisher, servo and page node in
this process over real DDS, a plain probe on /joint_states, and Debian's
chromium-headless-shell driven by Playwright. Used by test_teleop_page (the sim in fast mode:
steps run as fast as the CPU allows) and test_teleop_jog (in realtime mode, as
teleop.launch.xml runs it: the servo's commands are paced in wall time)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import rclpy
from playwright.sync_api import sync_playwright
from rclpy.node import Node
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState

from aca_sim.nodes.servo_node import ServoNode
from aca_sim.nodes.sim_node import SimNode
from aca_sim.nodes.state_publisher_node import StatePublisherNode
from aca_sim.nodes.teleop_web_node import TeleopWebNode
from aca_sim.ros.spinning import BackgroundSpinner

BROWSER = Path(os.environ.get("ACA_TEST_CHROMIUM", "/usr/bin/chromium-headless-shell"))
BROWSER_ARGS = [
    "--no-sandbox",  # root in a container
    "--use-angle=swiftshader",  # WebGL on the CPU
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",  # this machine's network is closed
    "--disable-component-update",
    "--no-first-run",
]
TOKEN = "test-token-5f2c"


class Joints:
    """The newest /joint_states: positions by name, and its stamp (sim s)."""

    def __init__(self, node: Node) -> None:
        self.latest: dict[str, float] = {}
        self.sim_s = 0.0
        node.create_subscription(JointState, "/joint_states", self._on, 10)

    def _on(self, message) -> None:
        self.latest = dict(zip(message.name, message.position, strict=False))
        self.sim_s = message.header.stamp.sec + message.header.stamp.nanosec * 1e-9


def wait_until(condition, timeout_s=60.0, what="condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextlib.contextmanager
def teleop_world(mode: str) -> Iterator[tuple[SimNode, TeleopWebNode, Joints]]:
    """The nodes up and spinning (the sim in `mode`, seed 5), torn down on exit."""
    assert BROWSER.exists(), f"{BROWSER} missing: scripts/install-system-packages.sh installs it"
    context = rclpy.Context()
    rclpy.init(context=context)
    sim = SimNode(
        context=context,
        parameter_overrides=[Parameter("seed", value=5), Parameter("mode", value=mode)],
    )
    publisher = StatePublisherNode(context=context)
    page_node = TeleopWebNode(
        context=context,
        parameter_overrides=[
            Parameter("port", value=0),
            Parameter("ws_port", value=0),
            Parameter("token", value=TOKEN),
        ],
    )
    servo = ServoNode(context=context)
    probe = Node("page_test_probe", context=context)
    joints = Joints(probe)
    spinners = [
        BackgroundSpinner([sim], context=context).start(),
        BackgroundSpinner([publisher, page_node, servo, probe], context=context).start(),
    ]
    try:
        yield sim, page_node, joints
    finally:
        for spinner in spinners:
            spinner.stop()
        for node in (page_node, publisher, servo, probe, sim):
            node.destroy_node()
        rclpy.try_shutdown(context=context)


@contextlib.contextmanager
def browser_page(url: str) -> Iterator[tuple[object, list[tuple[str, str]]]]:
    """A browser tab on the page at `url`, and the console messages it logs."""
    messages: list[tuple[str, str]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(BROWSER), args=BROWSER_ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 820})
        tab.on("console", lambda m: messages.append((m.type, m.text)))
        tab.on("pageerror", lambda e: messages.append(("pageerror", str(e))))
        tab.goto(url)
        try:
            yield tab, messages
        finally:
            browser.close()


def module_fixtures(mode: str):
    """The module-scoped fixtures `world` (teleop_world(mode)) and `page` (a browser tab on
    its page): `world, page = module_fixtures("fast")` in a test module."""

    @pytest.fixture(scope="module")
    def world():
        with teleop_world(mode) as nodes:
            yield nodes

    @pytest.fixture(scope="module")
    def page(world):
        _sim, page_node, _joints = world
        with browser_page(page_node.url) as tab_and_messages:
            yield tab_and_messages

    return world, page
