"""The browser teleop page in a real browser (Playwright driving Debian's
chromium-headless-shell), and its WebSocket side with a plain foxglove.sdk.v1 client. One
world for the module (sim in fast mode, state publisher, servo, page node in this process,
over real DDS: teleop_world); the tests run in file order on it. The held jog, which needs the
sim in realtime mode, is test_teleop_jog. Screenshots go to the test artifacts."""

import asyncio
import json
import struct
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import websockets
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from teleop_world import TOKEN, module_fixtures

from aca_sim.model.urdf import aca_urdf_text
from aca_sim.teleop.ws_server import SUBPROTOCOL, URDF_URI

world, page = module_fixtures("fast")


def result_text(tab, previous=""):
    tab.wait_for_function(
        "previous => { const r = document.getElementById('result').textContent;"
        " return r && r !== previous; }",
        arg=previous,
        timeout=90_000,
    )
    return tab.inner_text("#result")


def test_the_page_loads_without_errors_and_draws_the_assembly(page, artifacts):
    tab, messages = page
    tab.wait_for_selector("#tube-201", timeout=30_000)
    tab.wait_for_function("window.acaTeleop && window.acaTeleop.state.robot", timeout=30_000)
    tab.wait_for_function(
        "document.querySelector('#joint-sha_elbow .value').textContent.includes('rad')"
    )
    time.sleep(0.5)  # a few frames with the tubes drawn
    tab.screenshot(path=str(artifacts / "teleop_page.png"))
    tab.locator("#view").screenshot(path=str(artifacts / "teleop_page_view.png"))
    pixels = np.asarray(Image.open(artifacts / "teleop_page_view.png").convert("L"), float)
    assert pixels.std() > 12, f"the 3D view looks blank (std {pixels.std():.1f})"
    background = np.median(pixels)
    assert np.mean(np.abs(pixels - background) > 30) > 0.05  # the model covers >5 % of it
    assert tab.locator("#tubes tbody tr").count() == 43
    assert tab.inner_text("#connection") == "connected"
    errors = [m for m in messages if m[0] in ("error", "pageerror")]
    assert not errors, errors


def test_step_buttons_run_steps_and_capture_image_shows_a_new_image(page, artifacts):
    tab, _ = page
    previous = tab.inner_text("#result")
    tab.locator("#tube-201 button", has_text="retrieve tube 201").click()
    assert result_text(tab, previous).startswith("retrieve_tube: done")
    tab.wait_for_selector("#steps-fork_target button:has-text('capture image')")
    assert tab.get_attribute("#cachecam", "src") is None
    previous = tab.inner_text("#result")
    tab.locator("#steps-station_cachecam button", has_text="capture image").click()
    assert result_text(tab, previous).startswith("capture_image: done")
    tab.wait_for_function("document.getElementById('cachecam').src.startsWith('data:image/png')")
    assert tab.evaluate("document.getElementById('cachecam').naturalWidth") > 0
    tab.wait_for_function(
        "document.getElementById('cachecam-time').textContent.includes('sample')"
    )
    assert tab.inner_text("#cachecam-time").startswith("sample in focus, 640×480")  # the newest
    tab.screenshot(path=str(artifacts / "teleop_page_capture.png"))
    assert tab.inner_text("#tube-201").split()[1] == "sha"  # the table follows the world


def test_bad_commands_show_their_error_in_words_and_move_nothing(page, world):
    tab, _ = page
    _sim, _page_node, joints = world
    before = dict(joints.latest)
    tab.click("#custom summary")
    tab.fill("#custom-action", "sweep_bore")
    tab.fill("#custom-goal", '{"sweeps": "many"}')
    previous = tab.inner_text("#result")
    tab.click("#custom-send")
    text = result_text(tab, previous)
    assert text.startswith("INVALID_GOAL: the goal is malformed") and "sweeps" in text
    assert "'many'" in text
    tab.fill("#custom-action", "move_arm")  # the sim refuses it: the elbow stops at 2.90 rad
    tab.fill("#custom-goal", '{"joint_positions": [0.02, 0.0, 3.2]}')
    tab.click("#custom-send")
    text = result_text(tab, text)
    assert text.startswith("move_arm: OUT_OF_LIMITS: a joint goal is beyond its limits")
    tab.evaluate("window.acaTeleop.command({op: 'servo', joint: 'sha_z', speed: 3})")
    text = result_text(tab, text)
    assert text.startswith("INVALID_GOAL") and "speed=3: a number in [-1, 1]" in text
    assert all(abs(joints.latest[j] - before[j]) < 1e-4 for j in before)


