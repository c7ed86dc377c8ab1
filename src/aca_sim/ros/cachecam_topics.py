"""CacheCam's topics: each capture's two frames, raw (sensor_msgs/Image, rgb8) and as PNG
(sensor_msgs/CompressedImage on <topic>/compressed, image_transport's naming, which Foxglove
shows). The focus mode is in the topic: `cachecam/image_raw` is the rim-in-focus frame (the
one the rim-dust reading is made from), `cachecam/sample/image_raw` the sample-in-focus one.
Executor thread only."""

from __future__ import annotations

from typing import Any

from rclpy.node import Node
from sensor_msgs.msg import CompressedImage, Image

from aca_sim.ros.conversions import compressed_png_msg, image_msg

CACHECAM_FRAME = "cachecam_optical_frame"
FOCUS_TOPICS = {"rim": "cachecam/image_raw", "sample": "cachecam/sample/image_raw"}


class CacheCamTopics:
    """The publishers of the frames, under the node's namespace."""

    def __init__(self, node: Node, depth: int = 2) -> None:
        self._raw = {m: node.create_publisher(Image, t, depth) for m, t in FOCUS_TOPICS.items()}
        self._png = {
            m: node.create_publisher(CompressedImage, f"{t}/compressed", depth)
            for m, t in FOCUS_TOPICS.items()
        }

    def publish(self, capture: Any, stamp_s: float) -> dict[str, Image]:
        """Publish a capture's frames (objects with .focus and .rgb, in capture.frames)
        stamped at stamp_s (sim time, s); return the raw messages by focus mode."""
        sent = {}
        for frame in capture.frames:
            raw = image_msg(frame.rgb, stamp_s, CACHECAM_FRAME)
            self._raw[frame.focus].publish(raw)
            self._png[frame.focus].publish(compressed_png_msg(frame.rgb, stamp_s, CACHECAM_FRAME))
            sent[frame.focus] = raw
        return sent
