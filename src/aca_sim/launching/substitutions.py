"""Launch substitutions in attribute values: $(var NAME), $(env NAME [DEFAULT]),
$(find-pkg-share PKG) and $(dirname), nested as in ROS 2 launch XML. Anything else is an
error naming it. No ROS import beyond the ament index."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from aca_sim.paths import ensure_ament_prefix_path

SUPPORTED = ("var", "env", "find-pkg-share", "dirname")


def package_share(package: str) -> Path:
    """The share directory of an installed package (ament index); LookupError if none."""
    ensure_ament_prefix_path()
    from ament_index_python.packages import PackageNotFoundError, get_package_share_directory

    try:
        return Path(get_package_share_directory(package))
    except PackageNotFoundError:
        raise LookupError(f"package '{package}' is not installed (ament index)") from None


def package_executable(package: str, executable: str) -> Path:
    """<prefix>/lib/<package>/<executable>, as `ros2 run` finds it; LookupError if none."""
    ensure_ament_prefix_path()
    from ament_index_python.packages import PackageNotFoundError, get_package_prefix

    try:
        prefix = Path(get_package_prefix(package))
    except PackageNotFoundError:
        raise LookupError(f"package '{package}' is not installed (ament index)") from None
    path = prefix / "lib" / package / executable
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise LookupError(f"no executable '{executable}' in package '{package}' ({path})")
    return path


def _split_call(text: str, start: int) -> int:
    """Index just past the ')' that closes the '$(' at `start`."""
    depth, index = 0, start
    while index < len(text):
        if text.startswith("$(", index):
            depth += 1
            index += 2
            continue
        if text[index] == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise ValueError(f"unclosed '$(' in {text!r}")


def resolve(
    text: str,
    configurations: Mapping[str, str],
    launch_file: Path,
    share: Callable[[str], Path] = package_share,
) -> str:
    """`text` with every substitution replaced; ValueError naming an unknown or bad one."""
    out, index = [], 0
    while True:
        start = text.find("$(", index)
        if start < 0:
            out.append(text[index:])
            return "".join(out)
        out.append(text[index:start])
        end = _split_call(text, start)
        inner = resolve(text[start + 2 : end - 1], configurations, launch_file, share).split()
        if not inner:
            raise ValueError(f"empty substitution in {text!r}")
        kind, args = inner[0], inner[1:]
        if kind == "var" and len(args) == 1:
            if args[0] not in configurations:
                raise ValueError(f"$(var {args[0]}): no launch argument or let named '{args[0]}'")
            out.append(configurations[args[0]])
        elif kind == "env" and len(args) in (1, 2):
            value = os.environ.get(args[0], args[1] if len(args) == 2 else None)
            if value is None:
                raise ValueError(f"$(env {args[0]}): environment variable not set, no default")
            out.append(value)
        elif kind == "find-pkg-share" and len(args) == 1:
            try:
                out.append(str(share(args[0])))
            except LookupError as error:
                raise ValueError(f"$(find-pkg-share {args[0]}): {error}") from None
        elif kind == "dirname" and not args:
            out.append(str(launch_file.parent))
        elif kind in SUPPORTED:
            raise ValueError(f"$({' '.join(inner)}): wrong number of arguments")
        else:
            raise ValueError(
                f"unsupported substitution $({kind} ...); supported: {', '.join(SUPPORTED)}"
            )
        index = end
