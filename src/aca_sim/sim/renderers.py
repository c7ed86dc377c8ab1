"""Which PyBullet renderer draws camera views: TinyRenderer (CPU, the same pixels on every
machine; the default) or, when asked for and the machine has EGL, PyBullet's EGL plugin
(OpenGL without a display; Mesa's llvmpipe where there is no GPU)."""

from __future__ import annotations

import ctypes.util
import importlib.util

import pybullet

from aca_sim.sim.quiet import BulletClient


class RendererError(RuntimeError):
    """The EGL renderer was asked for and cannot be loaded here."""


def egl_available() -> bool:
    """True when libEGL and PyBullet's eglRenderer plugin are both present."""
    return (
        bool(ctypes.util.find_library("EGL"))
        and importlib.util.find_spec("eglRenderer") is not None
    )


def load_egl(client: BulletClient) -> None:
    """Load the EGL plugin into a client that has no bodies yet (it draws only bodies made
    after it is loaded); RendererError if it cannot."""
    if not egl_available():
        raise RendererError("EGL rendering needs libEGL and PyBullet's eglRenderer plugin")
    spec = importlib.util.find_spec("eglRenderer")
    plugin = client.loadPlugin(spec.origin, "_eglRendererPlugin")
    if plugin < 0:
        raise RendererError(f"PyBullet could not load its EGL plugin ({spec.origin})")
    client.aca_egl_plugin = plugin


def renderer_of(client: BulletClient) -> int:
    """The getCameraImage renderer flag for this client."""
    if getattr(client, "aca_egl_plugin", None) is not None:
        return pybullet.ER_BULLET_HARDWARE_OPENGL
    return pybullet.ER_TINY_RENDERER


def renderer_name(client: BulletClient) -> str:
    """ "EGL (OpenGL)" or "TinyRenderer"."""
    return (
        "EGL (OpenGL)"
        if renderer_of(client) == pybullet.ER_BULLET_HARDWARE_OPENGL
        else "TinyRenderer"
    )
