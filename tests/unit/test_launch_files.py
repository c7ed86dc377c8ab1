"""The launch-file interpreter of `aca-sim launch`: the project's launch files, arguments,
includes, groups, substitutions, and errors that name the tag and line."""

import os
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from aca_sim.cli import main
from aca_sim.launching.description import declared_args, load_launch_file
from aca_sim.launching.substitutions import resolve
from aca_sim.launching.xml_tree import LaunchError
from aca_sim.nodes.sim_node import PARAMETERS, SimParams
from aca_sim.paths import share_path

LAUNCH = share_path("launch")


def fake_exe(package, executable):
    return Path(f"/opt/{package}/lib/{executable}")


def load(path, **args):
    return load_launch_file(path, args, executable=fake_exe)


def test_every_argument_of_the_project_launch_files_has_a_description():
    for name in ("sim.launch.xml", "caching.launch.xml", "teleop.launch.xml"):
        args = declared_args(LAUNCH / name)
        assert args, name
        assert all(a.description for a in args), [a.name for a in args if not a.description]


def test_caching_launch_starts_sim_sequencer_and_recorder_with_their_parameters():
    plan = load(LAUNCH / "caching.launch.xml", seed="7", run_dir="/tmp/r")
    assert [p.name for p in plan.processes] == ["sim", "sequencer", "recorder"]
    sim, sequencer, recorder = plan.processes
    assert sim.command[0] == "/opt/aca_sim/lib/sim_node"
    assert sim.command[1:6] == ["--ros-args", "-r", "__node:=sim", "-r", "__ns:=/aca"]
    params_file = sim.command[sim.command.index("--params-file") + 1]
    assert Path(params_file).resolve() == share_path("config", "sim_node.yaml").resolve()
    assert "seed:=7" in sim.command and "mode:=fast" in sim.command
    assert "inventory_path:=/tmp/r/inventory.db" in sequencer.command
    assert "output:=/tmp/r/recording.mcap" in recorder.command
    assert not any(p.required for p in plan.processes)
    assert sim.where.endswith("sim.launch.xml:18")


def test_the_sim_params_file_sets_exactly_the_declared_parameters_to_their_defaults():
    """config/sim_node.yaml mirrors the node: every parameter it declares, at its default
    (same value and type), none it does not."""
    document = yaml.safe_load(share_path("config", "sim_node.yaml").read_text())
    in_file = document["/**"]["ros__parameters"]
    assert list(in_file) == list(PARAMETERS) == [f.name for f in fields(SimParams)]
    for name, (default, _) in PARAMETERS.items():
        assert (type(in_file[name]), in_file[name]) == (type(default), default), name


def test_conditions_add_the_campaign_and_drop_the_recorder():
    plan = load(LAUNCH / "caching.launch.xml", run_campaign="true", record="false")
    assert [p.name for p in plan.processes] == ["sim", "sequencer", "campaign"]
    assert plan.processes[-1].required and "campaign:=default" in plan.processes[-1].command


def test_teleop_runs_the_sim_in_real_time_with_frames_markers_and_rviz_on_request():
    plan = load(LAUNCH / "teleop.launch.xml", real_time_factor="5.0")
    names = [p.name for p in plan.processes]
    assert names == ["sim", "sequencer", "state_publisher", "teleop", "teleop_web"]
    assert "token:=''" in plan.processes[-1].command  # empty: rcl reads the value as YAML
    assert "mode:=realtime" in plan.processes[0].command
    assert "real_time_factor:=5.0" in plan.processes[0].command
    with_rviz = load(LAUNCH / "teleop.launch.xml", rviz="true").processes
    assert with_rviz[-1].name == "rviz2"
    config = with_rviz[-1].command[with_rviz[-1].command.index("-d") + 1]
    assert Path(config).resolve() == share_path("rviz", "aca.rviz").resolve()
    assert "use_sim_time:=true" in with_rviz[-1].command


def write(tmp_path, body, name="t.launch.xml"):
    path = tmp_path / name
    path.write_text(f'<?xml version="1.0"?>\n<launch>\n{body}</launch>\n')
    return path


