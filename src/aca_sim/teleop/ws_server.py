"""The WebSocket side of the teleop page: a foxglove-sdk server (subprotocol foxglove.sdk.v1),
so that the page and the Foxglove app can both connect to the same port.

Channels (server -> clients); the latest state message of a topic is sent again when a
client subscribes to it (on_subscribe tells the owner, which calls resend; it is called on
unsubscribing too, and `subscribed(topic)` says whether anyone listens):
- /joint_states, /aca/tubes, /aca/teleop/menus, /aca/teleop/events, /aca/cachecam/png: JSON,
  what the page shows (joint positions, the tube table, the step buttons and their busy state,
  what became of each command, the latest CacheCam image as base64 PNG);
- /tf (foxglove.FrameTransforms) and /aca/cachecam/image (foxglove.RawImage): for the
  Foxglove app's 3D and Image panels. Static frames are sent again whenever a client
  subscribes to /tf (a WebSocket channel does not latch).
Assets: package://aca_sim/urdf/aca.urdf is the expanded URDF (/robot_description), fetched
with fetchAsset by the page and by the Foxglove app's URDF layer.
Client publish: a client advertises /aca/teleop/command (encoding json) and publishes
commands (aca_sim.teleop.web_commands); they are handed to on_command as decoded JSON.

Thread rule: on_command, urdf and on_subscribe are called on the server's threads; the
publish methods may be called from any thread.
"""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

import foxglove
import numpy as np
from foxglove import Capability, Channel
from foxglove.channels import FrameTransformsChannel, RawImageChannel
from foxglove.messages import (
    FrameTransform,
    FrameTransforms,
    Quaternion,
    RawImage,
    Timestamp,
    Vector3,
)
from foxglove.websocket import ServerListener

SUBPROTOCOL = "foxglove.sdk.v1"
URDF_URI = "package://aca_sim/urdf/aca.urdf"
COMMAND_TOPIC = "/aca/teleop/command"
JSON_TOPICS = {
    "/joint_states": "joint names, positions (rad or m) and the sim time (s)",
    "/aca/tubes": "the tube table: one row per tube",
    "/aca/teleop/menus": "the steps each thing offers now, and which devices are busy",
    "/aca/teleop/events": "what became of each command: accepted, feedback, result, error",
    "/aca/cachecam/png": "the latest CacheCam image, base64 PNG",
    "/aca/teleop/servo": "the servo's status when it changes: code (ServoStatus) and message",
}
OnCommand = Callable[[Any, int], None]  # (decoded JSON or a str error, client id)
Transform = tuple[str, str, tuple[float, float, float], tuple[float, float, float, float]]


def _stamp(seconds: float) -> Timestamp:
    whole = int(seconds)
    return Timestamp(whole, round((seconds - whole) * 1e9) % 1_000_000_000)


class _Listener(ServerListener):
    """Routes client publishes on the command topic to on_command."""

    def __init__(self, owner: TeleopWebSocket) -> None:
        self.owner = owner
        self.command_channels: set[tuple[int, int]] = set()
        self.lock = threading.Lock()

    def on_client_advertise(self, client: Any, channel: Any) -> None:
        if channel.topic == COMMAND_TOPIC:
            with self.lock:
                self.command_channels.add((client.id, channel.id))

    def on_client_unadvertise(self, client: Any, client_channel_id: int) -> None:
        with self.lock:
            self.command_channels.discard((client.id, client_channel_id))

    def on_message_data(self, client: Any, client_channel_id: int, data: bytes) -> None:
        with self.lock:
            known = (client.id, client_channel_id) in self.command_channels
        if not known:
            return
        try:
            decoded: Any = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            decoded = f"a command is JSON: {error}"
        self.owner.on_command(decoded, client.id)

    def on_subscribe(self, client: Any, channel: Any) -> None:
        with self.lock:
            self.owner.subscribers[channel.topic] = (
                self.owner.subscribers.get(channel.topic, 0) + 1
            )
        self.owner.on_subscribe(channel.topic)

    def on_unsubscribe(self, client: Any, channel: Any) -> None:
        with self.lock:
            count = max(0, self.owner.subscribers.get(channel.topic, 0) - 1)
            self.owner.subscribers[channel.topic] = count
        self.owner.on_subscribe(channel.topic)


