"""A launch file's XML as a tree of elements that remember their file and line.

xml.etree drops line numbers; errors in launch files must name the line, so this parses with
expat directly. No ROS here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat


class LaunchError(ValueError):
    """A launch file that cannot be run; the message names the file and line."""


@dataclass
class Element:
    """One XML element: tag, attributes, children, and where it is (file, 1-based line)."""

    tag: str
    attrs: dict[str, str]
    file: Path
    line: int
    children: list[Element] = field(default_factory=list)

    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def error(self, message: str) -> LaunchError:
        """A LaunchError naming this element's file, line and tag."""
        return LaunchError(f"{self.where()}: <{self.tag}>: {message}")

    def require(self, name: str) -> str:
        """The attribute `name`, or a LaunchError naming it."""
        if name not in self.attrs:
            raise self.error(f"missing attribute '{name}'")
        return self.attrs[name]

    def check_attrs(self, allowed: set[str]) -> None:
        """Refuse attributes this runner does not know (never ignore them silently)."""
        unknown = sorted(set(self.attrs) - allowed)
        if unknown:
            raise self.error(f"unsupported attribute(s) {unknown}; supported: {sorted(allowed)}")


def parse_file(path: Path) -> Element:
    """The root element of an XML file (LaunchError with the line on malformed XML)."""
    parser = expat.ParserCreate()
    stack: list[Element] = []
    root: list[Element] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        element = Element(tag, dict(attrs), path, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(element)
        else:
            root.append(element)
        stack.append(element)

    def end(_tag: str) -> None:
        stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(path.read_bytes(), True)
    except expat.ExpatError as error:
        raise LaunchError(f"{path}:{error.lineno}: malformed XML: {error}") from None
    except OSError as error:
        raise LaunchError(f"cannot read launch file {path}: {error.strerror}") from None
    return root[0]
