"""The interactive markers of the teleop node, as visualization_msgs messages: the fork
target (drag in the plane, along Z, turn in yaw; its colour and text say what the target is
doing) and the clickable things that carry a context menu (storage slots, seal dispensers,
stations). Frames: aca_frame for the fork target; the slot, station and seal_carousel frames
for the rest; m.
"""

from __future__ import annotations

import math

from geometry_msgs.msg import Point, Pose, Quaternion, Vector3
from std_msgs.msg import ColorRGBA, Header
from visualization_msgs.msg import InteractiveMarker, InteractiveMarkerControl, Marker, MenuEntry

from aca_sim.model.status import TargetState

# What the fork target is doing -> its colour.
TARGET_COLOURS = {
    TargetState.IDLE: (0.3, 0.6, 1.0, 0.8),
    TargetState.DRAGGING: (1.0, 0.85, 0.1, 0.9),
    TargetState.MOVING: (1.0, 0.55, 0.0, 0.9),
    TargetState.FAILED: (0.95, 0.1, 0.1, 0.9),
}
CLICK_COLOUR = (0.6, 0.9, 1.0, 0.25)
BUSY_COLOUR = (1.0, 0.4, 0.2, 0.35)
_Z_AXIS = Quaternion(x=0.0, y=math.sqrt(0.5), z=0.0, w=math.sqrt(0.5))  # control axis = Z


def _colour(rgba: tuple[float, float, float, float]) -> ColorRGBA:
    r, g, b, a = rgba
    return ColorRGBA(r=r, g=g, b=b, a=a)


def yaw_pose(x: float, y: float, z: float, yaw: float) -> Pose:
    """A pose at (x, y, z) turned by yaw (rad) about Z."""
    return Pose(
        position=Point(x=x, y=y, z=z),
        orientation=Quaternion(z=math.sin(yaw / 2), w=math.cos(yaw / 2)),
    )


def pose_yaw(pose: Pose) -> float:
    """The yaw (rad) of a pose's orientation (its rotation about Z)."""
    q = pose.orientation
    return math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z))


def fork_target(
    name: str,
    frame: str,
    pose: Pose,
    state: TargetState,
    status: str,
    menu: list[MenuEntry],
) -> InteractiveMarker:
    """The fork target: a cross-shaped body in the state's colour, a status text above it,
    controls to move it in the XY plane, along Z and in yaw, and the fork's menu."""
    marker = InteractiveMarker(
        header=Header(frame_id=frame), name=name, pose=pose, scale=0.08, menu_entries=menu
    )
    marker.description = f"fork target: {state}"
    body = Marker(type=Marker.CUBE, scale=Vector3(x=0.03, y=0.012, z=0.008))
    body.color = _colour(TARGET_COLOURS[state])
    body.pose.orientation.w = 1.0
    text = Marker(type=Marker.TEXT_VIEW_FACING, text=status, scale=Vector3(z=0.012))
    text.pose.position.z = 0.03
    text.pose.orientation.w = 1.0
    text.color = _colour(
        (1.0, 1.0, 1.0, 1.0) if state != TargetState.FAILED else TARGET_COLOURS[state]
    )
    visual = InteractiveMarkerControl(
        name="body",
        always_visible=True,
        interaction_mode=InteractiveMarkerControl.MENU,
        markers=[body, text],
    )
    visual.orientation.w = 1.0
    marker.controls = [
        visual,
        InteractiveMarkerControl(
            name="move_xy",
            orientation=_Z_AXIS,
            interaction_mode=InteractiveMarkerControl.MOVE_PLANE,
        ),
        InteractiveMarkerControl(
            name="move_z", orientation=_Z_AXIS, interaction_mode=InteractiveMarkerControl.MOVE_AXIS
        ),
        InteractiveMarkerControl(
            name="rotate_yaw",
            orientation=_Z_AXIS,
            interaction_mode=InteractiveMarkerControl.ROTATE_AXIS,
        ),
    ]
    return marker


def clickable(
    name: str,
    frame: str,
    pose: Pose,
    size: tuple[float, float, float],
    description: str,
    menu: list[MenuEntry],
    busy: bool,
) -> InteractiveMarker:
    """A translucent cylinder (diameter x, y; height z) that opens a context menu."""
    marker = InteractiveMarker(
        header=Header(frame_id=frame),
        name=name,
        pose=pose,
        scale=max(size) * 1.2,
        menu_entries=menu,
        description=description,
    )
    shape = Marker(type=Marker.CYLINDER, scale=Vector3(x=size[0], y=size[1], z=size[2]))
    shape.pose.orientation.w = 1.0
    shape.color = _colour(BUSY_COLOUR if busy else CLICK_COLOUR)
    control = InteractiveMarkerControl(
        name="click",
        always_visible=True,
        interaction_mode=InteractiveMarkerControl.MENU,
        markers=[shape],
    )
    control.orientation.w = 1.0
    marker.controls = [control]
    return marker
