"""aca_sim built with colcon into a temporary workspace (against the venv's aca_interfaces, as
a ROS user's workspace would use an installed one), then run from that install, not from the
source tree: `aca-sim launch --show-args` and a short campaign. Everything the package needs
at run time must come from setup.py's data_files."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)


@pytest.fixture(scope="module")
def install(tmp_path_factory):
    work = tmp_path_factory.mktemp("colcon_ws")
    build = subprocess.run(
        [
            str(VENV / "bin" / "colcon"),
            "--log-base", str(work / "log"),
            "build",
            "--base-paths", str(REPO),
            "--packages-select", "aca_sim",
            "--build-base", str(work / "build"),
            "--install-base", str(work / "install"),
        ],
        cwd=work, capture_output=True, text=True, timeout=600,
        env={**os.environ, "AMENT_PREFIX_PATH": str(VENV)},
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    prefix = work / "install" / "aca_sim"
    site = next(prefix.glob("lib/python3*/site-packages"))
    env = {
        **os.environ,
        "AMENT_PREFIX_PATH": f"{prefix}:{VENV}",
        "PYTHONPATH": str(site),
    }
    return prefix, env, work


def run(install, *args, timeout=600):
    prefix, env, work = install
    return subprocess.run(
        [str(prefix / "lib" / "aca_sim" / "aca-sim"), *args],
        cwd=work, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_the_install_holds_what_the_package_needs_at_run_time(install):
    prefix, env, work = install
    share = prefix / "share" / "aca_sim"
    for name in (
        "package.xml",
        "launch/caching.launch.xml",
        "urdf/aca.urdf.xacro",
        "config/aca_model.yaml",
        "config/aca.srdf",
        "config/faults/mageik.yaml",
        "config/campaigns/short.yaml",
        "rviz/aca.rviz",
        "web/teleop/index.html",
        "web/node_modules/three/build/three.module.js",
        "web/node_modules/urdf-loader/src/URDFLoader.js",
    ):
        assert (share / name).is_file(), name
    where = subprocess.run(
        [sys.executable, "-c", "import aca_sim.paths as p; print(p.__file__, p.share_dir())"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert where[0].startswith(str(prefix)) and where[1] == str(share), where


def test_launch_show_args_runs_from_the_install(install):
    shown = run(install, "launch", "caching.launch.xml", "--show-args", timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "'run_campaign':" in shown.stdout and "'model_config':" in shown.stdout


@pytest.mark.slow
def test_a_short_campaign_runs_from_the_install(install):
    _prefix, _env, work = install
    result = run(install, "run", "--campaign", "short", "--seed", "3", "--run-dir",
                 str(work / "run"))  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (work / "run" / "summary.md").is_file()
    assert "sealed" in (work / "run" / "summary.md").read_text()
