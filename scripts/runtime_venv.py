"""Turn a finished CI venv into the runtime image's venv (Dockerfile stage `runtime-venv`).

The runtime image is for users' own integration tests against the simulator: it keeps what
`aca_sim` runs with (ROS 2 from the wheels, the interface packages, PyBullet, planning,
recording, the launch runner) and pytest, and leaves out what only the project's own suite,
the set-up or Monte Carlo studies need (the browser driver, Ray, SciPy, the interface build
tools, colcon, the linter).

What stays is the dependency closure of the distributions named in requirements-runtime.txt,
read from the installed metadata; every other distribution that pip installed is uninstalled
with pip (distributions that an interface build registered without pip, such as
`aca_interfaces` or the ROS wheels' own egg-info, are never touched). The editable aca_sim
becomes a regular install (its share files in <venv>/share/aca_sim, its executables in bin/
and lib/aca_sim), so the image needs no source tree. PyBullet's example folders go too.

Usage (the venv's Python, from the repository root): python scripts/runtime_venv.py ROOTS
Never run it on a developer's venv: it uninstalls the test tools.
"""

from __future__ import annotations

import importlib.metadata as metadata
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PACKAGE = "aca_sim"
# Declared requirements that nothing imports at run time: python-fcl names Cython, which only
# its build used (slim-venv.sh has uninstalled it already).
NOT_NEEDED = {"cython"}
PYBULLET_EXTRAS = ("pybullet_envs", "pybullet_robots", "pybullet_examples", "pybullet_data")
# Imported once in a fresh interpreter at the end: every node, the CLI's commands but Monte
# Carlo, the moveit_py-shaped API, every interface package, and pytest.
RUNTIME_MODULES = (
    "aca_sim.cli", "aca_sim.nodes.sim_node", "aca_sim.nodes.sequencer_node",
    "aca_sim.nodes.recorder_node", "aca_sim.nodes.campaign_node",
    "aca_sim.nodes.state_publisher_node", "aca_sim.nodes.teleop_node",
    "aca_sim.nodes.teleop_web_node", "aca_sim.nodes.servo_node", "aca_sim.campaign.headless",
    "aca_sim.campaign.main_job",
    "aca_sim.recording.report", "aca_sim.moveit", "aca_interfaces.action", "aca_interfaces.srv",
    "control_msgs.action", "tf2_msgs.msg", "pytest", "pytest_timeout",
)  # fmt: skip


def read_roots(path: Path) -> list[str]:
    """The distribution names of a requirements-style file (comments and blanks skipped)."""
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(canonicalize_name(Requirement(line).name))
    return names


def installed() -> dict[str, metadata.Distribution]:
    """Every distribution of this interpreter by canonical name."""
    return {canonicalize_name(d.metadata["Name"]): d for d in metadata.distributions()}


def closure(roots: Iterable[str], dists: dict[str, metadata.Distribution]) -> set[str]:
    """The roots and everything they require (markers evaluated, no extras, NOT_NEEDED
    skipped), transitively. KeyError naming a root or requirement that is not installed."""
    keep: set[str] = set()
    todo = [canonicalize_name(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        if name not in dists:
            raise KeyError(f"{name} is required but not installed")
        keep.add(name)
        for text in dists[name].requires or []:
            requirement = Requirement(text)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            if canonicalize_name(requirement.name) not in NOT_NEEDED:
                todo.append(canonicalize_name(requirement.name))
    return keep


def installed_by_pip(dist: metadata.Distribution) -> bool:
    """Whether pip installed it (and so can uninstall it cleanly)."""
    return (dist.read_text("INSTALLER") or "").strip() == "pip"


def removable(roots: Iterable[str], dists: dict[str, metadata.Distribution]) -> list[str]:
    """The pip-installed distributions outside the roots' closure, sorted."""
    keep = closure(roots, dists)
    return sorted(n for n, d in dists.items() if n not in keep and installed_by_pip(d))


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args], check=True)


def reinstall_aca_sim(prefix: Path) -> None:
    """Replace the editable install (and its share/ links into the source tree) with a
    regular one, then give its executables their ament place, lib/aca_sim."""
    for folder in (prefix / "share" / PACKAGE, prefix / "lib" / PACKAGE):
        shutil.rmtree(folder, ignore_errors=True)  # links only: their targets stay
    pip("uninstall", "--yes", "--quiet", PACKAGE)
    pip("install", "--quiet", "--no-deps", "--no-build-isolation", ".")
    subprocess.run([sys.executable, "scripts/install_ament_layout.py", "--installed"], check=True)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: runtime_venv.py REQUIREMENTS_RUNTIME", file=sys.stderr)
        return 2
    prefix = Path(sys.prefix)
    roots = [*read_roots(Path(argv[0])), canonicalize_name(PACKAGE)]
    reinstall_aca_sim(prefix)
    drop = removable(roots, installed())
    print(f"runtime venv: uninstalling {len(drop)} distributions: {' '.join(drop)}")
    if drop:
        pip("uninstall", "--yes", "--quiet", *drop)
    site = Path(metadata.distribution("pybullet").locate_file(""))
    for name in PYBULLET_EXTRAS:
        shutil.rmtree(site / name, ignore_errors=True)
    closure(roots, installed())  # raises if anything kept lost a requirement
    imports = "; ".join(f"import {name}" for name in RUNTIME_MODULES)
    subprocess.run([sys.executable, "-B", "-c", imports], check=True)
    print(f"runtime venv: {len(RUNTIME_MODULES)} modules import")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
