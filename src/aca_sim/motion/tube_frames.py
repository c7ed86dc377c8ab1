"""Where a tube is, from its record alone: the frame it hangs from and its pose there (the
tube's origin is the centre of its bottom face, z along its axis, open end up). Used by the
planning scene (collision objects) and by /tf (one frame per tube).

In a storage slot: under the slot's frame; latched in a bit: on the bit carousel at the bit's
angle; held: on the fork (sha_fore); on the ground after a drop: upright under the drop port
(the record does not say how it lies). Units: m; 4x4 transforms, parent <- tube.
"""

from __future__ import annotations

import math

import numpy as np

from aca_sim.model.config import ModelConfig
from aca_sim.model.locations import Place
from aca_sim.model.records import Tube
from aca_sim.motion.urdf_model import origin_transform


def tube_frame(tube: Tube, config: ModelConfig, root: str) -> tuple[str, np.ndarray]:
    """The parent frame of a tube and the tube's pose in it; root names the URDF's root."""
    length = config.tube.length_m
    place, index = tube.location.place, tube.location.index
    if place == Place.STORAGE:
        return f"storage_slot_{index:02d}", origin_transform((0.0, 0.0, -length), (0, 0, 0))
    if place == Place.BIT:
        carousel = config.bit_carousel
        angle = (index - 1) * 2 * math.pi / len(carousel.bits)
        local = (carousel.radius_m * math.cos(angle), carousel.radius_m * math.sin(angle), -length)
        return "bit_carousel", origin_transform(local, (0.0, 0.0, 0.0))
    if place == Place.GRIPPER:
        bottom = config.sha.tube_top_above_tool_m - length
        return "sha_fore", origin_transform((config.sha.link2_m, 0.0, bottom), (0.0, 0.0, 0.0))
    drop = config.drop_port
    ground = drop.engage_z_m - length - drop.ground_drop_m
    return root, origin_transform((*drop.xy_m, ground), (0.0, 0.0, 0.0))