class TeleopWebSocket:
    """A foxglove-sdk WebSocket server with the teleop channels; see the module docstring."""

    def __init__(
        self,
        host: str,
        port: int,
        urdf: Callable[[], str | None],
        on_command: OnCommand,
        on_subscribe: Callable[[str], None] = lambda _topic: None,
    ) -> None:
        self.urdf, self.on_command, self.on_subscribe = urdf, on_command, on_subscribe
        self.latest: dict[str, dict[str, Any]] = {}
        self.subscribers: dict[str, int] = {}  # topic -> subscribed clients
        self.lock = threading.Lock()
        self.context = foxglove.Context()
        self.json = {
            topic: Channel(
                topic,
                message_encoding="json",
                schema={"type": "object", "description": words},
                context=self.context,
            )
            for topic, words in JSON_TOPICS.items()
        }
        self.tf = FrameTransformsChannel("/tf", context=self.context)
        self.image = RawImageChannel("/aca/cachecam/image", context=self.context)
        self.server = foxglove.start_server(
            name="aca_sim teleop",
            host=host,
            port=port,
            capabilities=[Capability.ClientPublish],
            supported_encodings=["json"],
            server_listener=_Listener(self),
            asset_handler=self._asset,
            context=self.context,
        )

    def subscribed(self, topic: str) -> bool:
        """Whether a client is subscribed to a topic now."""
        return self.subscribers.get(topic, 0) > 0

    @property
    def port(self) -> int:
        return int(self.server.port)

    def stop(self) -> None:
        self.server.stop()

    def _asset(self, uri: str) -> bytes | None:
        if uri != URDF_URI:
            return None
        text = self.urdf()
        return text.encode() if text is not None else None

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        """Send a JSON message on one of JSON_TOPICS (the latest is kept for resend)."""
        with self.lock:
            self.latest[topic] = message
        self.json[topic].log(message)

    def resend(self, topic: str) -> None:
        """Send a JSON topic's latest message again (a client just subscribed: WebSocket
        channels do not latch, and the state may not change for a long time)."""
        with self.lock:
            message = self.latest.get(topic)
        if message is not None and topic != "/aca/teleop/events":
            self.json[topic].log(message)

    def publish_transforms(self, transforms: Iterable[Transform], stamp_s: float) -> None:
        """Send frames (parent, child, translation m, rotation xyzw) on /tf."""
        stamp = _stamp(stamp_s)
        self.tf.log(
            FrameTransforms(
                transforms=[
                    FrameTransform(
                        timestamp=stamp,
                        parent_frame_id=parent,
                        child_frame_id=child,
                        translation=Vector3(x=t[0], y=t[1], z=t[2]),
                        rotation=Quaternion(x=r[0], y=r[1], z=r[2], w=r[3]),
                    )
                    for parent, child, t, r in transforms
                ]
            )
        )

    def publish_image(
        self, rgb: np.ndarray, frame_id: str, stamp_s: float, focus: str = ""
    ) -> None:
        """Send an RGB image (height x width x 3, uint8) on /aca/cachecam/image and, as PNG
        with its focus mode ("rim", "sample"), on /aca/cachecam/png."""
        from PIL import Image

        height, width = rgb.shape[:2]
        self.image.log(
            RawImage(
                timestamp=_stamp(stamp_s),
                frame_id=frame_id,
                width=width,
                height=height,
                encoding="rgb8",
                step=width * 3,
                data=rgb.tobytes(),
            )
        )
        buffer = io.BytesIO()
        Image.fromarray(rgb, "RGB").save(buffer, format="PNG")
        self.publish(
            "/aca/cachecam/png",
            {
                "stamp_s": stamp_s,
                "width": width,
                "height": height,
                "focus": focus,
                "png_base64": base64.b64encode(buffer.getvalue()).decode(),
            },
        )
