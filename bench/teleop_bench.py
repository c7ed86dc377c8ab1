"""Teleop benchmarks, each against its bare baseline in the same run:

- /tf per joint-state message (the state publisher's frame math + TFMessage + publish) and
  /aca/markers per change (43 tubes, seals, depot) against the sim's bare publish tick (the
  physics steps of one publish period plus /clock and /joint_states);
- fast-mode real-time factor of a retrieve + store over ROS while the teleop processes run
  (state publisher, interactive markers, page node: separate processes, as teleop.launch.xml
  starts them) against the same work with the sim alone;
- the page's round trip from a jog button's press (in chromium-headless-shell, Playwright's
  mouse: the page streams servo commands while a button is held) to the first joint motion
  seen on /joint_states, against a JointJog sent to the servo by plain rclpy for the same
  jog (the sim in realtime mode with the servo, as teleop.launch.xml runs them).

Call ros_bench.prepare() before importing rclpy.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

Row = tuple[str, float, str, float | None]
BROWSER = Path("/usr/bin/chromium-headless-shell")
BROWSER_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                "--disable-background-networking", "--disable-component-update"]  # fmt: skip


def _per_call_s(fn, count: int) -> float:
    for _ in range(5):
        fn()
    start = time.perf_counter()
    for _ in range(count):
        fn()
    return (time.perf_counter() - start) / count


def publishing_cost(context) -> list[Row]:
    """Wall time per tick of the bare sim against the state publisher's work per tick."""
    from sensor_msgs.msg import JointState

    from aca_sim.model.config import load_model_config
    from aca_sim.model.urdf import aca_urdf_text
    from aca_sim.motion.frames import RobotFrames
    from aca_sim.motion.urdf_model import UrdfModel
    from aca_sim.nodes.sim_node import SimNode
    from aca_sim.nodes.state_publisher_node import StatePublisherNode
    from aca_sim.ros.markers import marker_array
    from aca_sim.sim.runner import Tick

    sim = SimNode(context=context)
    sim.runner.stop()  # this thread steps the world instead
    publisher = StatePublisherNode(context=context)
    aca = sim.aca
    steps_per_tick = max(1, round(1.0 / (sim.params.publish_rate_hz * aca.dt)))

    def bare_tick():
        for _ in range(steps_per_tick):
            aca.step()
        sim.ticks.on_ticks(aca, [Tick(aca.time_s, aca.world.mech.joint_states())])

    publisher.frames = RobotFrames(UrdfModel(aca_urdf_text(load_model_config(None))))
    joints = JointState(name=["sha_z", "sha_shoulder", "sha_elbow"], position=[0.02, 0.3, 1.0])
    tick_s = _per_call_s(bare_tick, 2000)
    publisher.throttle.configure(20.0, ignore_timestamp=True)  # every call a /tf: its cost
    tf_s = _per_call_s(lambda: publisher._on_joint_states(joints), 2000)
    tubes = [aca.world.tubes[t] for t in sorted(aca.world.tubes)]
    dispensers = [aca.world.dispensers[d] for d in sorted(aca.world.dispensers)]
    stamp = joints.header.stamp
    markers_s = _per_call_s(
        lambda: publisher.markers_pub.publish(
            marker_array(tubes, dispensers, publisher.model, "aca_frame", stamp)
        ),
        200,
    )
    publisher.destroy_node()
    sim.destroy_node()
    return [
        (f"bare sim tick ({steps_per_tick} steps + /joint_states)", tick_s * 1e6, "us", None),
        ("/tf per joint-state message", tf_s * 1e6, "us", tf_s / tick_s),
        ("/aca/markers per change (43 tubes)", markers_s * 1e6, "us", markers_s / tick_s),
    ]


def _teleop_processes() -> list[subprocess.Popen]:
    bin_dir = Path(sys.executable).parent
    commands = [
        [bin_dir / "state_publisher_node"],
        [bin_dir / "teleop_node"],
        [bin_dir / "teleop_web_node", "--ros-args", "-p", "port:=0", "-p", "ws_port:=0"],
    ]
    return [
        subprocess.Popen(
            [str(c) for c in command],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ),
        )
        for command in commands
    ]


def _rtf_of_work(context, with_teleop: bool) -> float:
    """Sim seconds per wall second of retrieve + store of three tubes, over ROS."""
    from aca_interfaces.action import RetrieveTube, StoreTube
    from rclpy.action import ActionClient
    from rclpy.node import Node

    from aca_sim.nodes.sim_node import SimNode
    from aca_sim.ros.blocking import get_result, send_goal
    from aca_sim.ros.matching import wait_action_matched
    from aca_sim.ros.spinning import BackgroundSpinner

    sim = SimNode(context=context)
    node = Node("bench_teleop_client", context=context)
    processes = _teleop_processes() if with_teleop else []
    try:
        with BackgroundSpinner([sim, node], context=context):
            clients = {}
            for kind, name in ((RetrieveTube, "retrieve_tube"), (StoreTube, "store_tube")):
                clients[name] = ActionClient(node, kind, f"/aca/{name}")
                clients[name].wait_for_server(timeout_sec=20)
                wait_action_matched(node, kind, f"/aca/{name}", 20)
            time.sleep(3.0 if with_teleop else 0.0)  # the teleop nodes have found the sim
            sim0, wall0 = sim.aca.time_s, time.perf_counter()
            for slot in (1, 2, 3):
                for name, goal in (
                    ("retrieve_tube", RetrieveTube.Goal(slot=slot)),
                    ("store_tube", StoreTube.Goal(slot=0)),
                ):
                    handle = send_goal(node, clients[name], goal, 60)
                    get_result(node, handle, 300)
            rtf = (sim.aca.time_s - sim0) / (time.perf_counter() - wall0)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        sim.destroy_node()
        node.destroy_node()
    return rtf


