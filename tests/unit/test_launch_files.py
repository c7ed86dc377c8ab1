"""The launch-file interpreter of `aca-sim launch`: the project's launch files, arguments,
includes, groups, substitutions, and errors that name the tag and line."""

import os
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from aca_sim.cli import main
from aca_sim.launching.description import declared_args, load_launch_file
from aca_sim.launching.substitutions import Scope, resolve
from aca_sim.launching.supervisor import process_environment
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
    assert sim.where.endswith("sim.launch.xml:21")


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
    assert names == ["sim", "sequencer", "state_publisher", "teleop", "servo_node", "teleop_web"]
    assert "token:=''" in plan.processes[-1].command  # empty: rcl reads the value as YAML
    servo = plan.processes[4].command
    assert "time_scale:=5.0" in servo  # its commands' points a period of sim time ahead
    assert servo[servo.index("--params-file") + 1].endswith("share/aca_sim/config/servo.yaml")
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
    scope = Scope({"d": "/data"}, tmp_path / "f.xml")
    assert resolve("$(env NOPE_X $(var d))/x", scope) == "/data/x"


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


def test_pushed_namespaces_compose_as_launch_ros_and_a_scoped_group_pops_them(tmp_path):
    plan = load(
        write(
            tmp_path,
            '  <push-ros-namespace namespace="rover"/>\n'
            '  <node pkg="p" exec="a" name="a"/>\n'
            '  <node pkg="p" exec="b" name="b" namespace="aca"/>\n'
            '  <node pkg="p" exec="c" name="c" namespace="/abs"/>\n'
            '  <group><push_ros_namespace namespace="arm"/><node pkg="p" exec="d" name="d"/>'
            "</group>\n"
            '  <node pkg="p" exec="e" name="e" args="$(var ros_namespace)"/>\n',
        )
    )
    namespaces = {p.name: p.command[p.command.index("--ros-args") + 4] for p in plan.processes}
    assert namespaces == {
        "a": "__ns:=/rover",
        "b": "__ns:=/rover/aca",
        "c": "__ns:=/abs",
        "d": "__ns:=/rover/arm",
        "e": "__ns:=/rover",
    }
    assert plan.processes[-1].command[1] == "/rover"
    with pytest.raises(LaunchError, match=r":3: <push-ros-namespace>: the resulting namespace"):
        load(write(tmp_path, '  <push-ros-namespace namespace="9lives"/>\n'))


def test_set_env_and_unset_env_reach_later_processes_in_their_scope(tmp_path):
    plan = load(
        write(
            tmp_path,
            '  <set_env name="ACA_A" value="1"/>\n'
            '  <group><set_env name="ACA_B" value="2"/><node pkg="p" exec="x" name="x"/></group>\n'
            '  <unset_env name="HOME"/>\n'
            '  <node pkg="p" exec="y" name="y"><env name="ACA_C" value="3"/></node>\n',
        )
    )
    x, y = plan.processes
    assert x.env == {"ACA_A": "1", "ACA_B": "2"}
    assert y.env == {"ACA_A": "1", "HOME": None, "ACA_C": "3"}, "ACA_B stayed in its group"
    started = process_environment(y.env)
    assert "HOME" not in started and started["ACA_C"] == "3"


def test_executable_runs_a_command_split_as_a_shell_would_in_its_directory(tmp_path):
    (process,) = load(
        write(
            tmp_path,
            '  <arg name="who" default="the rover"/>\n'
            '  <executable cmd="echo \'hello world\' $(var who)" cwd="$(dirname)" name="greeter"'
            ' on_exit="shutdown"><env name="ACA_X" value="1"/></executable>\n',
        )
    ).processes
    assert process.command == ["echo", "hello world", "the rover"]
    assert (process.name, process.cwd, process.env, process.required) == (
        "greeter",
        str(tmp_path),
        {"ACA_X": "1"},
        True,
    )


def test_eval_anon_and_quoted_arguments_as_ros2_launch_parses_them(tmp_path):
    plan = load(
        write(
            tmp_path,
            '  <arg name="count" default="3"/>\n'
            '  <arg name="label" default="my arm"/>\n'
            '  <let name="twice" value="$(eval \'$(var count) * 2\')"/>\n'
            '  <node pkg="p" exec="a" name="$(anon talker)" args="$(anon talker) $(var twice)'
            " $(eval '(1 + 2) * 3') $(env ACA_NOT_SET_HERE 'a default') $(var 'label')"
            " $(eval &quot;'$(var label)' == 'my arm'&quot;)\"/>\n",
        )
    )
    (process,) = plan.processes
    anon, *rest = process.command[1 : process.command.index("--ros-args")]
    assert anon.startswith("talker_") and process.name == anon, "one name per launch"
    assert rest == ["6", "9", "a default", "my arm", "True"], "a value is one word"
    with pytest.raises(LaunchError, match=r"\$\(eval 1/0\): ZeroDivisionError"):
        load(write(tmp_path, '  <let name="x" value="$(eval 1/0)"/>\n'))


def test_an_argument_with_choices_refuses_another_value_naming_them(tmp_path):
    path = write(
        tmp_path,
        '  <arg name="mode" default="fast"><choice value="fast"/><choice value="realtime"/>'
        "</arg>\n",
    )
    load(path, mode="realtime")
    with pytest.raises(LaunchError) as refused:
        load(path, mode="slow")
    assert str(refused.value).endswith(
        ":3: <arg>: Argument 'mode' provided value 'slow' is not valid. "
        "Valid options are: ['fast', 'realtime']"
    )
    with pytest.raises(LaunchError, match="Argument 'mode' provided value 'slow'"):
        load(LAUNCH / "sim.launch.xml", mode="slow")


def test_an_include_is_not_scoped_as_in_ros2_launch_and_a_group_keeps_it_in(tmp_path):
    """ros2/launch#620's files: the first include's default sticks for the second one."""
    for name, default in (("inside1", "1"), ("inside2", "2")):
        write(
            tmp_path,
            f'  <arg name="test_arg" default="{default}"/>\n'
            f'  <let name="from_{name}" value="yes"/>\n'
            f'  <node pkg="p" exec="{name}" name="{name}" args="$(var test_arg)"/>\n',
            f"{name}.launch.xml",
        )
    plan = load(
        write(
            tmp_path,
            '  <include file="$(dirname)/inside1.launch.xml"/>\n'
            '  <include file="$(dirname)/inside2.launch.xml"/>\n'
            '  <node pkg="p" exec="after" name="after" args="$(var from_inside1)"/>\n',
        )
    )
    assert [p.command[1] for p in plan.processes] == ["1", "1", "yes"]
    scoped = load(
        write(
            tmp_path,
            '  <group><include file="$(dirname)/inside1.launch.xml"/></group>\n'
            '  <include file="$(dirname)/inside2.launch.xml"/>\n',
        )
    )
    assert [p.command[1] for p in scoped.processes] == ["1", "2"]
