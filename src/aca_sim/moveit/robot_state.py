"""RobotModel and RobotState, shaped like moveit_py's: the model knows the groups and the
fork's kinematics; a state holds joint positions by name and gives the fork's pose.
Differences from moveit_py: positions only (no velocities, no attached bodies); one group
("sha") and one solved link (the fork, sha_tool)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from geometry_msgs.msg import Point, Pose, Quaternion

from aca_sim.model.names import FORK_LINK, SHA_JOINTS
from aca_sim.motion.arm_planner import GROUP, ArmPlanner
from aca_sim.motion.errors import MoveItErrorCode, PlanningError


class RobotModel:
    """The ACA's model as the planner knows it (URDF, SRDF, limits)."""

    def __init__(self, planner: ArmPlanner) -> None:
        self._planner = planner

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
        self.joint_positions: dict[str, float] = dict(joint_positions or {})

    def set_joint_group_positions(self, group: str, values: Sequence[float]) -> None:
        """Set the joints of a group (sha: sha_z m, sha_shoulder rad, sha_elbow rad)."""
        _check_group(group)
        if len(values) != len(SHA_JOINTS):
            raise ValueError(f"group {group!r} has {len(SHA_JOINTS)} joints, got {values}")
        self.joint_positions.update(zip(SHA_JOINTS, map(float, values), strict=True))

    def get_joint_group_positions(self, group: str) -> list[float]:
        """The positions of a group's joints, in the group's order (missing joints: 0)."""
        _check_group(group)
        return [self.joint_positions.get(name, 0.0) for name in SHA_JOINTS]

    def get_pose(self, link_name: str) -> Pose:
        """The pose of the fork link (sha_tool) in aca_frame."""
        if link_name != FORK_LINK:
            raise PlanningError(
                MoveItErrorCode.INVALID_LINK_NAME,
                f"link {link_name!r}: only {FORK_LINK!r} is solved",
            )
        if self.robot_model is None:
            raise ValueError(
                "this RobotState has no robot model: RobotState(aca.get_robot_model())"
            )
        return self.robot_model.fork_pose(self.get_joint_group_positions(GROUP))

    def copy(self) -> RobotState:
        return RobotState(self.robot_model, self.joint_positions)

    def __repr__(self) -> str:
        return f"RobotState({self.joint_positions!r})"


def _check_group(group: str) -> None:
    if group != GROUP:
        raise PlanningError(
            MoveItErrorCode.INVALID_GROUP_NAME, f"no planning group {group!r} (known: {GROUP})"
        )
