"""Silence PyBullet's C-level prints (they go to file descriptors 1 and 2, not sys.stdout)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator

_libc = ctypes.CDLL(None)


@contextlib.contextmanager
def c_output_silenced(fds: tuple[int, ...] = (1,)) -> Iterator[None]:
    """Send the given file descriptors to /dev/null for the duration (default: stdout)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in fds}
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in fds:
            os.dup2(devnull, fd)
        yield
    finally:
        _libc.fflush(None)  # C stdio buffers what it printed; drop it before the fds return
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        os.close(devnull)


def c_stdout_silenced() -> contextlib.AbstractContextManager[None]:
    """Silence C-level stdout (PyBullet's loader and connection chatter)."""
    return c_output_silenced((1,))


with c_output_silenced((1, 2)):  # pybullet prints its build time to stderr on import
    import pybullet
    from pybullet_utils.bullet_client import BulletClient as _PyBulletClient


class BulletClient(_PyBulletClient):
    """pybullet_utils' BulletClient, with each PyBullet function bound to the client once:
    the original looks the function up and wraps it on every call (about 4 us, measured here
    as a third of the Python time of a physics step)."""

    def __getattr__(self, name: str) -> object:
        attribute = super().__getattr__(name)
        if name != "disconnect":
            self.__dict__[name] = attribute  # found in the instance next time
        return attribute


__all__ = ["BulletClient", "c_output_silenced", "c_stdout_silenced", "pybullet"]
