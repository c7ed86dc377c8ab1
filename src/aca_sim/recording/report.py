"""The run folder's plots and CacheCam images, made from its inventory and its recording.

- plots/insertion_force.png: the peak insertion force of every dispense_seal attempt (from the
  inventory history), per sample, against the dispenser's release limit.
- plots/step_timeline.png: every step of the history as a bar over sim time, one row per step
  kind, coloured by sample, failed steps hatched.
- images/NN_<sample>_<focus>_<sim time>.png: each CacheCam frame of the recording (rim or
  sample in focus), named after the sample whose capture_image step was running when it was
  taken (sim time of the header stamp); the PNG's text chunks say camera, focus, topic, sample
  and sim time.
- plots/rim_series_<sample>.png: a swept tube's frames with captions (recording.rim_series).

No ROS: the recording is read with mcap-ros2-support, the inventory with sqlite3.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless; set before pyplot is imported
import matplotlib.pyplot as plt
import numpy as np

from aca_sim.caching.inventory import Inventory
from aca_sim.model.status import StepStatus
from aca_sim.recording.rim_series import Frame, plot_rim_series, rim_series
from aca_sim.recording.spans import StepSpan, slug, step_spans

__all__ = ["StepSpan", "decoded_messages", "extract_images", "step_spans", "write_report"]

IMAGE_TOPICS = {"rim": "/aca/cachecam/image_raw", "sample": "/aca/cachecam/sample/image_raw"}
FOCUS_OF = {topic: focus for focus, topic in IMAGE_TOPICS.items()}


def plot_insertion_forces(spans: list[StepSpan], release_limit_n: float, path: Path) -> int:
    """Bar chart of each dispense attempt's peak force; return the number of attempts."""
    attempts = [s for s in spans if s.step == "dispense_seal" and "peak_force_n" in s.measurement]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.5 * len(attempts) + 3), 4.2))
    labels = [f"{s.sample_name or s.tube_id}\n#{i}" for i, s in enumerate(attempts, 1)]
    forces = [s.measurement["peak_force_n"] for s in attempts]
    colours = ["tab:green" if s.outcome == StepStatus.SUCCEEDED else "tab:red" for s in attempts]
    ax.bar(range(len(attempts)), forces, color=colours)
    ax.axhline(release_limit_n, color="black", linestyle="--", label="release limit")
    ax.set_xticks(range(len(attempts)), labels, fontsize=7)
    ax.set_ylabel("peak insertion force [N]")
    ax.set_title("Seal insertion force per dispense attempt (green: released, red: stuck)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return len(attempts)


def plot_timeline(spans: list[StepSpan], path: Path) -> None:
    """Gantt chart of the steps over sim time."""
    steps = list(dict.fromkeys(s.step for s in spans))
    samples = list(dict.fromkeys(s.sample_name for s in spans))
    palette = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(11, 0.4 * len(steps) + 1.8))
    for span in spans:
        ax.broken_barh(
            [(span.start_s, max(span.end_s - span.start_s, 0.5))],
            (steps.index(span.step) - 0.4, 0.8),
            facecolors=palette(samples.index(span.sample_name) % 10),
            hatch="xx" if span.outcome != StepStatus.SUCCEEDED else None,
            edgecolor="black" if span.outcome != StepStatus.SUCCEEDED else None,
        )
    ax.set_yticks(range(len(steps)), steps, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("sim time [s]")
    ax.set_title("Step timeline (hatched: failed or interrupted)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=palette(i % 10)) for i, _ in enumerate(samples)]
    ax.legend(handles, [s or "(none)" for s in samples], fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _image_array(message: object) -> np.ndarray:
    """A sensor_msgs/Image (rgb8/bgr8/mono8, decoded by mcap-ros2-support) as an array."""
    height, width, step = message.height, message.width, message.step
    raw = np.frombuffer(bytes(message.data), dtype=np.uint8).reshape(height, step)
    channels = {"rgb8": 3, "bgr8": 3, "rgba8": 4, "mono8": 1}.get(message.encoding)
    if channels is None:
        raise ValueError(f"unsupported image encoding {message.encoding!r}")
    pixels = raw[:, : width * channels].reshape(height, width, channels)
    if message.encoding == "bgr8":
        pixels = pixels[:, :, ::-1]
    return pixels[:, :, 0] if channels == 1 else pixels


def decoded_messages(recording: Path, topics: list[str] | None = None) -> Iterator[Any]:
    """The messages of an MCAP recording (in log-time order), decoded from CDR with the
    file's own schemas."""
    for _topic, decoded in decoded_on_topics(recording, topics):
        yield decoded


def decoded_on_topics(
    recording: Path, topics: list[str] | None = None
) -> Iterator[tuple[str, Any]]:
    """(topic, decoded message) of an MCAP recording, in log-time order."""
    from mcap.reader import make_reader
    from mcap_ros2.decoder import DecoderFactory

    with Path(recording).open("rb") as stream:
        reader = make_reader(stream, decoder_factories=[DecoderFactory()])
        for _schema, channel, _message, decoded in reader.iter_decoded_messages(topics=topics):
            yield channel.topic, decoded


def extract_images(recording: Path, spans: list[StepSpan], out_dir: Path) -> list[Frame]:
    """Write each recorded CacheCam frame as a PNG named after its sample and focus mode,
    with its metadata in the PNG's text chunks; return the frames written."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    captures = [s for s in spans if s.step == "capture_image"]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    rank = {topic: k for k, topic in enumerate(IMAGE_TOPICS.values())}
    # by the frames' own stamps, a capture's rim frame before its sample frame (as taken): a
    # recorder that got them over DDS may have logged the two in either order
    frames = sorted(
        (
            (image.header.stamp.sec + image.header.stamp.nanosec * 1e-9, rank[topic], topic, image)
            for topic, image in decoded_on_topics(recording, list(IMAGE_TOPICS.values()))
        ),
        key=lambda frame: frame[:2],
    )
    for number, (stamp, _rank, topic, image) in enumerate(frames, 1):
        owner = next((c for c in captures if c.start_s - 1e-6 <= stamp <= c.end_s + 1e-6), None)
        name = owner.sample_name if owner else "unassigned"
        focus = FOCUS_OF[topic]
        path = out_dir / f"{number:02d}_{slug(name)}_{focus}_{stamp:08.1f}s.png"
        info = PngInfo()
        for key, value in (
            ("Camera", "CacheCam"),
            ("Focus", f"{focus} in focus"),
            ("Topic", topic),
            ("Sample", name),
            ("SimTime", f"{stamp:.3f} s"),
        ):
            info.add_text(key, value)  # fmt: skip
        pixels = _image_array(image)
        # zlib level 1: a third of the default's time (96 -> 28 ms a frame), files 15 % larger
        Image.fromarray(pixels).save(path, pnginfo=info, compress_level=1)
        written.append(Frame(path, stamp, focus))
    return written


def write_report(run_dir: Path, release_limit_n: float, images: bool = True) -> dict[str, object]:
    """Make the plots (and, from a finished recording.mcap, the images and the rim-dust
    series of each swept tube) of a run folder; return what was written."""
    inventory = Inventory(run_dir / "inventory.db")
    try:
        spans = step_spans(inventory.history())
    finally:
        inventory.close()
    plots = run_dir / "plots"
    plots.mkdir(exist_ok=True)
    attempts = plot_insertion_forces(spans, release_limit_n, plots / "insertion_force.png")
    plot_timeline(spans, plots / "step_timeline.png")
    recording = run_dir / "recording.mcap"
    written = []
    if images and recording.exists():
        written = extract_images(recording, spans, run_dir / "images")
    report: dict[str, object] = {
        "release_limit_n": release_limit_n,
        "dispense_attempts": attempts,
        "steps": len(spans),
        "images": len(written),
    }
    series = plot_rim_series(rim_series(spans), written, plots)
    if series:
        report["rim_series"] = series
    return report


MANIFEST = "manifest.json"


def write_manifest(run_dir: Path, fields: Mapping[str, Any], report: Mapping[str, Any]) -> None:
    """Write run_dir/manifest.json: the run's fields and its report (write_report's dict,
    which holds the seal release limit the run had)."""
    manifest = {**fields, "report": dict(report)}
    (run_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def manifest_release_limit(run_dir: Path) -> float | None:
    """The seal release limit (N) a run folder's manifest.json records; None when it has no
    manifest or the manifest says none."""
    try:
        manifest = json.loads((run_dir / MANIFEST).read_text())
    except FileNotFoundError:
        return None
    limit = manifest.get("report", {}).get("release_limit_n")
    return None if limit is None else float(limit)
