"""The layers: which packages (and top modules) may import what, and no import loop anywhere.

Layers, lowest first: paths, net, ros_env (small top modules) -> model (the domain
vocabulary) -> motion -> sim (PyBullet), caching (the domain: inventory, sequences) and teleop
(what an operator can ask of each thing) -> recording, launching -> ros (plumbing, no
PyBullet, no sim/) -> sim_servers (the sim node's action servers and tick publisher over the
physics thread) -> nodes -> campaign (applications) -> montecarlo (studies of headless
campaigns on Ray) -> cli; moveit (the moveit_py-shaped client API) sits on ros. Only ros,
sim_servers, moveit, nodes and campaign import rclpy (montecarlo's trials run without DDS).
Every package and top module has a row in ALLOWED, and the README's layer map lists them all
in an order these rows keep.
"""

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "aca_sim"
ROS_MODULES = {"rclpy", "rosidl_runtime_py", "aca_interfaces", "launch", "launch_ros"}
PHYSICS = {"pybullet", "pybullet_data", "pybullet_utils"}
FORBIDDEN = {
    "model": ROS_MODULES | PHYSICS,
    "motion": ROS_MODULES | PHYSICS,
    "sim": ROS_MODULES,
    "ros": PHYSICS,
    "caching": ROS_MODULES | PHYSICS,
    "teleop": ROS_MODULES | PHYSICS,
    "recording": ROS_MODULES | PHYSICS,
    "launching": ROS_MODULES | PHYSICS,
    "montecarlo": ROS_MODULES,
}
# The aca_sim packages (and top modules) each layer may import.
ALLOWED = {
    "model": {"model", "paths"},
    "motion": {"model", "motion", "paths"},
    "sim": {"model", "motion", "sim", "paths"},
    "caching": {"model", "caching", "paths"},
    "teleop": {"model", "teleop", "paths"},
    "recording": {"model", "caching", "recording", "paths"},
    "launching": {"launching", "paths"},
    "montecarlo": {"model", "caching", "campaign", "montecarlo", "net", "paths"},
    "ros": {"model", "motion", "caching", "ros", "ros_env", "paths"},
    "sim_servers": {"model", "motion", "sim", "ros", "sim_servers", "ros_env", "paths"},
    "moveit": {"model", "motion", "ros", "ros_env", "moveit", "paths"},
    "nodes": {
        "model",
        "motion",
        "sim",
        "caching",
        "teleop",
        "recording",
        "ros",
        "sim_servers",
        "nodes",
        "ros_env",
        "net",
        "paths",
    },
    "campaign": {
        "model",
        "sim",
        "caching",
        "recording",
        "ros",
        "nodes",
        "campaign",
        "ros_env",
        "paths",
    },
    "cli": {
        "model",
        "motion",
        "caching",
        "recording",
        "launching",
        "nodes",
        "campaign",
        "montecarlo",
        "cli",
        "ros_env",
        "net",
        "paths",
    },
    "paths": {"paths"},
    "net": {"net"},
    "ros_env": {"ros_env"},
}
README = SRC.parents[1] / "README.md"


def files_of(layer: str) -> list[Path]:
    """A package's modules, or the one file of a top module."""
    top = SRC / f"{layer}.py"
    return [top] if top.is_file() else sorted((SRC / layer).rglob("*.py"))


def layers_on_disk() -> set[str]:
    """Every package and top module of aca_sim (the package's own __init__ aside)."""
    return {
        path.stem if path.is_file() else path.name
        for path in SRC.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").is_file())
    }


def imports_of(path: Path) -> set[str]:
    """Modules imported anywhere in the file (lazy imports included), absolute names."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", "") == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return names


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_import_scanner_sees_every_import_form(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import rclpy.node\nfrom pybullet import connect\n"
        "def lazy():\n    import aca_interfaces.action\n    __import__('launch')\n"
    )
    tops = {name.split(".")[0] for name in imports_of(sample)}
    assert tops == {"rclpy", "pybullet", "aca_interfaces", "launch"}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_pure_layer_has_no_forbidden_imports(layer):
    files = files_of(layer)
    assert files, f"layer {layer}/ has no modules"
    offenders = {
        str(path.relative_to(SRC)): sorted(
            {n.split(".")[0] for n in imports_of(path)} & FORBIDDEN[layer]
        )
        for path in files
    }
    offenders = {path: mods for path, mods in offenders.items() if mods}
    assert not offenders, f"forbidden imports in {layer}/: {offenders}"


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_the_layers_below(layer):
    offenders = {}
    for path in files_of(layer):
        used = {
            name.split(".")[1]
            for name in imports_of(path)
            if name.startswith("aca_sim.") and not name.startswith("aca_sim.__")
        }
        wrong = sorted(used - ALLOWED[layer])
        if wrong:
            offenders[str(path.relative_to(SRC))] = wrong
    assert not offenders, f"{layer}/ reaches up to: {offenders}"


def readme_layers() -> list[str]:
    """The packages and top modules the README's layer map lists, in its order."""
    text = README.read_text()
    block = text[text.index("src/aca_sim/ ") :].split("\n")
    names = []
    for line in block[2:]:
        match = re.match(r"^  (\w+)(/|\.py) ", line)
        if not line.startswith("  "):
            break
        if match:
            names.append(match.group(1))
    return names


def test_every_package_has_a_row_and_a_place_in_the_readme():
    on_disk = layers_on_disk()
    assert {"model", "sim", "cli", "campaign"} <= on_disk, "the layers were read"
    assert on_disk == set(ALLOWED), "packages without a row, or rows without a package"
    assert sorted(readme_layers()) == sorted(on_disk), "the README's layer map"


def test_the_readme_lists_the_layers_lowest_first():
    order = readme_layers()
    for low, layer in enumerate(order):
        above = set(order[low + 1 :])
        assert not ALLOWED[layer] & above, f"{layer} may import {ALLOWED[layer] & above}"


def import_graph() -> dict[str, set[str]]:
    """aca_sim module -> the aca_sim modules it imports (packages resolved to __init__)."""
    modules = {module_name(path): path for path in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for imported in imports_of(path):
            while imported and imported not in modules:  # "pkg.mod.Name" -> "pkg.mod"
                imported = imported.rpartition(".")[0]
            if imported and imported != name and imported != "aca_sim":
                graph[name].add(imported)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_loop():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_itself_through_others():
    graph = import_graph()
    assert "aca_sim.sim.world" in graph["aca_sim.sim.aca"], "the graph was read"
    assert find_cycle(graph) is None
