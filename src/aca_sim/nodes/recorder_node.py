"""The MCAP recorder: every topic of the graph into one .mcap file (profile ros2, CDR).

It does what `ros2 bag record -a -s mcap` does, for machines without rosbag2: it looks at the
graph every `discovery_period_s`, subscribes to each new topic with raw (serialized)
subscriptions and a QoS matching its publishers (transient local when they all are, best
effort when any is), and writes each message's CDR bytes unchanged. Schemas are the full
`ros2msg` definitions (aca_sim.recording.message_definitions), and every channel carries the
publishers' `offered_qos_profiles` (aca_sim.recording.qos_metadata), so rosbag2, Foxglove and
mcap-ros2-support read the file and `ros2 bag play` offers the recorded QoS. Hidden topics
(a name part starting with '_', such as action feedback) are left out unless `include_hidden`
is true, as rosbag2 does.

Log and publish times are the node clock at reception, in ns: wall time by default, sim time
with use_sim_time:=true (so the recording's timeline is sim time).
The file is finished (summary and index written) when the node is destroyed (Ctrl-C, SIGTERM).
A callback also takes what else is queued on its topic (up to DRAIN_PER_CALLBACK): the
executor rebuilds its wait set for every message it hands out, which was most of the
recorder's time.

In the simulator's own process (the main job), `tap_topics` are recorded through `tap()`
instead of subscriptions: the sim node hands its /clock and /joint_states messages over on
its physics thread as CDR bytes, a batch of ticks at a time (SimNode.add_tick_sink), with no
DDS in between (as rosbag2's recorder composed into the publishers' process). The tapped
/clock is then the recorder's clock: other messages are stamped with the latest tapped sim
time (0 before the first, as with use_sim_time before the first /clock), so no /clock
subscription is needed either.
Thread rule: callbacks run on the node's executor, taps on the caller's thread; the writer is
used under a lock.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import foxglove
from foxglove.mcap import MCAPCompression, MCAPWriteOptions
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

from aca_sim.recording.message_definitions import UnknownMessageType, full_definition
from aca_sim.recording.qos_metadata import OfferedQos, offered_qos_profiles
from aca_sim.ros.parameters import read_only_parameter
from aca_sim.ros.spinning import run_node

DRAIN_PER_CALLBACK = 256  # messages taken per callback beyond the one the executor took


def take_raw(subscription: Any) -> bytes | None:
    """The next queued message of a raw subscription as CDR bytes, or None when none is
    queued (rclpy's Subscription.handle.take_message, as the executor takes it)."""
    with subscription.handle:
        taken = subscription.handle.take_message(subscription.msg_type, True)
    return None if taken is None else taken[0]


def message_class(type_name: str) -> Any:
    """The Python class of 'pkg/msg/Type'."""
    package, kind, name = type_name.split("/")
    return getattr(importlib.import_module(f"{package}.{kind}"), name)


def _offer(qos: QoSProfile) -> OfferedQos:
    """A publisher's QoS (from graph discovery) as plain data for the channel metadata."""
    return OfferedQos(
        history=qos.history.name.lower(),
        depth=qos.depth,
        reliability=qos.reliability.name.lower(),
        durability=qos.durability.name.lower(),
        deadline_ns=qos.deadline.nanoseconds,
        lifespan_ns=qos.lifespan.nanoseconds,
        liveliness=qos.liveliness.name.lower(),
        liveliness_lease_duration_ns=qos.liveliness_lease_duration.nanoseconds,
        avoid_ros_namespace_conventions=qos.avoid_ros_namespace_conventions,
    )


def is_hidden(topic: str) -> bool:
    """True for topics ROS tools hide by default (a name part starting with '_')."""
    return any(part.startswith("_") for part in topic.split("/") if part)


class RecorderNode(Node):
    """Records every (non-hidden) topic to the MCAP file named by the `output` parameter."""

    def __init__(self, *, tap_topics: Sequence[str] = (), **kwargs: Any) -> None:
        """tap_topics: topics recorded through tap() (same process), not subscribed to."""
        super().__init__("recorder", namespace="aca", **kwargs)
        self._tap_topics = set(tap_topics)
        # the latest tapped time is the clock when tapping; 0 until the first tapped message,
        # as a node with use_sim_time reads before the first /clock
        self._tapped_ns: int | None = 0 if tap_topics else None
        self._lock = threading.Lock()

        def param(name: str, default: Any, description: str) -> Any:
            return read_only_parameter(self, name, default, description)

        output = Path(
            param("output", "aca_recording.mcap", "the .mcap file to write (overwritten)")
        )
        self.include_hidden = bool(
            param("include_hidden", False, "also record hidden topics (action feedback, status)")
        )
        period = float(param("discovery_period_s", 0.5, "how often to look for new topics, s"))
        if period <= 0:
            raise ValueError(f"discovery_period_s must be > 0, got {period}")
        output.parent.mkdir(parents=True, exist_ok=True)
        self.output = output
        # foxglove-sdk's MCAP writer (Rust): 1.9 us a message against mcap's Python writer's
        # 7.1 (bench: the campaign hands it 775,000 ticks); its own context, so that only
        # this recorder's channels go into the file
        self._mcap_context = foxglove.Context()
        options = MCAPWriteOptions(
            profile="ros2", chunk_size=4 << 20, compression=MCAPCompression.Zstd
        )
        self._writer = foxglove.open_mcap(
            output, allow_overwrite=True, context=self._mcap_context, writer_options=options
        )
        self._schemas: dict[str, foxglove.Schema] = {}
        self._recorded: dict[str, Any] = {}
        self._skipped: set[str] = set()
        self.counts: Counter[str] = Counter()
        self._finished = False
        self._discover()
        # Wall-clock timer: with use_sim_time the node clock stands still until /clock flows.
        steady = Clock(clock_type=ClockType.STEADY_TIME)
        self._timer = self.create_timer(period, self._discover, clock=steady)

    def _discover(self) -> None:
        for topic, types in self.get_topic_names_and_types():
            if topic in self._recorded or topic in self._skipped or topic in self._tap_topics:
                continue
            if is_hidden(topic) and not self.include_hidden:
                continue
            try:
                self._subscribe(topic, types[0])
            except (UnknownMessageType, ImportError, AttributeError, ValueError) as error:
                self._skipped.add(topic)
                self.get_logger().warn(f"not recording {topic} ({types[0]}): {error}")

    @staticmethod
    def _qos_for(profiles: list[QoSProfile]) -> QoSProfile:
        """The subscription QoS that matches every offer (rosbag2's rule)."""
        latched = bool(profiles) and all(
            p.durability == DurabilityPolicy.TRANSIENT_LOCAL for p in profiles
        )
        best_effort = any(p.reliability == ReliabilityPolicy.BEST_EFFORT for p in profiles)
        return QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=1000,
            reliability=ReliabilityPolicy.BEST_EFFORT
            if best_effort
            else ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.TRANSIENT_LOCAL if latched else DurabilityPolicy.VOLATILE,
        )

    def _channel(self, topic: str, type_name: str) -> tuple[foxglove.Channel, list[QoSProfile]]:
        """Register a topic's channel (and its type's schema); the channel and the offers."""
        with self._lock:
            if type_name not in self._schemas:
                definition = full_definition(type_name).encode()
                self._schemas[type_name] = foxglove.Schema(
                    name=type_name, encoding="ros2msg", data=definition
                )
            offered = [p.qos_profile for p in self.get_publishers_info_by_topic(topic)]
            metadata = {"offered_qos_profiles": offered_qos_profiles([_offer(q) for q in offered])}
            channel = foxglove.Channel(
                topic,
                schema=self._schemas[type_name],
                message_encoding="cdr",
                context=self._mcap_context,
                metadata=metadata,
            )
        return channel, offered

    def _write(self, topic: str, channel: foxglove.Channel, data: bytes, now: int) -> None:
        """Write one message stamped `now` (ns; log and publish time; the writer numbers
        each channel's messages from 1)."""
        with self._lock:
            if self._finished:
                return
            channel.log(data, log_time=now)
            self.counts[topic] += 1

    def _now_ns(self) -> int:
        """The recording's clock: the latest tapped time when tapping, else the node's."""
        tapped = self._tapped_ns
        return self.get_clock().now().nanoseconds if tapped is None else tapped

    def tap(self, types: Mapping[str, str]) -> Callable[[Sequence[tuple[str, bytes, int]]], None]:
        """Record topics from this process: `types` maps each (a tap topic) to its type name;
        returns a function taking a batch of (topic, CDR bytes, time in ns) that writes the
        messages in order, stamped with their times, on the calling thread (one lock per
        batch). The topics' publishers must exist (their QoS goes into the channels'
        metadata)."""
        unknown = sorted(set(types) - self._tap_topics)
        if unknown:
            raise ValueError(f"{unknown} are not tap topics {sorted(self._tap_topics)}")
        logs = {topic: self._channel(topic, kind)[0].log for topic, kind in types.items()}
        counts = self.counts

        def record(batch: Sequence[tuple[str, bytes, int]]) -> None:
            if not batch:
                return
            with self._lock:
                if self._finished:
                    return
                for topic, data, time_ns in batch:
                    logs[topic](data, log_time=time_ns)
                    counts[topic] += 1
                self._tapped_ns = batch[-1][2]

        return record

    def _subscribe(self, topic: str, type_name: str) -> None:
        cls = message_class(type_name)
        channel, offered = self._channel(topic, type_name)

        def write(data: bytes, now: int) -> None:
            self._write(topic, channel, data, now)

        def on_message(data: bytes) -> None:
            if self._finished:
                return
            now = self._now_ns()
            write(data, now)
            # Take what else is queued on this topic now, up to a bound: the executor would
            # rebuild its wait set for every one of them (most of the recorder's time).
            for _ in range(DRAIN_PER_CALLBACK):
                taken = take_raw(subscription)
                if taken is None:
                    return
                write(taken, now)

        subscription = self.create_subscription(
            cls, topic, on_message, self._qos_for(offered), raw=True
        )
        self._recorded[topic] = subscription
        self.get_logger().info(f"recording {topic} ({type_name})")

    @property
    def topics(self) -> list[str]:
        """The topics being recorded."""
        return sorted(self._recorded)

    def finish(self) -> None:
        """Write the MCAP summary and close the file (idempotent)."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
            self._writer.close()
        total = sum(self.counts.values())
        text = f"wrote {total} messages on {len(self.counts)} topics to {self.output}"
        if self.context.ok():
            self.get_logger().info(text)
        else:  # after Ctrl-C the context is shut down and /rosout is gone
            print(f"[aca.recorder] {text}", file=sys.stderr, flush=True)

    def destroy_node(self) -> None:
        """Finish the file and destroy the node."""
        self.finish()
        super().destroy_node()


def main(argv: list[str] | None = None) -> int:
    """Run the recorder until Ctrl-C, SIGTERM or shutdown; return the exit code."""
    return run_node(RecorderNode, "aca_sim recorder", argv)


if __name__ == "__main__":
    sys.exit(main())
