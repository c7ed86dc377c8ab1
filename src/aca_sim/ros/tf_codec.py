"""Frame transforms (aca_sim.motion.frames) as tf2_msgs/TFMessage."""

from __future__ import annotations

from collections.abc import Sequence

from builtin_interfaces.msg import Time
from geometry_msgs.msg import Quaternion, Transform, TransformStamped, Vector3
from std_msgs.msg import Header
from tf2_msgs.msg import TFMessage

from aca_sim.motion.frames import FrameTransform


def transform_msg(frame: FrameTransform, stamp: Time) -> TransformStamped:
    """One geometry_msgs/TransformStamped: child_frame_id's pose in header.frame_id."""
    (tx, ty, tz), (qx, qy, qz, qw) = frame.translation, frame.rotation
    return TransformStamped(
        header=Header(stamp=stamp, frame_id=frame.parent),
        child_frame_id=frame.child,
        transform=Transform(
            translation=Vector3(x=tx, y=ty, z=tz), rotation=Quaternion(x=qx, y=qy, z=qz, w=qw)
        ),
    )


def tf_message(frames: Sequence[FrameTransform], stamp: Time) -> TFMessage:
    """A TFMessage of frames, all with one stamp."""
    return TFMessage(transforms=[transform_msg(frame, stamp) for frame in frames])


class TfMessageCache:
    """A TFMessage kept between publishes for frames that keep their parent and child (the
    movable joints): only the numbers and the stamp change, so no message is built per tick.
    Thread rule: one thread (the publisher's)."""

    def __init__(self) -> None:
        self._message = TFMessage()
        self._names: list[tuple[str, str]] = []

    def message(self, frames: Sequence[FrameTransform], stamp: Time) -> TFMessage:
        """The TFMessage of frames at stamp (the same object each call: publish it before
        the next call)."""
        names = [(f.parent, f.child) for f in frames]
        if names != self._names:
            self._message = tf_message(frames, stamp)
            self._names = names
            return self._message
        for transform, frame in zip(self._message.transforms, frames, strict=True):
            transform.header.stamp = stamp
            t, r = transform.transform.translation, transform.transform.rotation
            (t.x, t.y, t.z), (r.x, r.y, r.z, r.w) = frame.translation, frame.rotation
        return self._message
