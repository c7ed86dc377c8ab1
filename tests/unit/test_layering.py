"""The pure layers never import ROS (or, for caching/, the physics engine)."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "aca_sim"
ROS_MODULES = {"rclpy", "rosidl_runtime_py", "aca_interfaces", "launch", "launch_ros"}
FORBIDDEN = {
    "sim": ROS_MODULES,
    "motion": ROS_MODULES,
    "caching": ROS_MODULES | {"pybullet", "pybullet_data"},
    "recording": ROS_MODULES | {"pybullet", "pybullet_data"},
    "launching": ROS_MODULES | {"pybullet", "pybullet_data"},
}


def imported_top_modules(path: Path) -> set[str]:
    """Top-level module names imported anywhere in the file, lazy imports included."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", "") == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value).split(".")[0])
    return names


def test_import_scanner_sees_every_import_form(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import rclpy.node\nfrom pybullet import connect\n"
        "def lazy():\n    import aca_interfaces.action\n    __import__('launch')\n"
    )
    assert imported_top_modules(sample) == {"rclpy", "pybullet", "aca_interfaces", "launch"}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_pure_layer_has_no_forbidden_imports(layer):
    files = sorted((SRC / layer).rglob("*.py"))
    assert files, f"layer {layer}/ has no modules"
    offenders = {
        str(path.relative_to(SRC)): sorted(imported_top_modules(path) & FORBIDDEN[layer])
        for path in files
    }
    offenders = {path: mods for path, mods in offenders.items() if mods}
    assert not offenders, f"forbidden imports in {layer}/: {offenders}"
