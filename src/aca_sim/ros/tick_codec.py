"""CDR bytes of the two messages the sim sends at every tick, without building messages.

rosgraph_msgs/msg/Clock and sensor_msgs/msg/JointState, encoded as rclpy's serializer
encodes them (plain CDR, little endian: a 4-byte encapsulation header, then the fields, each
aligned to its size from the end of the header), so that a raw publish or an MCAP record is
what `rclpy.serialization.serialize_message` gives (tests/unit/test_tick_codec.py: the same
bytes but for alignment padding, which Fast CDR leaves uninitialised and which is zero here).
Building a JointState and serializing it took about 14 us; this takes about 2.
Times in ns; positions m or rad, velocities m/s or rad/s, efforts N or N m.
Thread rule: none (pure functions of their arguments).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

ENCAPSULATION = b"\x00\x01\x00\x00"  # CDR, little endian
_STAMP = struct.Struct("<iI")


def _stamp(time_ns: int) -> bytes:
    seconds, nanoseconds = divmod(time_ns, 1_000_000_000)
    return _STAMP.pack(seconds, nanoseconds)


def clock(time_ns: int) -> bytes:
    """rosgraph_msgs/msg/Clock at time_ns (>= 0)."""
    return ENCAPSULATION + _stamp(time_ns)


class _Writer:
    """Appends CDR fields, aligning each from the end of the encapsulation header."""

    def __init__(self) -> None:
        self.data = bytearray()

    def align(self, size: int) -> None:
        self.data += b"\x00" * (-len(self.data) % size)

    def uint32(self, value: int) -> None:
        self.align(4)
        self.data += struct.pack("<I", value)

    def string(self, text: str) -> None:
        encoded = text.encode() + b"\x00"
        self.uint32(len(encoded))
        self.data += encoded


class JointStateEncoder:
    """sensor_msgs/msg/JointState for a fixed list of joint names and an empty frame_id:
    everything but the stamp and the numbers is encoded once."""

    def __init__(self, names: Sequence[str]) -> None:
        count = len(names)
        head = _Writer()
        head.data += b"\x00" * _STAMP.size  # the stamp, packed per message
        head.string("")  # header.frame_id
        head.uint32(count)
        for name in names:
            head.string(name)
        self._head = bytes(head.data[_STAMP.size :])
        # three float64 sequences: count, then the values aligned to 8; the offsets are fixed
        layout, offset = "<", len(head.data)
        for _ in range(3):
            pad = -offset % 4
            layout += f"{pad}xI" if pad else "I"
            offset += pad + 4
            pad = -offset % 8
            layout += f"{pad}x{count}d" if pad else f"{count}d"
            offset += pad + 8 * count
        self._numbers = struct.Struct(layout)
        self._count = count

    def encode(
        self,
        time_ns: int,
        position: Sequence[float],
        velocity: Sequence[float],
        effort: Sequence[float],
    ) -> bytes:
        """The message at time_ns; each sequence has one value per name."""
        n = self._count
        if not len(position) == len(velocity) == len(effort) == n:
            raise ValueError(f"expected {n} positions, velocities and efforts")
        numbers = self._numbers.pack(n, *position, n, *velocity, n, *effort)
        return ENCAPSULATION + _stamp(time_ns) + self._head + numbers
