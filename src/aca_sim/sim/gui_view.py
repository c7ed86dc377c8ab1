"""The PyBullet window (gui:=true) framed on the ACA: the debug panels hidden (their three
empty "Synthetic Camera" previews and the parameter list), the camera aimed at the centre of
the assembly's bounding box from a distance that fits it, looking down on the arm's work
area. Thread rule: the physics thread (it calls the client)."""

from __future__ import annotations

import numpy as np

from aca_sim.sim.quiet import BulletClient

VIEW_YAW_DEG = 40.0
VIEW_PITCH_DEG = -28.0
FILL = 0.55  # camera distance = FILL x the bounding box's diagonal


def assembly_bounds(client: BulletClient, body: int) -> tuple[np.ndarray, np.ndarray]:
    """The axis-aligned bounding box of every link of a body (m)."""
    boxes = [client.getAABB(body, link) for link in range(-1, client.getNumJoints(body))]
    lows = np.array([low for low, _high in boxes])
    highs = np.array([high for _low, high in boxes])
    return lows.min(axis=0), highs.max(axis=0)


def frame_assembly(client: BulletClient, body: int) -> None:
    """Hide the debug panels and aim the camera at the body."""
    for flag in (
        client.COV_ENABLE_GUI,
        client.COV_ENABLE_RGB_BUFFER_PREVIEW,
        client.COV_ENABLE_DEPTH_BUFFER_PREVIEW,
        client.COV_ENABLE_SEGMENTATION_MARK_PREVIEW,
    ):
        client.configureDebugVisualizer(flag, 0)
    low, high = assembly_bounds(client, body)
    centre = (low + high) / 2
    distance = FILL * float(np.linalg.norm(high - low))
    client.resetDebugVisualizerCamera(distance, VIEW_YAW_DEG, VIEW_PITCH_DEG, centre.tolist())
