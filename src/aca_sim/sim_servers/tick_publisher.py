"""What the sim publishes as sim time passes: /clock and /joint_states at every tick, the tube
and dispenser records when they changed (looked at every few ticks) and again now and then
while they do not, and the last joint states again while nothing steps.

/clock and /joint_states are encoded once as CDR (ros.tick_codec) and published raw; one that
nobody takes (no subscriber, no sink) is not encoded. Sinks (an in-process recorder) get the
same bytes. The records' messages are converted again only when the records changed.

Thread rules: on_ticks(), publish_now() and publish_changes() on the physics thread (or before
it starts); repeat_joints() on the executor thread; add_sink() before goals run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aca_interfaces.msg import DispenserStateArray, TubeStateArray
from rclpy.node import Node
from rclpy.publisher import Publisher
from rclpy.qos import DurabilityPolicy, QoSProfile
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from std_msgs.msg import Header

from aca_sim.model.names import ACA_JOINTS, ROOT_FRAME
from aca_sim.ros import conversions, tick_codec
from aca_sim.sim.aca import Aca
from aca_sim.sim.runner import Tick

TickSink = Callable[[Sequence[tuple[str, bytes, int]]], None]
"""Takes the /clock and /joint_states messages of a batch of ticks, in order, as (topic, CDR
bytes, sim time ns)."""
IDLE_JOINTS_PERIOD_S = 0.2  # wall s between repeated joint states while nothing steps

JointStates = list[tuple[float, float, float]]


@dataclass(frozen=True)
class _Outlet:
    """A tick publisher and its topic's full name (read once: rclpy asks rcl each time)."""

    publisher: Publisher
    topic: str


class TickPublisher:
    """The sim node's time-driven publishers (/clock, /joint_states, tubes, dispensers)."""

    def __init__(self, node: Node, state_every: int, repeat_every: int) -> None:
        """state_every: ticks between two looks at the tube/dispenser records (>= 1); records
        that changed go out then. repeat_every: ticks after which unchanged records go out
        again (>= 1)."""
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.clock_pub = node.create_publisher(Clock, "/clock", 10)
        self.joint_pub = node.create_publisher(JointState, "/joint_states", 10)
        self.tubes_pub = node.create_publisher(TubeStateArray, "tubes", latched)
        self.dispensers_pub = node.create_publisher(DispenserStateArray, "dispensers", latched)
        self._clock = _Outlet(self.clock_pub, self.clock_pub.topic_name)
        self._joints = _Outlet(self.joint_pub, self.joint_pub.topic_name)
        self._state_every = state_every
        self._repeat_every = repeat_every
        self._ticks = 0
        self._state_sent_tick = 0
        self._sinks: list[TickSink] = []
        self._joint_encoder = tick_codec.JointStateEncoder(ACA_JOINTS)
        self._state_records: tuple[tuple, tuple] | None = None
        self._state_msgs: tuple[list, list] = ([], [])
        self._last_joints: tuple[float, JointStates] = (0.0, [])
        self._last_joints_wall = 0.0

    def add_sink(self, sink: TickSink) -> None:
        """Also hand every /clock and /joint_states message to `sink`, on the physics thread,
        one call per batch of ticks."""
        self._sinks.append(sink)

    def on_ticks(self, aca: Aca, ticks: Sequence[Tick]) -> None:
        """Physics thread: the ticks the last steps started (PhysicsRunner), in order. Who
        subscribes is asked once per call, not per tick."""
        clock_live = self.clock_pub.get_subscription_count() > 0
        joints_live = self.joint_pub.get_subscription_count() > 0
        batch: list[tuple[str, bytes, int]] | None = [] if self._sinks else None
        for tick in ticks:
            time_ns = round(tick.time_s * 1e9)
            if clock_live or batch is not None:
                self._emit(self._clock, clock_live, batch, tick_codec.clock(time_ns), time_ns)
            if joints_live or batch is not None:
                position, velocity, effort = zip(*tick.joint_states, strict=True)
                data = self._joint_encoder.encode(time_ns, position, velocity, effort)
                self._emit(self._joints, joints_live, batch, data, time_ns)
            self._ticks += 1
            if self._ticks % self._state_every == 0:
                repeat = self._ticks - self._state_sent_tick >= self._repeat_every
                self._publish_state(aca, tick.time_s, unchanged_too=repeat)
        if batch:
            for sink in self._sinks:
                sink(batch)
        if ticks:
            self._last_joints = (ticks[-1].time_s, ticks[-1].joint_states)
            self._last_joints_wall = time.monotonic()

    def publish_now(self, aca: Aca) -> None:
        """The records and the joint states as they are now (at start, after a reset or a
        restore)."""
        self._publish_state(aca, aca.time_s, unchanged_too=True)
        self._last_joints = (aca.time_s, aca.world.mech.joint_states())
        self.joint_pub.publish(_joint_message(*self._last_joints))
        self._last_joints_wall = time.monotonic()

    def publish_changes(self, aca: Aca) -> None:
        """The tube and dispenser records now, if they changed since the last ones sent."""
        self._publish_state(aca, aca.time_s, unchanged_too=False)

    def repeat_joints(self, idle: bool) -> None:
        """Executor thread: while the world stands still (idle), repeat the last joint states a
        few times a second, as a robot's joint-state broadcaster does, so that a node started
        later (a tf publisher, a teleop page) learns where the arm is."""
        if idle and time.monotonic() - self._last_joints_wall >= IDLE_JOINTS_PERIOD_S:
            self.joint_pub.publish(_joint_message(*self._last_joints))
            self._last_joints_wall = time.monotonic()

    @staticmethod
    def _emit(
        out: _Outlet,
        live: bool,
        batch: list[tuple[str, bytes, int]] | None,
        data: bytes,
        time_ns: int,
    ) -> None:
        """Publish CDR bytes (live: someone subscribes) and add them to the sinks' batch."""
        if live:
            out.publisher.publish(data)
        if batch is not None:
            batch.append((out.topic, data, time_ns))

    def _publish_state(self, aca: Aca, time_s: float, unchanged_too: bool) -> None:
        """The tube and dispenser records, stamped time_s, if they changed since the last ones
        sent or unchanged_too."""
        world = aca.world
        records = (tuple(world.tubes.items()), tuple(world.dispensers.items()))
        if records == self._state_records and not unchanged_too:
            return
        if records != self._state_records:
            self._state_records = records
            self._state_msgs = (
                [conversions.tube_msg(world.tubes[t]) for t in sorted(world.tubes)],
                [conversions.dispenser_msg(world.dispensers[d]) for d in sorted(world.dispensers)],
            )
        self._state_sent_tick = self._ticks
        tubes, dispensers = self._state_msgs
        header = Header(stamp=conversions.sim_time(time_s), frame_id=ROOT_FRAME)
        self.tubes_pub.publish(TubeStateArray(header=header, tubes=tubes))
        self.dispensers_pub.publish(DispenserStateArray(header=header, dispensers=dispensers))


def _joint_message(time_s: float, states: JointStates) -> JointState:
    return JointState(
        header=Header(stamp=conversions.sim_time(time_s)),
        name=list(ACA_JOINTS),
        position=[q for q, _, _ in states],
        velocity=[v for _, v, _ in states],
        effort=[e for _, _, e in states],
    )
