"""Expand the xacro files of the model into URDF (strings and cached files)."""

from __future__ import annotations

import hashlib
import tempfile
from functools import lru_cache
from pathlib import Path

import xacro

from aca_sim.model.config import ModelConfig
from aca_sim.paths import share_path


def expand_xacro(name: str, config_path: str | Path, **args: str) -> str:
    """Expand urdf/<name> with the model configuration config_path; return the URDF text."""
    mappings = {"config": str(config_path), **args}
    document = xacro.process_file(str(share_path("urdf", name)), mappings=mappings)
    return document.toprettyxml(indent="  ")


def aca_urdf_text(config: ModelConfig) -> str:
    """The ACA's URDF for a model configuration: expanded once per model file (the xacro
    files read the file at config.source_path; overrides of a study's trial do not reach
    them, so trials that differ only in overrides share one expansion)."""
    return _aca_urdf_text(config.source_path, config.source_sha256)


@lru_cache(maxsize=8)
def _aca_urdf_text(source_path: str, _sha256: str) -> str:
    return expand_xacro("aca.urdf.xacro", source_path)


@lru_cache(maxsize=16)
def urdf_file(name: str, config_path: str, config_sha256: str, **args: str) -> Path:
    """Expand urdf/<name> once per model file (config_sha256: of the file's text) and
    argument set; return the cached file."""
    key = hashlib.sha256(f"{name}|{config_sha256}|{sorted(args.items())}".encode()).hexdigest()
    folder = Path(tempfile.gettempdir()) / "aca_sim_urdf"
    folder.mkdir(exist_ok=True)
    path = folder / f"{Path(name).stem}-{key[:16]}.urdf"
    text = expand_xacro(name, config_path, **args)
    tmp = path.with_suffix(f".{key[:8]}.tmp")
    tmp.write_text(text)
    tmp.replace(path)  # atomic: concurrent processes never read a half-written file
    return path
