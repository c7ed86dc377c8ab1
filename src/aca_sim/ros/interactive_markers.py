"""An interactive-marker server speaking the protocol of ROS 2 Jazzy's interactive_markers
(what rviz2's InteractiveMarkers display talks to), written for this project:

- `<ns>/get_interactive_markers` (visualization_msgs/srv/GetInteractiveMarkers): every
  marker and the current sequence number; a client starts from it;
- `<ns>/update` (visualization_msgs/msg/InteractiveMarkerUpdate, reliable, depth 100): one
  UPDATE per apply_changes() with seq_num one higher than the last (a client that sees a gap
  asks the service again), carrying new/changed markers, pose changes and erases;
- `<ns>/feedback` (visualization_msgs/msg/InteractiveMarkerFeedback): the client's drags,
  clicks and menu picks (depth 10, where interactive_markers keeps 1: a release or a menu
  pick that follows a drag update closely must not be dropped). A POSE_UPDATE moves the
  stored marker; feedback from a second client for a marker another client touched less
  than 1 s ago is ignored.

Menus: menu_entries() turns a tree of (title, payload) into MenuEntry rows (ids from 1,
parent 0 = top level) and the id -> payload table a MENU_SELECT is resolved with.

Thread rule: use from the node's executor thread only (callbacks run there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from geometry_msgs.msg import Pose
from rclpy.node import Node
from rclpy.qos import QoSProfile
from std_msgs.msg import Header
from visualization_msgs.msg import (
    InteractiveMarker,
    InteractiveMarkerFeedback,
    InteractiveMarkerPose,
    InteractiveMarkerUpdate,
    MenuEntry,
)
from visualization_msgs.srv import GetInteractiveMarkers

FeedbackCallback = Callable[[InteractiveMarkerFeedback], None]
CLIENT_LOCK_S = 1.0


@dataclass
class _Pending:
    """A change waiting for apply_changes: a full marker, a new pose, or an erase."""

    kind: str  # "full", "pose" or "erase"
    marker: InteractiveMarker | None = None
    pose: Pose | None = None
    header: Header | None = None


@dataclass
class _Context:
    marker: InteractiveMarker
    callback: FeedbackCallback | None
    last_client: str = ""
    last_feedback_s: float = -1e9


class InteractiveMarkerServer:
    """Interactive markers under one topic namespace; see the module docstring."""

    def __init__(self, node: Node, topic_namespace: str) -> None:
        self.node, self.topic_namespace = node, topic_namespace
        self.seq_num = 0
        self._markers: dict[str, _Context] = {}
        self._pending: dict[str, _Pending] = {}
        self._callbacks: dict[str, FeedbackCallback | None] = {}
        self.update_pub = node.create_publisher(
            InteractiveMarkerUpdate, f"{topic_namespace}/update", QoSProfile(depth=100)
        )
        self.feedback_sub = node.create_subscription(
            InteractiveMarkerFeedback, f"{topic_namespace}/feedback", self._on_feedback, 10
        )
        self.service = node.create_service(
            GetInteractiveMarkers, f"{topic_namespace}/get_interactive_markers", self._on_get
        )

    # ------------------------------------------------------------------ changes
    def insert(self, marker: InteractiveMarker, callback: FeedbackCallback | None = None) -> None:
        """Add or replace a marker (sent whole at the next apply_changes)."""
        self._pending[marker.name] = _Pending("full", marker=marker)
        self._callbacks[marker.name] = callback

    def set_pose(self, name: str, pose: Pose, header: Header | None = None) -> bool:
        """Move a marker (a pose-only update); False when there is no such marker."""
        pending = self._pending.get(name)
        if pending is not None and pending.kind == "full" and pending.marker is not None:
            pending.marker.pose = pose
            if header is not None:
                pending.marker.header = header
            return True
        if name not in self._markers or (pending is not None and pending.kind == "erase"):
            return False
        self._pending[name] = _Pending("pose", pose=pose, header=header)
        return True

    def erase(self, name: str) -> bool:
        """Remove a marker; False when there is no such marker."""
        if name not in self._markers and name not in self._pending:
            return False
        self._pending[name] = _Pending("erase")
        return True

    def get(self, name: str) -> InteractiveMarker | None:
        """A marker as it will be after the pending changes."""
        pending = self._pending.get(name)
        if pending is not None and pending.kind == "erase":
            return None
        if pending is not None and pending.kind == "full":
            return pending.marker
        context = self._markers.get(name)
        if context is None:
            return None
        if pending is not None and pending.pose is not None:
            context.marker.pose = pending.pose
        return context.marker

    @property
    def names(self) -> list[str]:
        """The markers clients see (after the last apply_changes)."""
        return sorted(self._markers)

    def apply_changes(self) -> bool:
        """Publish the pending changes as one UPDATE with the next seq_num; False (and
        nothing sent) when nothing is pending."""
        if not self._pending:
            return False
        update = InteractiveMarkerUpdate(type=InteractiveMarkerUpdate.UPDATE)
        for name, pending in self._pending.items():
            if pending.kind == "full" and pending.marker is not None:
                context = self._markers.get(name)
                callback = self._callbacks.get(name)
                if context is None:
                    self._markers[name] = _Context(pending.marker, callback)
                else:
                    context.marker, context.callback = pending.marker, callback
                update.markers.append(pending.marker)
            elif pending.kind == "pose" and name in self._markers:
                marker = self._markers[name].marker
                marker.pose = pending.pose
                if pending.header is not None:
                    marker.header = pending.header
                update.poses.append(
                    InteractiveMarkerPose(header=marker.header, pose=marker.pose, name=name)
                )
            elif pending.kind == "erase" and name in self._markers:
                del self._markers[name]
                update.erases.append(name)
        self._pending.clear()
        self.seq_num += 1
        update.seq_num = self.seq_num
        self.update_pub.publish(update)
        return True

    # ------------------------------------------------------------------ clients
    def _on_get(
        self, _request: Any, response: GetInteractiveMarkers.Response
    ) -> GetInteractiveMarkers.Response:
        response.sequence_number = self.seq_num
        response.markers = [self._markers[name].marker for name in sorted(self._markers)]
        return response

    def _on_feedback(self, feedback: InteractiveMarkerFeedback) -> None:
        context = self._markers.get(feedback.marker_name)
        if context is None:
            return
        now_s = self.node.get_clock().now().nanoseconds * 1e-9
        if (
            feedback.client_id != context.last_client
            and now_s - context.last_feedback_s < CLIENT_LOCK_S
        ):
            return  # another client is using this marker
        context.last_client, context.last_feedback_s = feedback.client_id, now_s
        if feedback.event_type == InteractiveMarkerFeedback.POSE_UPDATE:
            header = feedback.header if feedback.header.frame_id else None
            self.set_pose(feedback.marker_name, feedback.pose, header)
        if context.callback is not None:
            context.callback(feedback)


MenuTree = Sequence[tuple[str, Any]]  # (title, payload) or (title, MenuTree) for a submenu


def menu_entries(tree: Iterable[tuple[str, Any]]) -> tuple[list[MenuEntry], dict[int, Any]]:
    """MenuEntry rows of a menu tree (a payload that is a list/tuple of pairs is a submenu)
    and the table from entry id to payload for the leaves."""
    entries: list[MenuEntry] = []
    payloads: dict[int, Any] = {}

    def add(items: Iterable[tuple[str, Any]], parent: int) -> None:
        for title, payload in items:
            entry_id = len(entries) + 1
            entries.append(
                MenuEntry(
                    id=entry_id,
                    parent_id=parent,
                    title=title,
                    command_type=MenuEntry.FEEDBACK,
                )
            )
            if isinstance(payload, list | tuple):
                add(payload, entry_id)
            else:
                payloads[entry_id] = payload

    add(tree, 0)
    return entries, payloads
