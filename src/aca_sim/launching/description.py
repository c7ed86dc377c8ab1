"""A ROS 2 XML launch file turned into the processes to start.

Supported, as in ROS 2 launch XML: <launch>; <arg name default description>; <let name
value>; <node pkg exec name namespace output args on_exit if unless> with <param name value>,
<param from>, <remap from to>, <env name value>; <include file> with <arg name value>;
<group scoped if unless>; substitutions $(var), $(env), $(find-pkg-share), $(dirname).
Anything else fails with a LaunchError naming the tag (or attribute) and its line: a launch
file is never run with a part silently ignored. No ROS import beyond the ament index.

Scopes: a <group> (scoped by default) and an <include> see the launch configurations around
them, and what they set stays inside. Command-line name:=value arguments set the launch
configurations before any <arg> default applies, so they reach the arguments of included
files too (unless the <include> sets that argument itself), as with `ros2 launch`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aca_sim.launching.substitutions import package_executable, package_share, resolve
from aca_sim.launching.xml_tree import Element, parse_file

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
    """One process to start: its label, command, extra environment, output mode, whether its
    exit stops the launch (on_exit="shutdown"), and the launch file line it comes from."""

    name: str
    command: list[str]
    env: dict[str, str]
    output: str
    required: bool
    where: str


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
    top: bool
    executable: Callable[[str, str], Path]
    share: Callable[[str], Path]
    listing: bool = False  # only collecting the arguments: a missing required one is fine
    fixed: frozenset[str] = frozenset()  # arguments an enclosing <include> sets itself


def load_launch_file(
    path: Path,
    arguments: dict[str, str] | None = None,
    executable: Callable[[str, str], Path] = package_executable,
    share: Callable[[str], Path] = package_share,
) -> LaunchPlan:
    """Interpret a launch file with command-line arguments; LaunchError on anything wrong."""
    plan = LaunchPlan()
    context = _Context(dict(arguments or {}), Path(path).resolve(), True, executable, share)
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
        True,
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
    try:
        return resolve(element.require(name), context.configurations, context.file, context.share)
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
        "include": _include,
        "group": _group,
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
    default = _value(element, "default", context) if "default" in element.attrs else None
    if name not in context.fixed and name not in {a.name for a in plan.args}:
        plan.args.append(
            ArgDecl(name, default, element.attrs.get("description", ""), element.where())
        )
    if name not in context.configurations:
        if default is None and not context.listing:
            raise element.error(f"argument '{name}' is required: pass {name}:=<value>")
        context.configurations[name] = REQUIRED if default is None else default


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
        inner = _Context(
            dict(context.configurations), context.file, context.top, context.executable,
            context.share, context.listing, context.fixed,
        )  # fmt: skip
    _run_children(element, inner, plan)


def _include(element: Element, context: _Context, plan: LaunchPlan) -> None:
    element.check_attrs({"file"} | CONDITIONS)
    if not _enabled(element, context):
        return
    path = Path(_value(element, "file", context))
    if not path.is_absolute():
        path = context.file.parent / path
    configurations = dict(context.configurations)
    fixed = set(context.fixed)
    for child in element.children:
        if child.tag != "arg":
            raise child.error("only <arg name value> may be inside <include>")
        child.check_attrs({"name", "value"})
        configurations[child.require("name")] = _value(child, "value", context)
        fixed.add(child.require("name"))
    if not path.is_file():
        raise element.error(f"included file {path} does not exist")
    inner = _Context(
        configurations,
        path.resolve(),
        False,
        context.executable,
        context.share,
        context.listing,
        frozenset(fixed),
    )
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
        command += _value(element, "args", context).split()
    ros_args: list[str] = []
    name = _value(element, "name", context) if "name" in element.attrs else ""
    if name:
        ros_args += ["-r", f"__node:={name}"]
    if "namespace" in element.attrs:
        namespace = _value(element, "namespace", context)
        ros_args += ["-r", f"__ns:={namespace if namespace.startswith('/') else '/' + namespace}"]
    files, params, env = [], [], {}
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
    output = _value(element, "output", context) if "output" in element.attrs else "screen"
    if output not in OUTPUTS:
        raise element.error(f"output={output!r}: use one of {sorted(OUTPUTS)}")
    on_exit = _value(element, "on_exit", context) if "on_exit" in element.attrs else ""
    if on_exit not in ("", "shutdown"):
        raise element.error(f"on_exit={on_exit!r}: only 'shutdown' is supported")
    label = name or exe
    taken = {p.name for p in plan.processes}
    suffix = 2
    while label in taken:
        label = f"{name or exe}-{suffix}"
        suffix += 1
    plan.processes.append(
        ProcessSpec(label, command, env, output, on_exit == "shutdown", element.where())
    )
