"""The tick messages' CDR bytes are rclpy's serializer's: byte for byte for Clock (no
padding); for JointState the same length and fields (Fast CDR leaves its alignment padding
uninitialised, so its bytes there differ from call to call; ours are zeros)."""

import math

from builtin_interfaces.msg import Time
from hypothesis import given, settings
from hypothesis import strategies as st
from rclpy.serialization import deserialize_message, serialize_message
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from std_msgs.msg import Header

from aca_sim.model.names import ACA_JOINTS
from aca_sim.ros import tick_codec

times_ns = st.integers(min_value=0, max_value=(2**31 - 1) * 10**9 + 999_999_999)
numbers = st.floats(allow_nan=False, width=64)


def _time(time_ns):
    return Time(sec=time_ns // 10**9, nanosec=time_ns % 10**9)


@given(times_ns)
def test_clock_bytes_are_the_serializers(time_ns):
    assert tick_codec.clock(time_ns) == serialize_message(Clock(clock=_time(time_ns)))


@settings(max_examples=200)
@given(
    st.sampled_from([ACA_JOINTS, ("a",), ("ab", "abc"), ("x" * 7, "y", "zz", "w" * 12)]),
    times_ns,
    st.data(),
)
def test_joint_state_bytes_are_the_serializers(names, time_ns, data):
    values = [
        data.draw(st.lists(numbers, min_size=len(names), max_size=len(names))) for _ in range(3)
    ]
    message = JointState(
        header=Header(stamp=_time(time_ns)),
        name=list(names),
        position=values[0],
        velocity=values[1],
        effort=values[2],
    )
    encoded = tick_codec.JointStateEncoder(names).encode(time_ns, *values)
    assert len(encoded) == len(serialize_message(message))
    assert deserialize_message(encoded, JointState) == message
    assert tick_codec.JointStateEncoder(names).encode(time_ns, *values) == encoded


def test_a_joint_state_with_a_value_missing_is_refused():
    encoder = tick_codec.JointStateEncoder(("a", "b"))
    try:
        encoder.encode(0, [1.0], [0.0, 0.0], [0.0, math.pi])
    except ValueError as error:
        assert "expected 2" in str(error)
    else:
        raise AssertionError("a short sequence was encoded")
