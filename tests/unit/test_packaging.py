"""The package is usable the ROS way: ament index, xacro's $(find), executables, CLI."""

import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aca_sim import __version__
from aca_sim.cli import main

PREFIX = Path(sys.prefix)
ROOT = Path(__file__).resolve().parents[2]


def ament_env():
    return {**os.environ, "AMENT_PREFIX_PATH": str(PREFIX)}


def test_ament_index_finds_the_share_directory_and_its_files():
    code = (
        "from ament_index_python.packages import get_package_share_directory as d;"
        "import pathlib; p = pathlib.Path(d('aca_sim'));"
        "print(all((p / f).exists() for f in ('package.xml', 'urdf/aca.urdf.xacro', "
        "'config/aca_model.yaml')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=ament_env(), capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True"


def test_xacro_command_expands_the_model_with_find_substitution():
    xacro = PREFIX / "bin" / "xacro"
    share = subprocess.run(
        [sys.executable, "-c", "from aca_sim.paths import share_path; print(share_path('urdf'))"],
        env=ament_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    out = subprocess.run(
        [str(xacro), f"{share}/aca.urdf.xacro"],
        env=ament_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert '<robot name="aca">' in out.stdout and 'name="sha_elbow"' in out.stdout


def test_executables_are_installed_under_lib_aca_sim():
    exe = PREFIX / "lib" / "aca_sim" / "aca-sim"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"aca-sim {__version__}"


def test_cli_help_lists_the_run_command(capsys):
    assert main([]) == 0
    assert "run" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])


def test_cli_names_a_bad_seed_and_a_used_run_folder(capsys, tmp_path):
    assert main(["run", "--seed", "-3"]) == 2
    assert "--seed -3 must be >= 0" in capsys.readouterr().err
    (tmp_path / "old.txt").write_text("x")
    assert main(["run", "--run-dir", str(tmp_path)]) == 2
    assert f"--run-dir {tmp_path} is not empty" in capsys.readouterr().err


def test_setup_installs_every_share_file():
    """Every file under config/, launch/ and urdf/ is in setup.py's data_files (a colcon
    install has what the source tree has)."""
    import ast

    tree = ast.parse((ROOT / "setup.py").read_text())
    patterns = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "glob"
        and isinstance(node.args[0], ast.Constant)
    ]
    installed = {path for pattern in patterns for path in glob.glob(pattern, root_dir=ROOT)}
    present = {
        str(path.relative_to(ROOT))
        for folder in ("config", "launch", "urdf")
        for path in (ROOT / folder).rglob("*")
        if path.is_file()
    }
    assert present - installed == set()
