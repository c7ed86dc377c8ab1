"""The control_msgs, moveit_msgs and tf2_msgs subsets in interfaces/ have upstream's type
hashes (RIHS01), so real MoveIt, rqt and ros2_controllers clients match our
FollowJointTrajectory server, our servo's interfaces and moveit_py's messages, and rviz2 / tf2
read our /tf.

Upstream values: control_msgs 5.x built for Jazzy (the generated
follow_joint_trajectory__description.c of a Jazzy workspace; its std_msgs/Header and
trajectory_msgs/JointTrajectory hashes equal those of the Jazzy wheels here, which dates it).
"""

import json
import time
from pathlib import Path

import pytest
from ament_index_python.packages import get_package_share_directory
from control_msgs.action import FollowJointTrajectory
from rclpy.action import ActionServer
from rclpy.node import Node

from aca_sim.paths import ensure_ament_prefix_path

UPSTREAM = {
    "control_msgs/action/FollowJointTrajectory": "RIHS01_"
    "738ebcb7a2d7cfa42f9f1001cc99ce3a4383d1cfe508015d9be8485e4b1c66f6",
    "control_msgs/action/FollowJointTrajectory_Goal": "RIHS01_"
    "8a9060704b269608f5a340934cc26e66869dd14bdac29e2e7fd9ec8b9882d205",
    "control_msgs/action/FollowJointTrajectory_Result": "RIHS01_"
    "8002e99ed2c14c6faa522f2a93c26d744c5982f254f9e98ff9c6f19789bdb220",
    "control_msgs/action/FollowJointTrajectory_Feedback": "RIHS01_"
    "3fd0aaecf71725121ae1ff7f01098a5e0da581e672be18a6b2c286cb43d96b49",
    "control_msgs/action/FollowJointTrajectory_FeedbackMessage": "RIHS01_"
    "80398fcb9674a79081a9906e2ccf0c804dd7cb15e22e362e606ee87186beab71",
    "control_msgs/msg/JointTolerance": "RIHS01_"
    "c254f9cece0f3b733017b6990fd46d1326e25242d6b8844398c97d9a88e7d648",
    "control_msgs/msg/JointComponentTolerance": "RIHS01_"
    "739ea7566931944d33830fa10f1bf5e7a7fbdc3172bce7a7eaac642bd6e3ffa4",
    # the controller's state interfaces and MoveIt Servo's joint jog (generated
    # *__description.c of control_msgs built for Jazzy: the same std_msgs/Header and
    # trajectory_msgs/JointTrajectoryPoint hashes as the wheels here)
    "control_msgs/msg/JointTrajectoryControllerState": "RIHS01_"
    "6cb9ac0858fc11b54bd6c0a46f032ea243c16856182276d8eb0875f6ce6a8335",
    "control_msgs/srv/QueryTrajectoryState": "RIHS01_"
    "4a0935dffef18bc5b9e101c9d03d84e681ecd4cebd724b8f11fde008751a325a",
    "control_msgs/msg/JointJog": "RIHS01_"
    "ba249455a20f70168a1acb7bf43b776b72ff1f7eb5fc4cfea443f749e963c6e7",
    # the types those files were generated against (their EXPECTED_HASH): the wheels' own
    "std_msgs/msg/Header": "RIHS01_"
    "f49fb3ae2cf070f793645ff749683ac6b06203e41c891e17701b1cb597ce6a01",
    "trajectory_msgs/msg/JointTrajectoryPoint": "RIHS01_"
    "de8907036d8bd45aac6f30cc9044a3d4a329c42cbf719aff7d95a584cfa532d7",
    # moveit_msgs' subset (generated *__description.c of moveit_msgs for Jazzy; RobotTrajectory's
    # as three generated files that reference it expect it)
    "moveit_msgs/msg/RobotTrajectory": "RIHS01_"
    "af1dc87fb94d13e5f233e9c210d2662fa06143a8b3c6aec47c57ad45074fcce8",
    "moveit_msgs/msg/ServoStatus": "RIHS01_"
    "882a75f7648d6f8a9bf528e4787f51c58f2d5d88b702e450443d99f270e6936b",
    "moveit_msgs/srv/ServoCommandType": "RIHS01_"
    "2065f4daf271249330596d344ecd48f5c2d2a52e3b21b1fc56d99c52b8eeae22",
    # tf2_msgs/msg/TFMessage as real Jazzy systems report it
    "tf2_msgs/msg/TFMessage": "RIHS01_"
    "e369d0f05a23ae52508854b66f6aa0437f3449d652e8cbf22d5abe85d020f087",
}
DESCRIPTIONS = (
    ("control_msgs", "action/FollowJointTrajectory.json"),
    ("control_msgs", "msg/JointTrajectoryControllerState.json"),
    ("control_msgs", "srv/QueryTrajectoryState.json"),
    ("control_msgs", "msg/JointJog.json"),
    ("moveit_msgs", "msg/RobotTrajectory.json"),
    ("moveit_msgs", "msg/ServoStatus.json"),
    ("moveit_msgs", "srv/ServoCommandType.json"),
    ("tf2_msgs", "msg/TFMessage.json"),
)


def installed_hashes() -> dict[str, str]:
    """Type name -> hash, from the type descriptions rosidl installed."""
    ensure_ament_prefix_path()
    found = {}
    for package, path in DESCRIPTIONS:
        share = Path(get_package_share_directory(package))
        description = json.loads((share / path).read_text())
        found.update({e["type_name"]: e["hash_string"] for e in description["type_hashes"]})
    return found


@pytest.mark.parametrize("type_name", sorted(UPSTREAM))
def test_the_generated_type_description_has_upstreams_hash(type_name):
    assert installed_hashes()[type_name] == UPSTREAM[type_name]


def test_dds_peers_see_upstreams_hash_on_the_feedback_topic(ros_context):
    """The hash the middleware announces for the action's feedback topic (what a real peer
    compares) is upstream's."""
    node = Node("hash_probe", context=ros_context)
    server = ActionServer(node, FollowJointTrajectory, "probe", execute_callback=lambda g: None)
    try:
        deadline = time.monotonic() + 5.0
        infos = []
        while not infos and time.monotonic() < deadline:
            infos = node.get_publishers_info_by_topic("/probe/_action/feedback")
            time.sleep(0.05)
        assert infos, "the feedback publisher never showed up in the graph"
        announced = str(infos[0].topic_type_hash)
        assert announced == UPSTREAM["control_msgs/action/FollowJointTrajectory_FeedbackMessage"]
    finally:
        server.destroy()
        node.destroy_node()
