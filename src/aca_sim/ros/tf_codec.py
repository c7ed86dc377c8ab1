"""Frame transforms (aca_sim.motion.frames) as tf2_msgs/TFMessage, and robot_state_publisher's
throttle of /tf."""

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


class JointStateThrottle:
    """robot_state_publisher's rule for /tf, on the joint states' stamps (ns): a message goes
    out when its stamp is at least one publish interval (1 / publish_frequency, in whole ms as
    upstream rounds it) after the last published stamp of the least recently published of its
    joints; a joint not published yet lets it out at once; ignore_timestamp lets every one
    out. A stamp earlier than the last one seen (time went back: a restarted sim, a bag played
    again) starts over, as upstream does when its clock goes back. Thread rule: one thread."""

    def __init__(self, frequency_hz: float = 20.0, ignore_timestamp: bool = False) -> None:
        self.interval_ns, self.ignore_timestamp = 0, False
        self.configure(frequency_hz, ignore_timestamp)
        self._published: dict[str, int] = {}
        self._last_seen_ns = 0

    def configure(self, frequency_hz: float, ignore_timestamp: bool) -> None:
        """Set the rate and the switch; ValueError unless 0 < frequency_hz <= 1000."""
        self.interval_ns = interval_ns(frequency_hz)
        self.ignore_timestamp = ignore_timestamp

    def admit(self, names: Sequence[str], stamp_ns: int) -> bool:
        """True if joint states with these names and stamp are to go out now; they then
        count as published."""
        if stamp_ns < self._last_seen_ns:
            self._published.clear()
        self._last_seen_ns = stamp_ns
        oldest = min((self._published.get(name, -1) for name in names), default=-1)
        if not self.ignore_timestamp and oldest >= 0 and stamp_ns < oldest + self.interval_ns:
            return False
        self._published.update(dict.fromkeys(names, stamp_ns))
        return True


def interval_ns(frequency_hz: float) -> int:
    """robot_state_publisher's publish interval for a publish_frequency (whole ms), ns;
    ValueError naming the value unless 0 < frequency_hz <= 1000 (upstream's range)."""
    if not 0.0 < frequency_hz <= 1000.0:
        raise ValueError(
            f"publish_frequency={frequency_hz!r}: must be between 0.0 (exclusive) and 1000.0"
        )
    return int(1000.0 / frequency_hz) * 1_000_000