def test_the_page_and_its_commands_need_the_token(world):
    _sim, page_node, _joints = world
    base = page_node.url.split("?")[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(base + "config.json", timeout=10)
    assert refused.value.code == 403
    with urllib.request.urlopen(f"{base}config.json?token={TOKEN}", timeout=10) as response:
        assert json.load(response)["needs_token"] is True
    events = run_async(
        exchange(page_node.ws.port, [{"op": "jog_joint", "joint": "sha_z", "delta": 0.001}])
    )
    error = next(e for e in events if e.get("type") == "error")
    assert error["code_name"] == "INVALID_GOAL" and "token" in error["message"]


def run_async(coroutine):
    """Run a coroutine to its end on a thread of its own (Playwright's sync API keeps an
    event loop running on this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=60)


async def exchange(port, commands, wait_s=3.0):
    """Connect as the page does, publish commands, return the events received."""
    events = []
    async with websockets.connect(f"ws://127.0.0.1:{port}", subprotocols=[SUBPROTOCOL]) as ws:
        channels = await advertised(ws)
        await ws.send(json.dumps({"op": "subscribe", "subscriptions": [
            {"id": 1, "channelId": channels["/aca/teleop/events"]["id"]}]}))  # fmt: skip
        await ws.send(json.dumps({"op": "advertise", "channels": [
            {"id": 9, "topic": "/aca/teleop/command", "encoding": "json",
             "schemaName": "aca_sim/TeleopCommand"}]}))  # fmt: skip
        await asyncio.sleep(0.2)
        for command in commands:
            await ws.send(b"\x01" + struct.pack("<I", 9) + json.dumps(command).encode())
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                message = await asyncio.wait_for(ws.recv(), deadline - time.monotonic())
            except TimeoutError:
                break
            if isinstance(message, bytes) and message[0] == 1:
                events.append(json.loads(message[13:]))
    return events


async def advertised(ws):
    channels = {}
    while "/aca/teleop/events" not in channels:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["op"] == "serverInfo":
            info = message
        if message["op"] == "advertise":
            channels.update({c["topic"]: c for c in message["channels"]})
    assert {"clientPublish", "assets"} <= set(info["capabilities"])
    return channels


def test_foxglove_clients_get_tf_the_image_channel_and_the_urdf_asset(world):
    sim, page_node, _joints = world

    async def look():
        async with websockets.connect(
            f"ws://127.0.0.1:{page_node.ws.port}", subprotocols=[SUBPROTOCOL]
        ) as ws:
            channels = await advertised(ws)
            await ws.send(json.dumps({"op": "fetchAsset", "uri": URDF_URI, "requestId": 4}))
            await ws.send(json.dumps({"op": "subscribe", "subscriptions": [
                {"id": 2, "channelId": channels["/tf"]["id"]}]}))  # fmt: skip
            # The static frames are sent on subscribe; the dynamic /tf timer may come first
            # (a different thread), so read until both the asset and the static frames came.
            asset, transforms = None, []
            while asset is None or not any(b"storage_slot_01" in t for t in transforms):
                message = await asyncio.wait_for(ws.recv(), 10)
                if isinstance(message, bytes) and message[0] == 4:
                    request, status, length = struct.unpack_from("<IBI", message, 1)
                    assert (request, status) == (4, 0)
                    asset = message[10 + length :].decode()
                elif isinstance(message, bytes) and message[0] == 1:
                    transforms.append(message[13:])
            return channels, asset, transforms

    channels, asset, transforms = run_async(look())
    assert channels["/tf"]["schemaName"] == "foxglove.FrameTransforms"
    assert channels["/tf"]["encoding"] == "protobuf"
    assert channels["/aca/cachecam/image"]["schemaName"] == "foxglove.RawImage"
    assert asset == aca_urdf_text(sim.model)
    assert any(b"storage_slot_01" in t for t in transforms)  # the static frames came
