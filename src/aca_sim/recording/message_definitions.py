"""ROS 2 message definitions in the `ros2msg` text form that rosbag2 writes into MCAP schemas.

The text is the type's own .msg file followed, for every message type it uses (depth first,
each once), by a line of 80 '=' characters, `MSG: pkg/Type` and that type's .msg text: the
form rosbag2's MCAP storage, Foxglove and mcap-ros2-support read. The .msg files come from
each package's share directory (the ament index), so any installed interface package works.
"""

from __future__ import annotations

import re
from pathlib import Path

from ament_index_python.packages import PackageNotFoundError, get_package_share_directory

from aca_sim.paths import ensure_ament_prefix_path

PRIMITIVES = frozenset(
    [
        "bool",
        "byte",
        "char",
        "float32",
        "float64",
        "int8",
        "uint8",
        "int16",
        "uint16",
        "int32",
        "uint32",
        "int64",
        "uint64",
        "string",
        "wstring",
    ]
)
SEPARATOR = "=" * 80
_FIELD = re.compile(r"^\s*([A-Za-z_][\w/]*)(?:<=\d+)?(?:\[[^\]]*\])?\s+([A-Za-z_]\w*)")


class UnknownMessageType(LookupError):  # noqa: N818 - the name says what it is
    """A message type whose .msg file is not installed."""


def split_type(type_name: str) -> tuple[str, str]:
    """'sensor_msgs/msg/Image' or 'sensor_msgs/Image' -> ('sensor_msgs', 'Image')."""
    parts = type_name.split("/")
    if len(parts) == 3 and parts[1] == "msg":
        return parts[0], parts[2]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise UnknownMessageType(f"{type_name!r} is not a message type name (pkg/msg/Type)")


def msg_text(package: str, name: str) -> str:
    """The .msg file of package/name, from the package's share directory."""
    ensure_ament_prefix_path()
    try:
        share = Path(get_package_share_directory(package))
    except PackageNotFoundError as error:
        raise UnknownMessageType(f"package {package!r} is not installed") from error
    path = share / "msg" / f"{name}.msg"
    if not path.is_file():
        raise UnknownMessageType(f"{path} does not exist")
    return path.read_text()


def dependencies(package: str, text: str) -> list[tuple[str, str]]:
    """The message types a .msg text uses, in order of first use, as (package, name)."""
    found: list[tuple[str, str]] = []
    for line in text.splitlines():
        code = line.split("#", 1)[0]
        match = _FIELD.match(code)
        if match is None or "=" in code.split(match.group(2), 1)[1][:2]:
            continue  # blank, comment or constant (constants are primitives)
        field_type = match.group(1)
        if field_type in PRIMITIVES:
            continue
        dep = tuple(field_type.split("/")) if "/" in field_type else (package, field_type)
        if dep not in found:
            found.append(dep)  # type: ignore[arg-type]
    return found


def full_definition(type_name: str) -> str:
    """The ros2msg schema text of `type_name` with all its dependencies appended."""
    package, name = split_type(type_name)
    root = msg_text(package, name)
    parts, seen = [root.rstrip("\n")], {(package, name)}
    pending = dependencies(package, root)
    while pending:
        dep = pending.pop(0)
        if dep in seen:
            continue
        seen.add(dep)
        text = msg_text(*dep)
        parts.append(f"{SEPARATOR}\nMSG: {dep[0]}/{dep[1]}\n{text.rstrip(chr(10))}")
        pending.extend(d for d in dependencies(dep[0], text) if d not in seen)
    return "\n".join(parts) + "\n"
