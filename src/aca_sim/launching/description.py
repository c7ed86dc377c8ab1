"""A ROS 2 XML launch file turned into the processes to start.

Supported, as in ROS 2 launch XML: <launch>; <arg name default description> with <choice
value> children; <let name value>; <node pkg exec name namespace output args ros_args on_exit
if unless> with <param name value>, <param from>, <remap from to>, <env name value>;
<executable cmd cwd name output on_exit if unless> with <env>; <include file if unless> with
<arg name value>; <group scoped if unless>; <push-ros-namespace namespace> (or
push_ros_namespace); <set_env name value>, <unset_env name>; the substitutions of
aca_sim.launching.substitutions. Anything else fails with a LaunchError naming the tag (or
attribute) and its line: a launch file is never run with a part silently ignored. No ROS
import beyond the ament index.

Scopes, as ROS 2 launch has them: a scoped <group> (the default) sees the launch
configurations, the pushed ROS namespace and the environment around it, and what it sets
stays inside; an <include> is not scoped: the included file sees all of them, and what it (or
the <include>'s own <arg>s) sets stays set after it (wrap it in a <group> to keep it in).
Command-line name:=value arguments set the launch configurations before any <arg> default
applies, so they reach the arguments of included files too (unless the <include> sets that
argument itself).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from aca_sim.launching.substitutions import (
    Scope,
    package_executable,
    package_share,
    resolve,
    resolve_words,
)
from aca_sim.launching.xml_tree import Element, parse_file

T = TypeVar("T")
TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}
CONDITIONS = {"if", "unless"}
OUTPUTS = {"screen", "log", "both"}


@dataclass(frozen=True)
class ArgDecl:
    """A declared launch argument (default None = required)."""

    name: str
    default: str | None
    description: str
    where: str


@dataclass(frozen=True)
class ProcessSpec:
    """One process to start: its label, command, environment changes (a name to its value,
    or None: unset), output mode, whether its exit stops the launch (on_exit="shutdown"), the
    launch file line it comes from and its working directory (None: the launcher's)."""

    name: str
    command: list[str]
    env: dict[str, str | None]
    output: str
    required: bool
    where: str
    cwd: str | None = None


@dataclass
class LaunchPlan:
    """What a launch file declares (its arguments and those of the files it includes that
    the <include> does not set itself, first declaration of a name wins) and starts, in
    order."""

    args: list[ArgDecl] = field(default_factory=list)
    processes: list[ProcessSpec] = field(default_factory=list)


@dataclass
class _Context:
    configurations: dict[str, str]
    file: Path
    executable: Callable[[str, str], Path]
    share: Callable[[str], Path]
    listing: bool = False  # only collecting the arguments: a missing required one is fine
    fixed: frozenset[str] = frozenset()  # arguments an enclosing <include> sets itself
    environment: dict[str, str | None] = field(default_factory=dict)  # set_env / unset_env
    anonymous: dict[str, str] = field(default_factory=dict)  # $(anon) names of this launch

    @property
    def scope(self) -> Scope:
        """What the substitutions in this file see."""
        return Scope(self.configurations, self.file, self.share, self.anonymous)


def load_launch_file(
    path: Path,
    arguments: dict[str, str] | None = None,
    executable: Callable[[str, str], Path] = package_executable,
    share: Callable[[str], Path] = package_share,
) -> LaunchPlan:
    """Interpret a launch file with command-line arguments; LaunchError on anything wrong."""
    plan = LaunchPlan()
    context = _Context(dict(arguments or {}), Path(path).resolve(), executable, share)
    _run_file(context, plan)
    return plan


REQUIRED = "<required>"  # the value a required argument gets while only listing arguments


def declared_args(path: Path, arguments: dict[str, str] | None = None) -> list[ArgDecl]:
    """The arguments a launch file declares, with those of the files it includes (with these
    command-line arguments; a required one not given counts as given), without starting
    anything or looking up executables."""
    plan = LaunchPlan()
    context = _Context(
        dict(arguments or {}),
        Path(path).resolve(),
        lambda _package, executable: Path(executable),
        package_share,
        listing=True,
    )
    _run_file(context, plan)
    return plan.args


def _run_file(context: _Context, plan: LaunchPlan) -> None:
    root = parse_file(context.file)
    if root.tag != "launch":
        raise root.error("the root element must be <launch>")
    root.check_attrs({"version"})
    _run_children(root, context, plan)


def _value(element: Element, name: str, context: _Context) -> str:
    """An attribute with its substitutions resolved (LaunchError naming it)."""
    return _resolved(element, name, context, resolve)


def _words(element: Element, name: str, context: _Context) -> list[str]:
    """A command-line attribute (args, cmd) as its words (substitutions.resolve_words)."""
    return _resolved(element, name, context, resolve_words)


def _resolved(element: Element, name: str, context: _Context, how: Callable[..., T]) -> T:
    try:
        return how(element.require(name), context.scope)
    except ValueError as error:
        raise element.error(f"attribute '{name}': {error}") from None


def _enabled(element: Element, context: _Context) -> bool:
    for name in CONDITIONS & set(element.attrs):
        value = _value(element, name, context).strip().lower()
        if value not in TRUE | FALSE:
            raise element.error(f"{name}={value!r} is not a boolean (true/false, 1/0)")
        if (value in TRUE) != (name == "if"):
            return False
    return True


def _run_children(parent: Element, context: _Context, plan: LaunchPlan) -> None:
    handlers = {
        "arg": _arg,
        "let": _let,
        "node": _node,
        "executable": _executable,
        "include": _include,
        "group": _group,
        "push-ros-namespace": _push_ros_namespace,
        "push_ros_namespace": _push_ros_namespace,
        "set_env": _set_env,
        "unset_env": _unset_env,
    }
    for element in parent.children:
        handler = handlers.get(element.tag)
        if handler is None:
            raise element.error(
                f"unsupported tag; aca-sim launch supports <{'>, <'.join(handlers)}> "
                "(use `ros2 launch` for the rest)"
            )
        handler(element, context, plan)


def _arg(element: Element, context: _Context, plan: LaunchPlan) -> None:
    element.check_attrs({"name", "default", "description"})
    name = element.require("name")
    choices = []
    for child in element.children:
        if child.tag != "choice":
            raise child.error("only <choice value> may be inside <arg>")
        child.check_attrs({"value"})
        choices.append(child.require("value"))
    default = _value(element, "default", context) if "default" in element.attrs else None
    if name not in context.fixed and name not in {a.name for a in plan.args}:
        plan.args.append(
            ArgDecl(name, default, element.attrs.get("description", ""), element.where())
        )
    if name not in context.configurations:
        if default is None and not context.listing:
            raise element.error(f"argument '{name}' is required: pass {name}:=<value>")
        context.configurations[name] = REQUIRED if default is None else default
    value = context.configurations[name]
    if choices and value not in choices and value != REQUIRED:
        raise element.error(
            f"Argument '{name}' provided value '{value}' is not valid. "
            f"Valid options are: {choices}"
        )


def _let(element: Element, context: _Context, _plan: LaunchPlan) -> None:
    element.check_attrs({"name", "value"})
    context.configurations[element.require("name")] = _value(element, "value", context)


def _group(element: Element, context: _Context, plan: LaunchPlan) -> None:
    element.check_attrs({"scoped"} | CONDITIONS)
    if not _enabled(element, context):
        return
    scoped = element.attrs.get("scoped", "true").lower() not in FALSE
    inner = context
    if scoped:
        inner = dataclasses.replace(
            context,
            configurations=dict(context.configurations),
            environment=dict(context.environment),
        )
    _run_children(element, inner, plan)


def _push_ros_namespace(element: Element, context: _Context, _plan: LaunchPlan) -> None:
    """The namespace under which the nodes after it start, in its scope (a launch
    configuration, ros_namespace, as launch_ros keeps it)."""
    element.check_attrs({"namespace"})
    pushed = _value(element, "namespace", context)
    namespace = _prefixed(context.configurations.get("ros_namespace"), pushed)
    if not _valid_namespace(namespace):
        raise element.error(
            f"the resulting namespace {namespace!r} is invalid "
            f"(previous {context.configurations.get('ros_namespace')!r}, pushed {pushed!r})"
        )
    context.configurations["ros_namespace"] = namespace


def _prefixed(base: str | None, namespace: str) -> str:
    """launch_ros's namespace composition: an absolute one stands, a relative one goes under
    the base; the result absolute."""
    if namespace.startswith("/") or not base:
        joined = namespace
    else:
        joined = f"{base.rstrip('/')}/{namespace}"
    return "/" + joined.strip("/") if joined.strip("/") else "/"


def _valid_namespace(namespace: str) -> bool:
    """rcl's rules: '/'-separated tokens of letters, digits and '_', none starting with a
    digit, no empty token (but the root '/')."""
    if namespace == "/":
        return True
    tokens = namespace[1:].split("/")
    return all(
        token and not token[0].isdigit() and all(c.isalnum() or c == "_" for c in token)
        for token in tokens
    )


def _set_env(element: Element, context: _Context, _plan: LaunchPlan) -> None:
    element.check_attrs({"name", "value"} | CONDITIONS)
    if _enabled(element, context):
        context.environment[_value(element, "name", context)] = _value(element, "value", context)


def _unset_env(element: Element, context: _Context, _plan: LaunchPlan) -> None:
    element.check_attrs({"name"} | CONDITIONS)
    if _enabled(element, context):
        context.environment[_value(element, "name", context)] = None


def _include(element: Element, context: _Context, plan: LaunchPlan) -> None:
    element.check_attrs({"file"} | CONDITIONS)
    if not _enabled(element, context):
        return
    path = Path(_value(element, "file", context))
    if not path.is_absolute():
        path = context.file.parent / path
    fixed = set(context.fixed)
    given = {}
    for child in element.children:
        if child.tag != "arg":
            raise child.error("only <arg name value> may be inside <include>")
        child.check_attrs({"name", "value"})
        given[child.require("name")] = _value(child, "value", context)
        fixed.add(child.require("name"))
    if not path.is_file():
        raise element.error(f"included file {path} does not exist")
    context.configurations.update(given)  # not scoped: they stay set after it, as upstream
    inner = dataclasses.replace(context, file=path.resolve(), fixed=frozenset(fixed))
    _run_file(inner, plan)


def _node(element: Element, context: _Context, plan: LaunchPlan) -> None:
    element.check_attrs(
        {"pkg", "exec", "name", "namespace", "output", "args", "on_exit", "ros_args"} | CONDITIONS
    )
    if not _enabled(element, context):
        return
    package, exe = _value(element, "pkg", context), _value(element, "exec", context)
    try:
        command = [str(context.executable(package, exe))]
    except LookupError as error:
        raise element.error(str(error)) from None
    if "args" in element.attrs:
        command += _words(element, "args", context)
    ros_args: list[str] = []
    name = _value(element, "name", context) if "name" in element.attrs else ""
    if name:
        ros_args += ["-r", f"__node:={name}"]
    pushed = context.configurations.get("ros_namespace")
    if "namespace" in element.attrs or pushed:
        own = _value(element, "namespace", context) if "namespace" in element.attrs else ""
        ros_args += ["-r", f"__ns:={_prefixed(pushed, own)}"]
    files, params, env = [], [], dict(context.environment)
    for child in element.children:
        if child.tag == "param":
            if child.children:
                raise child.error("nested <param> groups are not supported")
            if "from" in child.attrs:
                child.check_attrs({"from"})
                files += ["--params-file", _value(child, "from", context)]
            else:
                child.check_attrs({"name", "value"})
                value = _value(child, "value", context) or "''"  # rcl reads it as YAML
                params += ["-p", f"{_value(child, 'name', context)}:={value}"]
        elif child.tag == "remap":
            child.check_attrs({"from", "to"})
            ros_args += ["-r", f"{_value(child, 'from', context)}:={_value(child, 'to', context)}"]
        elif child.tag == "env":
            child.check_attrs({"name", "value"})
            env[_value(child, "name", context)] = _value(child, "value", context)
        else:
            raise child.error("unsupported tag inside <node> (param, remap, env are)")
    if "ros_args" in element.attrs:
        ros_args += _value(element, "ros_args", context).split()
    ros_args += files + params
    if ros_args:
        command += ["--ros-args", *ros_args]
    _add_process(element, context, plan, name or exe, command, env)


def _executable(element: Element, context: _Context, plan: LaunchPlan) -> None:
    """<executable cmd>: any command (its words as substitutions.resolve_words has them)."""
    element.check_attrs({"cmd", "cwd", "name", "output", "on_exit"} | CONDITIONS)
    if not _enabled(element, context):
        return
    command = _words(element, "cmd", context)
    if not command:
        raise element.error("attribute 'cmd' is empty")
    env = dict(context.environment)
    for child in element.children:
        if child.tag != "env":
            raise child.error("unsupported tag inside <executable> (env is)")
        child.check_attrs({"name", "value"})
        env[_value(child, "name", context)] = _value(child, "value", context)
    name = _value(element, "name", context) if "name" in element.attrs else ""
    cwd = _value(element, "cwd", context) if "cwd" in element.attrs else None
    _add_process(element, context, plan, name or Path(command[0]).name, command, env, cwd)


def _add_process(
    element: Element,
    context: _Context,
    plan: LaunchPlan,
    label: str,
    command: list[str],
    env: dict[str, str | None],
    cwd: str | None = None,
) -> None:
    """Add a process with the element's output and on_exit, under a label not yet taken."""
    output = _value(element, "output", context) if "output" in element.attrs else "screen"
    if output not in OUTPUTS:
        raise element.error(f"output={output!r}: use one of {sorted(OUTPUTS)}")
    on_exit = _value(element, "on_exit", context) if "on_exit" in element.attrs else ""
    if on_exit not in ("", "shutdown"):
        raise element.error(f"on_exit={on_exit!r}: only 'shutdown' is supported")
    taken, unique, suffix = {p.name for p in plan.processes}, label, 2
    while unique in taken:
        unique, suffix = f"{label}-{suffix}", suffix + 1
    plan.processes.append(
        ProcessSpec(unique, command, env, output, on_exit == "shutdown", element.where(), cwd)
    )
