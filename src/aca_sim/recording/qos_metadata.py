"""The `offered_qos_profiles` channel metadata of the MCAP ros2 profile (required by it).

rosbag2 (bag format 9, Jazzy) writes, per channel, the QoS profiles the topic's publishers
offered, as a YAML list; `ros2 bag play` reads it back to offer the same QoS (so a latched topic
such as /robot_description is replayed transient local). Policies are lower-case names
("keep_last", "reliable", "transient_local", "automatic"), durations {sec, nsec}; an infinite
duration is RMW_DURATION_INFINITE = {sec: 9223372036, nsec: 854775807}. No rclpy here.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class OfferedQos:
    """One publisher's offered QoS; policies as lower-case names, durations in ns."""

    history: str
    depth: int
    reliability: str
    durability: str
    deadline_ns: int
    lifespan_ns: int
    liveliness: str
    liveliness_lease_duration_ns: int
    avoid_ros_namespace_conventions: bool = False


def _duration(ns: int) -> dict[str, int]:
    return {"sec": ns // NS_PER_S, "nsec": ns % NS_PER_S}


def offered_qos_profiles(offers: list[OfferedQos]) -> str:
    """The YAML text rosbag2 stores for these offers (an empty list when there are none)."""
    return yaml.safe_dump(
        [
            {
                "history": o.history,
                "depth": o.depth,
                "reliability": o.reliability,
                "durability": o.durability,
                "deadline": _duration(o.deadline_ns),
                "lifespan": _duration(o.lifespan_ns),
                "liveliness": o.liveliness,
                "liveliness_lease_duration": _duration(o.liveliness_lease_duration_ns),
                "avoid_ros_namespace_conventions": o.avoid_ros_namespace_conventions,
            }
            for o in offers
        ],
        sort_keys=False,
        default_flow_style=False,
    )
