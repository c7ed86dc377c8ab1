"""RobotModel, JointModelGroup and RobotState, shaped like moveit_py's: the model knows the
groups, their bounds and the fork's kinematics; a state holds joint positions by name, gives
the fork's pose and is set from IK or at random.
Differences from moveit_py: positions only (no velocities, no attached bodies); one group
("sha") and one solved link (the fork, sha_tool); a state computes the fork's pose when
asked, so update() has nothing to do; random positions come from the model's own seeded
generator (RobotModel(..., seed)), so a script gives the same states on every run."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from geometry_msgs.msg import Point, Pose, Quaternion

from aca_sim.model.names import ACA_JOINTS, FORK_LINK, SHA_JOINTS, SHA_LINKS
from aca_sim.motion.arm_planner import GROUP, ArmPlanner, PoseGoal
from aca_sim.motion.errors import MoveItErrorCode, PlanningError


@dataclass(frozen=True)
class JointModelGroup:
    """A planning group of the SRDF (moveit_py's JointModelGroup): its name, its joints
    (all active: sha_z m, sha_shoulder rad, sha_elbow rad), their position bounds and its
    links."""

    name: str
    joint_model_names: tuple[str, ...]
    active_joint_model_bounds: tuple[tuple[float, float], ...]
    link_model_names: tuple[str, ...]

    @property
    def active_joint_model_names(self) -> tuple[str, ...]:
        return self.joint_model_names

    def satisfies_position_bounds(self, values: Sequence[float], margin: float = 0.0) -> bool:
        """True when every value lies within its joint's bounds, margin (m or rad) inside."""
        return len(values) == len(self.active_joint_model_bounds) and all(
            low + margin <= v <= high - margin
            for v, (low, high) in zip(values, self.active_joint_model_bounds, strict=True)
        )


class RobotModel:
    """The ACA's model as the planner knows it (URDF, SRDF, limits)."""

    def __init__(self, planner: ArmPlanner, seed: int = 0) -> None:
        self._planner = planner
        self.random = random.Random(seed)  # set_to_random_positions draws from it

    @property
    def name(self) -> str:
        return self._planner.semantic.robot

    @property
    def joint_model_group_names(self) -> list[str]:
        return sorted(self._planner.semantic.groups)

    @property
    def named_states(self) -> list[str]:
        """The SRDF's named states of the sha group."""
        return list(self._planner.semantic.named_states)

    def named_state(self, name: str) -> list[float]:
        """The sha joints of a named state (KeyError naming an unknown one)."""
        return list(self._planner.semantic.state(name))

    def get_joint_model_group(self, joint_model_group_name: str) -> JointModelGroup:
        """The group of that name (PlanningError INVALID_GROUP_NAME naming an unknown one)."""
        self._planner.check_group(joint_model_group_name)
        bounds = tuple((float(low), float(high)) for low, high in self._planner.bounds)
        links = (*SHA_LINKS, FORK_LINK)
        return JointModelGroup(joint_model_group_name, SHA_JOINTS, bounds, links)

    def solve_pose(self, pose: Pose, link: str) -> list[float] | None:
        """The sha joints that put `link` (sha_tool) at a Pose in aca_frame (yaw nearest the
        pose's, collisions not checked); None when there is none."""
        p, q = pose.position, pose.orientation
        goal = PoseGoal((p.x, p.y, p.z), (q.x, q.y, q.z, q.w), link)
        try:
            return list(self._planner.pose_solutions(goal)[0])
        except PlanningError:
            return None

    def fork_pose(self, q: Sequence[float]) -> Pose:
        """The fork's (sha_tool) pose in aca_frame at the sha joints q."""
        (x, y, z), (qx, qy, qz, qw) = self._planner.fork_pose(q)
        return Pose(position=Point(x=x, y=y, z=z), orientation=Quaternion(x=qx, y=qy, z=qz, w=qw))


class RobotState:
    """Joint positions (m, rad) of the ACA's joints by name, for a robot model."""

    def __init__(
        self,
        robot_model: RobotModel | None = None,
        joint_positions: Mapping[str, float] | None = None,
    ) -> None:
        self.robot_model = robot_model
        self._positions: dict[str, float] = {}
        self.joint_positions = joint_positions or {}

    @property
    def joint_positions(self) -> dict[str, float]:
        """A copy of the positions by joint name; assigning a mapping sets those joints
        (KeyError naming a joint the ACA does not have), the others keep theirs."""
        return dict(self._positions)

    @joint_positions.setter
    def joint_positions(self, values: Mapping[str, float]) -> None:
        unknown = sorted(set(values) - set(ACA_JOINTS))
        if unknown:
            raise KeyError(f"no joints {unknown} in the ACA (joints: {', '.join(ACA_JOINTS)})")
        self._positions.update((name, float(v)) for name, v in values.items())

    def set_joint_group_positions(self, group: str, values: Sequence[float]) -> None:
        """Set the joints of a group (sha: sha_z m, sha_shoulder rad, sha_elbow rad)."""
        _check_group(group)
        if len(values) != len(SHA_JOINTS):
            raise ValueError(f"group {group!r} has {len(SHA_JOINTS)} joints, got {values}")
        self._positions.update(zip(SHA_JOINTS, map(float, values), strict=True))

    def get_joint_group_positions(self, group: str) -> list[float]:
        """The positions of a group's joints, in the group's order (missing joints: 0)."""
        _check_group(group)
        return [self._positions.get(name, 0.0) for name in SHA_JOINTS]

    def set_to_random_positions(self, joint_model_group: JointModelGroup | None = None) -> None:
        """Put the sha joints at uniformly random positions within their bounds (from the
        model's seeded generator; collisions not checked, as in MoveIt)."""
        group = joint_model_group or self._model().get_joint_model_group(GROUP)
        rng = self._model().random
        self.set_joint_group_positions(
            group.name, [rng.uniform(low, high) for low, high in group.active_joint_model_bounds]
        )

    def set_to_default_values(self, joint_model_group_name: str, name: str) -> bool:
        """Put the group at a named state of the SRDF; False for an unknown name."""
        try:
            values = self._model().named_state(name)
        except KeyError:
            return False
        self.set_joint_group_positions(joint_model_group_name, values)
        return True

    def set_from_ik(
        self, joint_model_group_name: str, geometry_pose: Pose, tip_name: str, timeout: float = 0.0
    ) -> bool:
        """Set the group's joints so that tip_name (sha_tool) is at geometry_pose (aca_frame);
        False, the state unchanged, when no solution exists (out of reach, beyond the joint
        limits, or tilted: the fork turns only about z). Solved in closed form, so timeout is
        not needed."""
        _check_group(joint_model_group_name)
        solution = self._model().solve_pose(geometry_pose, tip_name)
        if solution is None:
            return False
        self.set_joint_group_positions(joint_model_group_name, solution)
        return True

    def update(self, force: bool = False, type: str = "all") -> None:
        """moveit_py's transform update: nothing to do here (poses are computed on request)."""

    def get_pose(self, link_name: str) -> Pose:
        """The pose of the fork link (sha_tool) in aca_frame."""
        if link_name != FORK_LINK:
            raise PlanningError(
                MoveItErrorCode.INVALID_LINK_NAME,
                f"link {link_name!r}: only {FORK_LINK!r} is solved",
            )
        return self._model().fork_pose(self.get_joint_group_positions(GROUP))

    def _model(self) -> RobotModel:
        if self.robot_model is None:
            raise ValueError(
                "this RobotState has no robot model: RobotState(aca.get_robot_model())"
            )
        return self.robot_model

    def copy(self) -> RobotState:
        return RobotState(self.robot_model, self._positions)

    __copy__ = copy

    def __repr__(self) -> str:
        return f"RobotState({self.joint_positions!r})"


def _check_group(group: str) -> None:
    if group != GROUP:
        raise PlanningError(
            MoveItErrorCode.INVALID_GROUP_NAME, f"no planning group {group!r} (known: {GROUP})"
        )