def test_include_args_group_scope_let_env_and_remap(tmp_path):
    write(
        tmp_path,
        '  <arg name="who" default="inner"/>\n  <node pkg="p" exec="e" name="$(var who)"/>\n',
        "inner.launch.xml",
    )
    os.environ["ACA_TEST_VALUE"] = "from-env"
    top = write(
        tmp_path,
        '  <arg name="x" default="1" description="an x"/>\n'
        "  <group>\n"
        '    <let name="x" value="2"/>\n'
        '    <node pkg="p" exec="a" name="a$(var x)" args="--flag $(env ACA_TEST_VALUE)">\n'
        '      <remap from="/in" to="/out"/>\n'
        '      <env name="FOO" value="$(env NOPE_NOT_SET fallback)"/>\n'
        "    </node>\n"
        "  </group>\n"
        '  <include file="$(dirname)/inner.launch.xml">\n'
        '    <arg name="who" value="b$(var x)"/>\n'
        "  </include>\n",
    )
    plan = load(top)
    a, b = plan.processes
    assert a.name == "a2" and a.command[1:3] == ["--flag", "from-env"]
    assert a.command[-2:] == ["-r", "/in:=/out"] and a.env == {"FOO": "fallback"}
    assert b.name == "b1", "the let stayed inside its group"
    assert [(d.name, d.default) for d in plan.args] == [("x", "1")], "who: set by the include"
    assert (
        load(top, x="9").processes[0].name == "a2" and load(top, x="9").processes[1].name == "b9"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('  <timer period="1"/>\n', ":3: <timer>: unsupported tag"),
        ('  <node pkg="p" exec="e" respawn="true"/>\n',
         ":3: <node>: unsupported attribute(s) ['respawn']"),
        ('  <arg name="needed"/>\n', ":3: <arg>: argument 'needed' is required"),
        ('  <node pkg="p" exec="$(var nope)"/>\n', "no launch argument or let named 'nope'"),
        ('  <node pkg="p" exec="$(command ls)"/>\n', "unsupported substitution $(command ...)"),
        ('  <group if="maybe"/>\n', "if='maybe' is not a boolean"),
        ('  <include file="missing.launch.xml"/>\n', "missing.launch.xml does not exist"),
        ('  <node pkg="p" exec="e"><param name="a"><param name="b" value="1"/></param></node>\n',
         "nested <param>"),
        ("  <node pkg='p'>\n", "malformed XML"),
    ],
)  # fmt: skip
def test_unsupported_or_bad_content_fails_naming_it_and_its_line(tmp_path, body, message):
    with pytest.raises(LaunchError) as error:
        load(write(tmp_path, body))
    assert message in str(error.value)


def test_a_missing_package_is_named(tmp_path):
    path = write(tmp_path, '  <node pkg="no_such_pkg" exec="e"/>\n')
    with pytest.raises(LaunchError, match="package 'no_such_pkg' is not installed"):
        load_launch_file(path, {})


def test_nested_substitutions_resolve_inside_out(tmp_path):
    assert resolve("$(env NOPE_X $(var d))/x", {"d": "/data"}, tmp_path / "f.xml") == "/data/x"


def test_cli_show_args_and_bad_arguments(capsys):
    assert main(["launch", "sim.launch.xml", "--show-args"]) == 0
    out = capsys.readouterr().out
    assert "'real_time_factor':" in out and "(default: 'fast')" in out
    assert main(["launch", "sim.launch.xml", "speed:=9"]) == 2
    assert "declares no argument(s) ['speed']" in capsys.readouterr().err
    assert main(["launch", "nosuch.launch.xml"]) == 2
    assert "no launch file 'nosuch.launch.xml'" in capsys.readouterr().err
    assert main(["launch", "sim.launch.xml", "mode=fast"]) == 2
    assert "'mode=fast' is not name:=value" in capsys.readouterr().err


def test_arguments_of_included_files_are_listed_and_reach_them(capsys):
    assert main(["launch", "caching.launch.xml", "--show-args"]) == 0
    out = capsys.readouterr().out
    assert "'model_config':" in out and "'run_campaign':" in out  # sim.launch.xml's, its own
    plan = load(LAUNCH / "caching.launch.xml", model_config="/tmp/my_model.yaml", seed="3")
    sim = plan.processes[0]
    assert "model_config:=/tmp/my_model.yaml" in sim.command  # not set by the include
    assert "seed:=3" in sim.command  # set by the include from the top file's argument
    names = [a.name for a in declared_args(LAUNCH / "caching.launch.xml")]
    assert len(names) == len(set(names)) and names[0] == "mode"  # the top file's come first


def test_a_required_argument_is_listed_not_demanded(tmp_path, capsys):
    path = write(tmp_path, '  <arg name="robot" description="which robot"/>\n')
    assert main(["launch", str(path), "--show-args"]) == 0
    assert "(default: required)" in capsys.readouterr().out
    with pytest.raises(LaunchError, match="argument 'robot' is required"):
        load_launch_file(path, {})
