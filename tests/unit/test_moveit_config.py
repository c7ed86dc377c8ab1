"""The package is a MoveIt config as moveit_configs_utils reads it:
`MoveItConfigsBuilder("aca", package_name="aca_sim").to_moveit_configs()` finds every file it
looks for where it looks, and what it loads is usable (names, keys, the controller's action).

The lookup below is the builder's own (moveit_configs_utils 2.x as in Jazzy, read from its
source): the package's share directory; the URDF config/<robot>.urdf.xacro if it exists, else
the .setup_assistant file's URDF (package + relative path), else config/<robot>.urdf; the SRDF
from .setup_assistant, else config/<robot>.srdf; config/kinematics.yaml; config/
joint_limits.yaml; every config/*_planning.yaml (plus the builder's defaults, pilz among them,
which then needs config/pilz_cartesian_limits.yaml); the one config/*_controllers.yaml (or
moveit_, moveit2_, <robot>_ in that order of preference); config/moveit_cpp.yaml when asked
(moveit_py asks). Files are read as the builder reads them: YAML with yaml.safe_load, xacro
with no mappings.
"""

import re
from pathlib import Path

import pytest
import xacro
import yaml

from aca_sim.model.names import SHA_JOINTS
from aca_sim.motion.urdf_model import UrdfModel
from aca_sim.paths import ensure_ament_prefix_path, share_dir
from aca_sim.sim_servers.trajectory_server import ACTION_NAME

ROBOT = "aca"
SHARE = share_dir()
CONFIG = SHARE / "config"
PARAMETER_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # one level of a parameter name


def _matches(pattern: str) -> list[str]:
    found = (re.search(pattern, p.name) for p in CONFIG.iterdir() if p.is_file())
    return [m.group(1) for m in found if m]


def _setup_assistant() -> dict:
    path = SHARE / ".setup_assistant"
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text()).get("moveit_setup_assistant_config", {})


def urdf_path() -> Path:
    modified = CONFIG / f"{ROBOT}.urdf.xacro"
    if modified.exists():
        return modified
    urdf = _setup_assistant().get("urdf", _setup_assistant().get("URDF"))
    if urdf:
        assert urdf["package"] == "aca_sim", "resolved through the ament index"
        return SHARE / urdf["relative_path"]
    return CONFIG / f"{ROBOT}.urdf"


def srdf_path() -> Path:
    srdf = _setup_assistant().get("srdf", _setup_assistant().get("SRDF"))
    return SHARE / (srdf["relative_path"] if srdf else f"config/{ROBOT}.srdf")


def controllers_path() -> Path:
    names = _matches(r"^(.*)_controllers.yaml$")
    assert names, "no config/*_controllers.yaml"
    if len(names) > 1:
        preferred = [n for n in ("moveit", "moveit2", ROBOT) if n in names]
        assert preferred, f"the builder cannot choose among {names}"
        names = preferred[:1]
    return CONFIG / f"{names[0]}_controllers.yaml"


def load(path: Path) -> dict:
    assert path.is_file(), f"the builder looks for {path.relative_to(SHARE)}"
    return yaml.safe_load(path.read_text())


def flat(tree: dict, prefix: str = "") -> dict:
    """A parameter dictionary as a node gets it: nested keys joined with '.'."""
    out = {}
    for key, value in tree.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        out.update(flat(value, name) if isinstance(value, dict) else {name: value})
    return out


@pytest.fixture(scope="module")
def urdf():
    ensure_ament_prefix_path()  # as a sourced ROS install has it: $(find aca_sim) in the xacro
    return UrdfModel(xacro.process_file(str(urdf_path())).toxml())


def test_the_robot_and_semantic_descriptions_are_where_the_builder_looks(urdf):
    assert urdf.root == "aca_frame" and set(SHA_JOINTS) <= set(urdf.movable_joints)
    srdf = srdf_path().read_text()
    assert f'<robot name="{ROBOT}">' in srdf or f"name='{ROBOT}'" in srdf
    group = re.search(r'<group name="sha">(.*?)</group>', srdf, re.S)
    assert group and re.findall(r'<joint name="([^"]+)"', group.group(1)) == list(SHA_JOINTS)


def test_kinematics_joint_limits_and_planning_pipelines_load_with_their_keys():
    assert "sha" in load(CONFIG / "kinematics.yaml")
    limits = load(CONFIG / "joint_limits.yaml")["joint_limits"]
    assert set(SHA_JOINTS) <= set(limits)
    pipelines = _matches(r"^(.*)_planning.yaml$")
    assert "ompl" in pipelines
    for name in pipelines:
        pipeline = load(CONFIG / f"{name}_planning.yaml")
        assert isinstance(pipeline.get("planning_plugins"), list), f"{name}: Jazzy's key"
    pilz = load(CONFIG / "pilz_cartesian_limits.yaml")["cartesian_limits"]
    assert {"max_trans_vel", "max_trans_acc", "max_trans_dec", "max_rot_vel"} <= set(pilz)


def test_the_controller_is_a_valid_parameter_key_and_names_the_sims_action(urdf):
    execution = load(controllers_path())
    for name in flat(execution):
        assert all(PARAMETER_TOKEN.match(token) for token in name.split(".")), name
    manager = execution["moveit_simple_controller_manager"]
    (controller,) = manager["controller_names"]
    settings = manager[controller]
    assert settings["type"] == "FollowJointTrajectory" and settings["default"] is True
    assert settings["joints"] == list(SHA_JOINTS)
    # move_group in the root namespace reaches <name>/<action_ns> there
    assert f"/{controller}/{settings['action_ns']}" == ACTION_NAME


def test_moveit_cpp_has_what_moveit_py_reads():
    cpp = load(CONFIG / "moveit_cpp.yaml")
    monitor = cpp["planning_scene_monitor_options"]
    assert monitor["robot_description"] == "robot_description"
    assert monitor["joint_state_topic"] == "/joint_states"
    assert cpp["planning_pipelines"]["pipeline_names"] == ["ompl"]
    request = cpp["plan_request_params"]
    assert request["planning_pipeline"] == "ompl" and request["planning_attempts"] >= 1
    for name in flat(cpp):
        assert all(PARAMETER_TOKEN.match(token) for token in name.split(".")), name
