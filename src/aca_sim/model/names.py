"""The names the ACA's model, its motion planning and its ROS interfaces share, as the URDF
(urdf/aca.urdf.xacro) gives them: the root frame, the fork's link and the joints
(tests/unit/test_model_description holds the URDF to these)."""

from __future__ import annotations

ROOT_FRAME = "aca_frame"  # the URDF's root link; poses, markers and /tf are in it
FORK_LINK = "sha_tool"  # the SHA's fork: pose goals and the teleop handle are for this link
SHA_CONTROLLER = "sha_controller"  # the arm's trajectory controller, at the root as ros2_control's
SHA_JOINTS = ("sha_z", "sha_shoulder", "sha_elbow")  # the arm's joints (m, rad, rad)
SHA_LINKS = ("sha_column", "sha_upper", "sha_fore")  # the links they move
ACA_JOINTS = (
    *SHA_JOINTS,
    "seal_carousel_rot",
    "seal_ram_z",
    "bst_rot",
    "volume_probe_z",
    "bit_carousel_rot",
    "drill_feed",
)  # every actuated joint, in the order the sim reports joint states
