"""Process environment for ROS 2: local-only discovery, isolated domain IDs, log folder.

No rclpy import here: call these before rclpy is imported or initialised, because the
middleware reads the variables when the context starts.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import os
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

DISCOVERY_VAR = "ROS_AUTOMATIC_DISCOVERY_RANGE"
CHECK_FIELDS_VAR = "ROS_PYTHON_CHECK_FIELDS"
DOMAIN_VAR = "ROS_DOMAIN_ID"
# Domain IDs 1..100 are valid on Linux with the default port mapping; 0 stays for the user.
_DOMAIN_RANGE = range(1, 101)
_held_locks: list[int] = []
_used_domains: collections.deque[int] = collections.deque(maxlen=50)


def ensure_local_discovery(single_process: bool = False) -> str:
    """Keep DDS discovery on this machine unless the user chose a range; return the range.

    LOCALHOST lets processes on this machine find each other; OFF (single_process=True)
    still lets nodes inside one process talk.
    """
    value = "OFF" if single_process else "LOCALHOST"
    return os.environ.setdefault(DISCOVERY_VAR, value)


def check_message_fields() -> None:
    """Have rclpy check every message field set in this process (type and range: an
    out-of-range unsigned value would otherwise wrap silently, CacheSample.kind=257 arriving
    as 1), unless the user chose otherwise. Call before any message module is imported: the
    generated modules read the variable when they load."""
    os.environ.setdefault(CHECK_FIELDS_VAR, "1")


def _lock_free_domain(lock_dir: str | os.PathLike[str] | None) -> tuple[int, int]:
    """(domain, fd of its exclusive lock file) for a domain no live process holds."""
    folder = Path(lock_dir or tempfile.gettempdir())
    candidates = list(_DOMAIN_RANGE)
    random.SystemRandom().shuffle(candidates)
    # Domains this process used last go to the back: a SIGKILLed participant lingers in DDS
    # discovery on its domain until its lease runs out.
    candidates.sort(key=lambda d: d in _used_domains)
    for domain in candidates:
        fd = os.open(folder / f"aca_sim_ros_domain_{domain}.lock", os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        _used_domains.append(domain)
        return domain, fd
    raise RuntimeError(f"no free ROS domain ID in {_DOMAIN_RANGE} (all locked in {folder})")


def claim_domain_id(lock_dir: str | os.PathLike[str] | None = None) -> int:
    """Claim a ROS_DOMAIN_ID no other live process on this machine has claimed; return it.

    The claim is an exclusive lock on a file in lock_dir (default: the temp dir) that lasts
    until this process exits, so concurrent test runs never share a domain.
    """
    domain, fd = _lock_free_domain(lock_dir)
    _held_locks.append(fd)
    return domain


@contextlib.contextmanager
def private_domain(lock_dir: str | os.PathLike[str] | None = None) -> Iterator[int]:
    """A ROS_DOMAIN_ID of its own for the with-block (one test), released at its end. Pass it
    to rclpy.init(domain_id=...) and to child processes' environment."""
    domain, fd = _lock_free_domain(lock_dir)
    _held_locks.append(fd)
    try:
        yield domain
    finally:
        _held_locks.remove(fd)
        os.close(fd)  # closing the descriptor drops the lock


def prepare_test_environment(log_dir: str | os.PathLike[str] | None = None) -> int:
    """Set up an isolated ROS environment for a test run; return the domain ID it uses.

    Always claims a fresh domain (a user's ROS_DOMAIN_ID may belong to a live system), keeps
    discovery local, checks message fields, and sends ROS logs to log_dir (default: a new
    temp folder).
    """
    ensure_local_discovery()
    check_message_fields()
    domain = claim_domain_id()
    os.environ[DOMAIN_VAR] = str(domain)
    os.environ["ROS_LOG_DIR"] = str(log_dir or tempfile.mkdtemp(prefix="aca_sim_roslog_"))
    return domain
