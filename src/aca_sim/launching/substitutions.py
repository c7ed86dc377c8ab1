"""Launch substitutions in attribute values, as ROS 2 launch XML parses them: $(var NAME),
$(env NAME [DEFAULT]), $(find-pkg-share PKG), $(dirname), $(anon NAME) and $(eval EXPR),
nested, with arguments separated by spaces and grouped by single or double quotes (in which
substitutions still apply: $(eval '$(var a) + 1')). Anything else is an error naming it. No ROS
import beyond the ament index."""

from __future__ import annotations

import math
import os
import random
import shlex
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from aca_sim.paths import ensure_ament_prefix_path

SUPPORTED = ("var", "env", "find-pkg-share", "dirname", "anon", "eval")


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


def _call_end(text: str, start: int) -> int:
    """Index just past the ')' that closes the '$(' at `start` (quotes inside group text: a
    ')' in them does not close; a '$(' in them still nests)."""
    index, quote = start + 2, ""
    while index < len(text):
        if text.startswith("$(", index):
            index = _call_end(text, index)
            continue
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == ")":
            return index + 1
        index += 1
    raise ValueError(f"unclosed '$(' in {text!r}")


def _arguments(body: str) -> list[str]:
    """A substitution's words (its kind, then its arguments), quotes removed, nested
    substitutions left for resolve()."""
    words: list[str] = []
    word: list[str] = []
    index, quote, started = 0, "", False
    while index < len(body):
        if body.startswith("$(", index):
            end = _call_end(body, index)
            word.append(body[index:end])
            index, started = end, True
            continue
        char = body[index]
        if quote:
            if char == quote:
                quote = ""
            else:
                word.append(char)
        elif char in "'\"":
            quote, started = char, True
        elif char.isspace():
            if started:
                words.append("".join(word))
                word, started = [], False
        else:
            word.append(char)
            started = True
        index += 1
    if quote:
        raise ValueError(f"unclosed quote in $({body})")
    if started:
        words.append("".join(word))
    return words


@dataclass(frozen=True)
class Scope:
    """What substitutions read: the launch configurations, the launch file ($(dirname)), the
    package share lookup, and this launch's $(anon) names (the same name, the same value)."""

    configurations: Mapping[str, str]
    launch_file: Path
    share: Callable[[str], Path] = package_share
    anonymous: MutableMapping[str, str] = field(default_factory=dict)


def anonymous_name(name: str) -> str:
    """A name made unique to this launch, as launch's $(anon) makes it."""
    return f"{name}_{os.getpid()}_{random.getrandbits(63)}"


def resolve(text: str, scope: Scope) -> str:
    """`text` with every substitution replaced; ValueError naming an unknown or bad one."""
    out, index = [], 0
    while True:
        start = text.find("$(", index)
        if start < 0:
            out.append(text[index:])
            return "".join(out)
        out.append(text[index:start])
        end = _call_end(text, start)
        words = _arguments(text[start + 2 : end - 1])
        if not words:
            raise ValueError(f"empty substitution in {text!r}")
        out.append(_substitute(words[0], [resolve(w, scope) for w in words[1:]], scope))
        index = end


def resolve_words(text: str, scope: Scope) -> list[str]:
    """A command line's words, as launch splits a node's args or an executable's cmd: the
    literal text split as a shell would (quotes group), a substitution's value one piece of
    a word whatever spaces it has; pieces with no space between them make one word."""
    words: list[str] = []
    word: list[str] = []
    started, index = False, 0
    while index <= len(text):
        start = text.find("$(", index)
        literal = text[index:] if start < 0 else text[index:start]
        if literal:
            try:
                parts = shlex.split(literal)
            except ValueError as error:
                raise ValueError(f"{literal!r}: {error}") from None
            if literal[0].isspace() and started:
                words.append("".join(word))
                word, started = [], False
            for k, part in enumerate(parts):
                if k:
                    words.append("".join(word))
                    word = []
                word.append(part)
                started = True
            if literal[-1].isspace() and started:
                words.append("".join(word))
                word, started = [], False
        if start < 0:
            break
        end = _call_end(text, start)
        word.append(resolve(text[start:end], scope))
        started, index = True, end
    if started:
        words.append("".join(word))
    return words


def _substitute(kind: str, args: list[str], scope: Scope) -> str:
    """The value of one substitution whose arguments are resolved."""
    call = f"$({' '.join([kind, *args])})"
    configurations = scope.configurations
    if kind == "var" and len(args) == 1:
        if args[0] not in configurations:
            raise ValueError(f"$(var {args[0]}): no launch argument or let named '{args[0]}'")
        return configurations[args[0]]
    if kind == "env" and len(args) in (1, 2):
        value = os.environ.get(args[0], args[1] if len(args) == 2 else None)
        if value is None:
            raise ValueError(f"$(env {args[0]}): environment variable not set, no default")
        return value
    if kind == "find-pkg-share" and len(args) == 1:
        try:
            return str(scope.share(args[0]))
        except LookupError as error:
            raise ValueError(f"$(find-pkg-share {args[0]}): {error}") from None
    if kind == "dirname" and not args:
        return str(scope.launch_file.parent)
    if kind == "anon" and len(args) == 1:
        return scope.anonymous.setdefault(args[0], anonymous_name(args[0]))
    if kind == "eval" and len(args) == 1:
        try:  # as launch's PythonExpression: the math module's names at hand
            return str(eval(args[0], {}, dict(vars(math))))
        except Exception as error:
            raise ValueError(f"{call}: {type(error).__name__}: {error}") from None
    if kind in SUPPORTED:
        raise ValueError(f"{call}: wrong number of arguments")
    raise ValueError(f"unsupported substitution $({kind} ...); supported: {', '.join(SUPPORTED)}")
