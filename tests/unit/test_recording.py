"""MCAP schemas (ros2msg text) and the run-folder report: plots from the inventory history,
CacheCam images from a recording, named after their sample."""

import io

import numpy as np
import pytest
from mcap.writer import Writer
from rclpy.serialization import serialize_message
from sensor_msgs.msg import Image, JointState

from aca_sim.caching.inventory import Inventory
from aca_sim.model.kinds import TubeKind
from aca_sim.model.locations import Location
from aca_sim.model.records import Tube
from aca_sim.recording.message_definitions import (
    SEPARATOR,
    UnknownMessageType,
    dependencies,
    full_definition,
)
from aca_sim.recording.report import decoded_messages, extract_images, step_spans, write_report
from aca_sim.recording.rim_series import series_markdown


def test_a_definition_carries_every_dependency_once():
    text = full_definition("sensor_msgs/msg/JointState")
    assert text.startswith("# This is a message that holds data")
    assert text.count(f"{SEPARATOR}\nMSG: std_msgs/Header\n") == 1
    assert text.count(f"{SEPARATOR}\nMSG: builtin_interfaces/Time\n") == 1


def test_dependencies_skip_primitives_constants_and_bounds():
    text = "uint8 A=1\nstring<=5 s\nfloat64[3] xs\nPoint p  # local\ngeometry_msgs/Pose[] ps\n"
    assert dependencies("geometry_msgs", text) == [
        ("geometry_msgs", "Point"),
        ("geometry_msgs", "Pose"),
    ]


def test_an_unknown_type_is_named():
    with pytest.raises(UnknownMessageType, match="nosuch_msgs"):
        full_definition("nosuch_msgs/msg/Thing")


def record(messages):
    """An MCAP in memory with our schemas and rclpy's CDR bytes, as the recorder writes it."""
    buffer = io.BytesIO()
    writer = Writer(buffer)
    writer.start(profile="ros2")
    channels = {}
    for topic, message, time_ns in messages:
        type_name = type(message).__module__.split(".")[0] + "/msg/" + type(message).__name__
        if topic not in channels:
            schema = writer.register_schema(
                type_name, "ros2msg", full_definition(type_name).encode()
            )
            channels[topic] = writer.register_channel(topic, "cdr", schema)
        writer.add_message(channels[topic], time_ns, serialize_message(message), time_ns)
    writer.finish()
    buffer.seek(0)
    return buffer


def test_rclpy_cdr_bytes_decode_with_our_schema(tmp_path):
    state = JointState(name=["sha_z", "sha_elbow"], position=[0.1, -0.2])
    state.header.stamp.sec, state.header.frame_id = 7, "aca_base"
    path = tmp_path / "r.mcap"
    path.write_bytes(record([("/joint_states", state, 7_000_000_000)]).getvalue())
    (decoded,) = list(decoded_messages(path))
    assert list(decoded.name) == ["sha_z", "sha_elbow"]
    assert list(decoded.position) == [0.1, -0.2]
    assert (decoded.header.stamp.sec, decoded.header.frame_id) == (7, "aca_base")


def inventory_with_history(path):
    inventory = Inventory(path)
    inventory.initialise([Tube(201, TubeKind.SAMPLE, 1, Location.storage(1))], {1: 7}, {})
    for step, start, end, outcome, force in [
        ("retrieve_tube", 0.0, 20.0, "succeeded", None),
        ("capture_image", 20.0, 25.0, "succeeded", None),
        ("dispense_seal", 25.0, 40.0, "failed", 171.0),
        ("dispense_seal", 50.0, 60.0, "succeeded", 120.0),
    ]:
        step_id = inventory.begin_step(step, 201, start, "Mageik")
        measurement = {} if force is None else {"peak_force_n": force}
        inventory.end_step(step_id, outcome, end, measurement=measurement)
    return inventory


