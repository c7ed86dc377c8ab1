"""Where the package's share files (urdf/, config/, launch/) are.

A source checkout uses its own tree; an installed package uses the ament index
(`<prefix>/share/aca_sim`). AMENT_PREFIX_PATH defaults to this interpreter's prefix, where the
project's Makefile installs the ament layout.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

PACKAGE = "aca_sim"
_SOURCE_ROOT = Path(__file__).resolve().parents[2]


def ensure_ament_prefix_path() -> None:
    """Default AMENT_PREFIX_PATH to sys.prefix so ament_index lookups work in the venv."""
    os.environ.setdefault("AMENT_PREFIX_PATH", sys.prefix)


@lru_cache(maxsize=1)
def share_dir() -> Path:
    """The aca_sim share directory: the source tree in a checkout, else the ament index."""
    if (_SOURCE_ROOT / "package.xml").is_file() and (_SOURCE_ROOT / "urdf").is_dir():
        return _SOURCE_ROOT
    ensure_ament_prefix_path()
    from ament_index_python.packages import get_package_share_directory

    return Path(get_package_share_directory(PACKAGE))


def share_path(*parts: str) -> Path:
    """Path of a file under the aca_sim share directory."""
    return share_dir().joinpath(*parts)
