"""ROS domain claims: one live holder per domain, released after a test, not reused at once."""

import contextlib
import fcntl
import os

import pytest

from aca_sim.ros_env import private_domain


def is_locked(lock_dir, domain):
    fd = os.open(lock_dir / f"aca_sim_ros_domain_{domain}.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_private_domain_is_held_for_the_block_and_released_after(tmp_path):
    with private_domain(tmp_path) as domain:
        assert 1 <= domain <= 100
        assert is_locked(tmp_path, domain)
    assert not is_locked(tmp_path, domain)


def test_held_domains_are_never_handed_out_twice_and_the_range_can_run_out(tmp_path):
    with contextlib.ExitStack() as stack:
        domains = [stack.enter_context(private_domain(tmp_path)) for _ in range(100)]
        assert sorted(domains) == list(range(1, 101))
        with pytest.raises(RuntimeError, match=f"no free ROS domain ID .* {tmp_path}"):
            stack.enter_context(private_domain(tmp_path))


def test_the_next_test_gets_another_domain(tmp_path):
    """A participant killed in one test lingers on its domain: the next test avoids it."""
    seen = []
    for _ in range(10):
        with private_domain(tmp_path) as domain:
            seen.append(domain)
    assert len(set(seen)) == 10
