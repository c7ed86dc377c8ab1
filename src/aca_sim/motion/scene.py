"""The planning scene: the ACA's collision model kept in step with what the hardware shows.

Built from the expanded URDF and the model configuration; updated from state only (a
HardwareState: joint positions, tube records, the held tube; never the simulator's memory),
plus named collision objects that a user adds and removes. Tubes are cylinders where their
records say: hanging in a storage slot, latched in a bit (turning with the carousel), held by
the fork (then part of the arm). Thread rule: one thread at a time uses a PlanningScene.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from aca_sim.model.config import ModelConfig
from aca_sim.model.locations import Place
from aca_sim.model.names import SHA_JOINTS
from aca_sim.model.records import HardwareState, Tube
from aca_sim.motion.collision import CollisionModel, Contact
from aca_sim.motion.semantic import SemanticModel
from aca_sim.motion.tube_frames import tube_frame
from aca_sim.motion.urdf_model import Shape, UrdfModel, origin_transform

SAME_JOINT = 1e-6  # m or rad: a joint this close to where the scene placed it has not moved


@dataclass(frozen=True)
class SceneObject:
    """A named collision object: its shapes (in the object's frame) and 4x4 pose in the root
    frame (aca_frame)."""

    name: str
    shapes: tuple[Shape, ...]
    pose: np.ndarray


class PlanningScene:
    """Collision model + the state it was last updated to."""

    def __init__(
        self,
        urdf_text: str,
        config: ModelConfig,
        semantic: SemanticModel,
        padding_m: float = 0.002,
    ) -> None:
        self.config = config
        self.urdf = UrdfModel(urdf_text)
        disabled = [(a, b) for a, b, _reason in semantic.disabled]
        self.collision = CollisionModel(self.urdf, padding_m, disabled)
        tube = config.tube
        self.tube_shape = Shape(
            "cylinder",
            (tube.outer_radius_m, tube.length_m),
            origin_transform((0.0, 0.0, tube.length_m / 2), (0.0, 0.0, 0.0)),
        )
        self.joint_values: dict[str, float] = {}
        self.tubes: dict[int, Tube] = {}
        self.held_tube = 0
        self.objects: dict[str, SceneObject] = {}
        self._placed: dict[str, float] | None = None  # joint values the model was placed for

    # ------------------------------------------------------------------ updates
    def update(self, hardware: HardwareState) -> None:
        """Mirror a hardware reading: joint positions, tubes, the held tube. When the tubes,
        the held tube and the other mechanisms' joints (within SAME_JOINT, a micrometre or
        microradian: a held joint's servo noise) are as last placed, the collision model is
        left as it is (it places those; arm states are given per query)."""
        joints, tubes = dict(hardware.joint_positions), dict(hardware.tubes)
        unchanged = (
            self._placed is not None
            and tubes == self.tubes
            and hardware.held_tube_id == self.held_tube
            and all(
                abs(v - self._placed.get(k, math.inf)) <= SAME_JOINT
                for k, v in joints.items()
                if k not in SHA_JOINTS
            )
        )
        self.joint_values, self.tubes, self.held_tube = joints, tubes, hardware.held_tube_id
        if not unchanged:
            self._sync()

    def set_joint_values(self, values: Mapping[str, float]) -> None:
        """Mirror joint positions alone (e.g. from /joint_states)."""
        self.joint_values.update(values)
        self._sync()

    def apply_object(self, obj: SceneObject) -> None:
        """Add or replace a named collision object."""
        if obj.name.startswith("tube_"):
            raise ValueError(f"object name {obj.name!r}: 'tube_' names are the scene's tubes")
        self.objects[obj.name] = obj
        self._sync()

    def remove_object(self, name: str) -> None:
        """Remove a named collision object; KeyError naming it when there is none."""
        if name not in self.objects:
            raise KeyError(f"no collision object {name!r} (known: {sorted(self.objects)})")
        del self.objects[name]
        self._sync()

    def _sync(self) -> None:
        self.collision.set_joint_values(self.joint_values)
        poses = self.collision.urdf.link_transforms(
            {k: v for k, v in self.joint_values.items() if k not in SHA_JOINTS}
        )
        loose = {
            f"tube_{tube.tube_id}": ((self.tube_shape,), pose)
            for tube in self.tubes.values()
            if (pose := self._tube_pose(tube, poses)) is not None
        }
        loose.update({name: (obj.shapes, obj.pose) for name, obj in self.objects.items()})
        self.collision.set_objects(loose)
        self.collision.set_held(self._held_shape() if self.held_tube else None)
        self._placed = dict(self.joint_values)

    def _tube_pose(self, tube: Tube, poses: Mapping[str, np.ndarray]) -> np.ndarray | None:
        """Where a tube's origin (axis, bottom face) is, 4x4; None when held (part of the
        arm) or on the ground (out of the arm's reach)."""
        if tube.location.place not in (Place.STORAGE, Place.BIT):
            return None
        parent, local = tube_frame(tube, self.config, self.urdf.root)
        return poses[parent] @ local

    def _held_shape(self) -> Shape:
        """The held tube on the fork, in the sha_fore frame."""
        sha, tube = self.config.sha, self.config.tube
        bottom = sha.tube_top_above_tool_m - tube.length_m
        centre = (sha.link2_m, 0.0, bottom + tube.length_m / 2)
        return Shape(
            "cylinder",
            (tube.outer_radius_m, tube.length_m),
            origin_transform(centre, (0.0, 0.0, 0.0)),
        )

    # ------------------------------------------------------------------ queries
    @property
    def arm_state(self) -> tuple[float, float, float]:
        """The arm's joint values as last mirrored (z m, shoulder rad, elbow rad)."""
        return tuple(self.joint_values.get(j, 0.0) for j in SHA_JOINTS)

    def contacts(self, q: Sequence[float], first_only: bool = True) -> list[Contact]:
        """What the arm touches at q (empty: free)."""
        return self.collision.contacts(q, first_only)

    def is_free(self, q: Sequence[float]) -> bool:
        return self.collision.is_free(q)
