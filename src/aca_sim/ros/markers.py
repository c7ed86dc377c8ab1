"""The ACA's things that are not in the URDF, as visualization_msgs/MarkerArray for rviz2:
the tubes, coloured by state, each in its own tf frame (tube_<id>); labels (tube id, sample
name when the record has one, contents) in namespace "tube_labels", which rviz can switch
off on its own; the seals left in each dispenser as a stack of discs on the seal carousel;
the depot where dropped tubes lie.

Colours: grey empty; amber with a sample, unsealed, on its way; blue seal inserted, not yet
pressed; green hermetically sealed; red a sample stored unsealed (awaiting ground, as Mageik).
Frames: tube_<id>, seal_carousel, and the URDF's root; units m.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from builtin_interfaces.msg import Time
from geometry_msgs.msg import Point, Pose, Vector3
from std_msgs.msg import ColorRGBA, Header
from visualization_msgs.msg import Marker, MarkerArray

from aca_sim.model.config import ModelConfig
from aca_sim.model.kinds import Contents, SealState
from aca_sim.model.locations import Place
from aca_sim.model.records import Dispenser, Tube

SEAL_DISC_M = 0.003  # thickness of one seal disc in a dispenser stack
COLOURS = {
    "empty": (0.75, 0.75, 0.75, 1.0),
    "sample": (1.0, 0.6, 0.1, 1.0),
    "inserted": (0.25, 0.45, 0.95, 1.0),
    "sealed": (0.2, 0.75, 0.3, 1.0),
    "stored_unsealed": (0.9, 0.15, 0.15, 1.0),
}


def tube_state(tube: Tube) -> str:
    """Which colour a tube gets (a key of COLOURS)."""
    if tube.seal_state == SealState.ACTIVATED:
        return "sealed"
    if tube.seal_state == SealState.INSERTED:
        return "inserted"
    if tube.contents in (Contents.EMPTY, Contents.WITNESS_MEDIA) and not tube.sample_height_m:
        return "empty"
    if tube.location.place == Place.STORAGE:
        return "stored_unsealed"
    return "sample"


def _colour(name: str) -> ColorRGBA:
    r, g, b, a = COLOURS[name]
    return ColorRGBA(r=r, g=g, b=b, a=a)


def _marker(frame: str, namespace: str, marker_id: int, kind: int, stamp: Time) -> Marker:
    return Marker(
        header=Header(frame_id=frame, stamp=stamp),
        ns=namespace,
        id=marker_id,
        type=kind,
        action=Marker.ADD,
        frame_locked=True,
    )


def tube_markers(tubes: Iterable[Tube], config: ModelConfig, stamp: Time) -> list[Marker]:
    """One cylinder and one label per tube, each in the tube's frame."""
    length, radius = config.tube.length_m, config.tube.outer_radius_m
    markers = []
    for tube in sorted(tubes, key=lambda t: t.tube_id):
        frame = f"tube_{tube.tube_id}"
        body = _marker(frame, "tubes", tube.tube_id, Marker.CYLINDER, stamp)
        body.pose = Pose(position=Point(z=length / 2))
        body.pose.orientation.w = 1.0
        body.scale = Vector3(x=2 * radius, y=2 * radius, z=length)
        body.color = _colour(tube_state(tube))
        label = _marker(frame, "tube_labels", tube.tube_id, Marker.TEXT_VIEW_FACING, stamp)
        label.pose = Pose(position=Point(z=length + 0.01))
        label.pose.orientation.w = 1.0
        label.scale = Vector3(z=0.008)
        label.color = ColorRGBA(r=1.0, g=1.0, b=1.0, a=1.0)
        words = [str(tube.tube_id), tube.sample_name, tube.contents.value]
        label.text = " ".join(w for w in words if w)
        markers += [body, label]
    return markers


def dispenser_xy(config: ModelConfig, dispenser_id: int) -> tuple[float, float]:
    """Where dispenser `dispenser_id` (1-based) sits in the seal_carousel frame, m."""
    carousel = config.seal_carousel
    angle = math.pi + (dispenser_id - 1) * 2 * math.pi / carousel.dispensers
    return carousel.radius_m * math.cos(angle), carousel.radius_m * math.sin(angle)


def seal_markers(
    dispensers: Iterable[Dispenser], config: ModelConfig, stamp: Time
) -> list[Marker]:
    """A stack of discs per dispenser, one per seal left, on the seal carousel."""
    bore = config.tube.bore_radius_m
    markers = []
    for dispenser in sorted(dispensers, key=lambda d: d.dispenser_id):
        x, y = dispenser_xy(config, dispenser.dispenser_id)
        for k in range(dispenser.seals_remaining):
            disc = _marker(
                "seal_carousel", "seals", dispenser.dispenser_id * 100 + k, Marker.CYLINDER, stamp
            )
            disc.pose = Pose(position=Point(x=x, y=y, z=0.015 + k * SEAL_DISC_M * 1.5))
            disc.pose.orientation.w = 1.0
            disc.scale = Vector3(x=2 * bore, y=2 * bore, z=SEAL_DISC_M)
            disc.color = ColorRGBA(r=0.93, g=0.93, b=0.95, a=1.0)
            markers.append(disc)
    return markers


def depot_marker(config: ModelConfig, root: str, stamp: Time) -> Marker:
    """A flat disc on the ground under the drop port, where dropped tubes lie."""
    drop, length = config.drop_port, config.tube.length_m
    marker = _marker(root, "depot", 0, Marker.CYLINDER, stamp)
    x, y = drop.xy_m
    marker.pose = Pose(position=Point(x=x, y=y, z=drop.engage_z_m - length - drop.ground_drop_m))
    marker.pose.orientation.w = 1.0
    marker.scale = Vector3(x=0.12, y=0.12, z=0.002)
    marker.color = ColorRGBA(r=0.55, g=0.4, b=0.3, a=0.8)
    return marker


def marker_array(
    tubes: Iterable[Tube],
    dispensers: Iterable[Dispenser],
    config: ModelConfig,
    root: str,
    stamp: Time,
) -> MarkerArray:
    """Everything, after a DELETEALL (so markers of seals used up disappear)."""
    clear = Marker(action=Marker.DELETEALL)
    return MarkerArray(
        markers=[
            clear,
            *tube_markers(tubes, config, stamp),
            *seal_markers(dispensers, config, stamp),
            depot_marker(config, root, stamp),
        ]
    )