def teleop_rtf(context) -> list[Row]:
    bare = _rtf_of_work(context, with_teleop=False)
    loaded = _rtf_of_work(context, with_teleop=True)
    return [
        ("fast-mode RTF, sim alone (retrieve+store x3)", bare, "x", None),
        ("fast-mode RTF, teleop nodes running", loaded, "x", loaded / bare),
    ]


def page_round_trip(context, jogs: int = 8) -> list[Row]:
    """Press of a jog button -> first joint motion, against a plain rclpy JointJog sent to
    the servo for the same jog. The world is teleop.launch.xml's: the sim in realtime mode,
    the servo, the page node. Each path is warmed up once (the servo's first planning-scene
    read, the page's first drawn motion), then `jogs` presses alternate direction."""
    if not BROWSER.exists() or shutil.which("npm") is None:
        return [("page press -> joint motion: no chromium-headless-shell", 0.0, "", None)]
    from control_msgs.msg import JointJog
    from playwright.sync_api import sync_playwright
    from rclpy.node import Node
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import JointState

    from aca_sim.nodes.servo_node import ServoNode
    from aca_sim.nodes.sim_node import SimNode
    from aca_sim.nodes.teleop_web_node import TeleopWebNode
    from aca_sim.ros.spinning import BackgroundSpinner

    sim = SimNode(context=context, parameter_overrides=[Parameter("mode", value="realtime")])
    web = TeleopWebNode(
        context=context,
        parameter_overrides=[Parameter("port", value=0), Parameter("ws_port", value=0)],
    )
    servo = ServoNode(context=context)
    node = Node("bench_page_probe", context=context)
    latest: dict[str, float] = {}
    node.create_subscription(
        JointState,
        "/joint_states",
        lambda m: latest.update(zip(m.name, m.position, strict=False)),
        10,
    )
    jog_pub = node.create_publisher(JointJog, "/servo_node/delta_joint_cmds", 10)

    def first_motion(start_value: float, started: float) -> float:
        while abs(latest["sha_shoulder"] - start_value) < 1e-4:
            if time.perf_counter() - started > 60:
                raise TimeoutError("the arm did not move")
            time.sleep(0.0005)
        return time.perf_counter() - started

    def settle():
        before = None
        while before != latest.get("sha_shoulder"):
            before = latest.get("sha_shoulder")
            time.sleep(0.3)

    def press(tab, sign: str) -> float:
        tab.hover(f"#jog-sha_shoulder-{sign}")
        value, started = latest["sha_shoulder"], time.perf_counter()
        tab.mouse.down()
        elapsed = first_motion(value, started)
        tab.mouse.up()
        return elapsed

    def plain(sign: str) -> float:
        velocity = 1.0 if sign == "plus" else -1.0  # the page's joint-speed slider starts at 1
        value, started = latest["sha_shoulder"], time.perf_counter()
        jog_pub.publish(JointJog(joint_names=["sha_shoulder"], velocities=[velocity]))
        return first_motion(value, started)

    page_s, plain_s = [], []
    try:
        with (
            BackgroundSpinner([sim], context=context),
            BackgroundSpinner([web, servo, node], context=context),
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=str(BROWSER),
                                                 args=BROWSER_ARGS)  # fmt: skip
            tab = browser.new_page()
            tab.goto(web.url)
            tab.wait_for_function(
                "document.querySelector('#joint-sha_shoulder .value').textContent.includes('rad')",
                timeout=60_000,
            )
            for i in range(jogs + 1):
                sign = "plus" if i % 2 == 0 else "minus"
                settle()
                page_elapsed = press(tab, sign)
                settle()
                plain_elapsed = plain(sign)
                if i:  # the first of each is the warm-up
                    page_s.append(page_elapsed)
                    plain_s.append(plain_elapsed)
            browser.close()
    finally:
        web.destroy_node()
        servo.destroy_node()
        sim.destroy_node()
        node.destroy_node()
    page, plain_jog = statistics.median(page_s), statistics.median(plain_s)
    return [
        ("rclpy JointJog to the servo -> joint motion, median", plain_jog * 1000, "ms", None),
        ("page jog press -> joint motion, median", page * 1000, "ms", page / plain_jog),
    ]


def measure() -> list[Row]:
    """Every teleop row."""
    import rclpy

    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        return publishing_cost(context) + teleop_rtf(context) + page_round_trip(context)
    finally:
        rclpy.try_shutdown(context=context)
