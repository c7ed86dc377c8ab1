"""The CI image's files stay consistent with the Makefile, so they cannot rot: the Dockerfile
takes its base as an argument and runs the README's test command with the project's Python,
the workflow, `.ci/run`, `make container-test` and the README's CI snippets run that same
command, and the image gets no build tools. (Building the image is `make container-test`:
too slow for every change.)"""

import re
import shlex
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEST_COMMAND = ["make", "test"]
JUNIT = "PYTEST_ARGS=--junitxml=/results/junit.xml"


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
    assert [s[0][1] for s in stages().values()] == ["${BASE_IMAGE}", "${BASE_IMAGE}"]


def test_the_image_runs_the_readmes_test_command_and_holds_no_build_tools():
    build, test = stages()["build"], stages()["test"]
    assert any(w == "RUN" and "install-system-packages.sh build" in r for w, r in build)
    assert any(w == "RUN" and "make setup" in r for w, r in build)
    runs = " ".join(r for w, r in test if w == "RUN")
    assert "install-system-packages.sh run" in runs
    assert "make setup" not in runs and "install-system-packages.sh build" not in runs
    for leftover in ("/var/lib/apt/lists/*", "/var/cache/apt/*"):
        assert leftover in runs, leftover
    assert ("COPY", "--from=build /aca_sim /aca_sim") in test
    (cmd,) = [r for w, r in test if w == "CMD"]
    assert yaml.safe_load(cmd) == [*TEST_COMMAND, JUNIT]
    assert "$(PY) -m pytest $(PYTEST_ARGS)" in makefile_target("test")


def test_the_set_up_script_splits_build_and_run_packages():
    script = (ROOT / "scripts/install-system-packages.sh").read_text()
    build_part = script[script.index('if [ "$role" != run ]') :]
    build_part = build_part[: build_part.index("fi\n")]
    run_part = script[script.index('if [ "$role" != build ]') :]
    run_part = run_part[: run_part.index("fi\n")]
    for tool in ("g++", "cmake", "npm", "python3-dev"):
        assert tool in build_part and tool not in run_part, tool
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


def check_build_and_run(commands, context):
    builds = [c for c in commands if c[1] == "build"]
    assert builds and builds[0][-1] == context, builds
    assert "-t" in builds[0] and builds[0][builds[0].index("-t") + 1] == "aca_sim-ci"
    runs = [c for c in commands if c[1] in ("run", "create")]
    assert runs, commands
    for run in runs:
        assert "--network" in run and run[run.index("--network") + 1] == "none"
        after_image = run[run.index("aca_sim-ci") + 1 :]
        # The image's own command, or `make test` with the JUnit report and test paths.
        if after_image:
            assert after_image[:2] == TEST_COMMAND and after_image[2].startswith(JUNIT), run


def test_the_workflow_builds_the_dockerfile_and_runs_its_command():
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    steps = workflow["jobs"]["test"]["steps"]
    commands = [c for step in steps if "run" in step for c in docker_commands(step["run"])]
    check_build_and_run(commands, ".")
    build = next(c for c in commands if c[1] == "build")
    assert "-f" in build and build[build.index("-f") + 1] == "Dockerfile"
    base = build[build.index("--build-arg") + 1]
    default = dockerfile_instructions()[0][1]
    assert base == default, "the workflow's base differs from the Dockerfile's default"
    assert workflow["jobs"]["test"]["timeout-minutes"] <= 90


def readme_ci_snippets():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## CI containers") : text.index("## ROS environment")]
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.S)]


@pytest.mark.parametrize("which", ["github", "gitlab"])
def test_the_readmes_ci_snippets_are_valid_and_run_the_same_command(which):
    github, gitlab = readme_ci_snippets()
    if which == "github":
        steps = github["jobs"]["aca-sim"]["steps"]
        commands = [c for step in steps if "run" in step for c in docker_commands(step["run"])]
    else:
        commands = [c for line in gitlab["aca-sim"]["script"] for c in docker_commands(line)]
        assert gitlab["aca-sim"]["artifacts"]["reports"]["junit"] == "results/junit.xml"
    check_build_and_run(commands, "aca_sim")