def test_report_plots_and_images_come_from_the_run_folder(tmp_path):
    inventory = inventory_with_history(tmp_path / "inventory.db")
    spans = step_spans(inventory.history())
    inventory.close()
    assert [(s.step, s.outcome, s.start_s, s.end_s) for s in spans][2] == (
        "dispense_seal",
        "failed",
        25.0,
        40.0,
    )
    pixels = np.zeros((4, 6, 3), dtype=np.uint8)
    pixels[1, 2] = (255, 0, 0)
    image = Image(height=4, width=6, encoding="rgb8", step=18, data=pixels.tobytes())
    image.header.stamp.sec = 25  # taken at the end of capture_image
    (tmp_path / "recording.mcap").write_bytes(
        record([("/aca/cachecam/image_raw", image, 25_000_000_000)]).getvalue()
    )
    report = write_report(tmp_path, release_limit_n=150.0)
    assert report == {"release_limit_n": 150.0, "dispense_attempts": 2, "steps": 4, "images": 1}
    for name in ("plots/insertion_force.png", "plots/step_timeline.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    (written,) = sorted((tmp_path / "images").iterdir())
    assert not list((tmp_path / "plots").glob("rim_series_*"))  # no tube was swept
    assert written.name == "01_Mageik_rim_000025.0s.png"
    from PIL import Image as PilImage

    with PilImage.open(written) as back:
        assert back.size == (6, 4) and back.getpixel((2, 1)) == (255, 0, 0)
        assert back.text == {
            "Camera": "CacheCam",
            "Focus": "rim in focus",
            "Topic": "/aca/cachecam/image_raw",
            "Sample": "Mageik",
            "SimTime": "25.000 s",
        }


def test_images_outside_any_capture_are_marked_unassigned(tmp_path):
    image = Image(height=1, width=1, encoding="mono8", step=1, data=b"\x80")
    image.header.stamp.sec = 999
    path = tmp_path / "r.mcap"
    path.write_bytes(record([("/aca/cachecam/sample/image_raw", image, 1)]).getvalue())
    (frame,) = extract_images(path, [], tmp_path / "images")
    assert frame.path.name == "01_unassigned_sample_000999.0s.png"
    assert (frame.stamp_s, frame.focus) == (999.0, "sample")


def test_a_swept_tube_gets_its_rim_series_with_falling_estimates_in_the_captions(tmp_path):
    """Mageik's story in miniature: imaged at caching, the seal sticks, the ground images the
    rim, sweeps twice and images it after each round."""
    inventory = Inventory(tmp_path / "inventory.db")
    inventory.initialise([Tube(201, TubeKind.SAMPLE, 1, Location.storage(1))], {1: 7}, {})
    rows = [
        ("capture_image", 10.0, 12.0, "succeeded", {"rim_dust_estimate": 0.81}),
        ("dispense_seal", 20.0, 30.0, "failed", {"peak_force_n": 150.2}),
        ("capture_image", 40.0, 42.0, "succeeded", {"rim_dust_estimate": 0.81}),
        ("sweep_bore", 50.0, 60.0, "succeeded", {"sweeps_done": 12.0, "rim_dust_after": 0.5}),
        ("capture_image", 70.0, 72.0, "succeeded", {"rim_dust_estimate": 0.52}),
        ("sweep_bore", 80.0, 90.0, "succeeded", {"sweeps_done": 12.0, "rim_dust_after": 0.3}),
        ("capture_image", 95.0, 97.0, "succeeded", {"rim_dust_estimate": 0.3}),
    ]
    for step, start, end, outcome, measurement in rows:
        step_id = inventory.begin_step(step, 201, start, "Mageik")
        inventory.end_step(step_id, outcome, end, measurement=measurement)
    inventory.close()
    frames = []
    for stamp in (12, 42, 72, 97):
        for topic in ("/aca/cachecam/image_raw", "/aca/cachecam/sample/image_raw"):
            image = Image(height=2, width=2, encoding="mono8", step=2, data=bytes([stamp] * 4))
            image.header.stamp.sec = stamp
            frames.append((topic, image, stamp * 1_000_000_000))
    (tmp_path / "recording.mcap").write_bytes(record(frames).getvalue())
    report = write_report(tmp_path, release_limit_n=150.0)
    assert [entry["caption"] for entry in report["rim_series"]] == [
        "Mageik, at caching, sim 12 s: rim dust ~0.81",
        "Mageik, before sweeping, sim 42 s: rim dust ~0.81",
        "Mageik, after round 1 (12 sweeps), sim 72 s: rim dust ~0.52",
        "Mageik, after round 2 (24 sweeps), sim 97 s: rim dust ~0.30",
    ]
    assert [entry["image"] for entry in report["rim_series"]] == [
        "01_Mageik_rim_000012.0s.png",
        "03_Mageik_rim_000042.0s.png",
        "05_Mageik_rim_000072.0s.png",
        "07_Mageik_rim_000097.0s.png",
    ]
    assert len(list((tmp_path / "images").glob("*_sample_*.png"))) == 4
    assert (tmp_path / "plots/rim_series_Mageik.png").read_bytes()[:4] == b"\x89PNG"
    text = series_markdown(report["rim_series"])
    assert "- Mageik, after round 2 (24 sweeps), sim 97 s: rim dust ~0.30 (images/07_" in text


def test_offered_qos_metadata_is_rosbag2s_yaml():
    """The channel metadata rosbag2 (bag format 9) writes and `ros2 bag play` reads back."""
    import yaml

    from aca_sim.recording.qos_metadata import OfferedQos, offered_qos_profiles

    infinite_ns = 9223372036854775807  # RMW_DURATION_INFINITE as rclpy reports it
    latched = OfferedQos("keep_last", 1, "reliable", "transient_local", infinite_ns, 0,
                         "automatic", infinite_ns)  # fmt: skip
    [profile] = yaml.safe_load(offered_qos_profiles([latched]))
    assert profile == {
        "history": "keep_last",
        "depth": 1,
        "reliability": "reliable",
        "durability": "transient_local",
        "deadline": {"sec": 9223372036, "nsec": 854775807},
        "lifespan": {"sec": 0, "nsec": 0},
        "liveliness": "automatic",
        "liveliness_lease_duration": {"sec": 9223372036, "nsec": 854775807},
        "avoid_ros_namespace_conventions": False,
    }
    assert list(profile) == [
        "history", "depth", "reliability", "durability", "deadline", "lifespan", "liveliness",
        "liveliness_lease_duration", "avoid_ros_namespace_conventions",
    ]  # fmt: skip
    assert yaml.safe_load(offered_qos_profiles([])) == []


def test_a_frame_as_compressed_image_is_a_png_of_the_same_pixels():
    import io

    from PIL import Image as PilImage

    from aca_sim.ros.conversions import compressed_png_msg

    rgb = np.random.default_rng(3).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    message = compressed_png_msg(rgb, 12.5, "cachecam_optical_frame")
    assert message.format == "png" and message.header.frame_id == "cachecam_optical_frame"
    assert (message.header.stamp.sec, message.header.stamp.nanosec) == (12, 500_000_000)
    with PilImage.open(io.BytesIO(bytes(message.data))) as back:
        assert back.format == "PNG" and np.array_equal(np.asarray(back), rgb)
