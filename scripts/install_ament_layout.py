"""Give an editable install of aca_sim the ament layout `colcon build --symlink-install` makes.

pip's editable install skips data_files, so this adds, under the venv prefix:
share/ament_index/resource_index/packages/aca_sim,
share/aca_sim/{package.xml,.setup_assistant,launch,urdf,config,rviz,web}
(symlinks into the source tree) and lib/aca_sim/<executable> for every console script.
With --installed (a regular, non-editable install, whose data_files already put share/ in
place), only the lib/aca_sim links. Run with the venv's interpreter from the repository root.
"""

from __future__ import annotations

import sys
from importlib.metadata import distribution
from pathlib import Path

PACKAGE = "aca_sim"
SHARED_FILES = ("package.xml", ".setup_assistant")
SHARED_DIRS = ("launch", "urdf", "config", "rviz", "web")


def link(target: Path, link_path: Path) -> None:
    """Point link_path at target, replacing what was there."""
    if link_path.is_symlink() or link_path.exists():
        link_path.unlink()
    link_path.symlink_to(target)


def link_executables(prefix: Path) -> list[str]:
    """lib/aca_sim/<name> -> bin/<name> for every console script; their names."""
    lib = prefix / "lib" / PACKAGE
    lib.mkdir(parents=True, exist_ok=True)
    scripts = [e.name for e in distribution(PACKAGE).entry_points if e.group == "console_scripts"]
    for name in scripts:
        link(prefix / "bin" / name, lib / name)
    return scripts


def main(argv: list[str]) -> int:
    """Create the layout; return the exit code."""
    prefix = Path(sys.prefix)
    if argv == ["--installed"]:
        print(f"ament layout: {prefix / 'lib' / PACKAGE} ({', '.join(link_executables(prefix))})")
        return 0
    if argv:
        print(f"install_ament_layout.py: unknown arguments {argv} (only --installed)")
        return 2
    source = Path.cwd()
    marker = prefix / "share" / "ament_index" / "resource_index" / "packages" / PACKAGE
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("")
    share = prefix / "share" / PACKAGE
    share.mkdir(parents=True, exist_ok=True)
    for name in SHARED_DIRS:
        (source / name).mkdir(exist_ok=True)
    for name in SHARED_FILES + SHARED_DIRS:
        link(source / name, share / name)
    scripts = link_executables(prefix)
    print(f"ament layout: {share} and {prefix / 'lib' / PACKAGE} ({', '.join(scripts)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
