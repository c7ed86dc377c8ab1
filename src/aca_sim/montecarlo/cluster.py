"""Trials on Ray: a local cluster on loopback (or an existing one), retries, streaming.

Local cluster: Ray turns a loopback node address into the machine's outside address unless
RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 (ray._private.services.get_node_ip_address), and its
servers then listen on every interface; with it, the GCS, the raylet, the object manager,
the workers and the agents all listen on 127.0.0.1 only. No dashboard, no usage statistics.
The variable is read when ray is imported, so it is set before the first import here, and
only for a cluster on loopback (the local one, or an `--address` on 127.0.0.1: without it
the driver would look for 127.0.0.1:PORT at the outside address); a real cluster needs its
nodes' outside addresses. A cluster with token authentication (Ray's default for `ray
start`) needs RAY_AUTH_MODE=token and its token (RAY_AUTH_TOKEN or ~/.ray/auth_token) in the
driver's environment, as any Ray client does.
Every node of an existing cluster needs aca_sim installed in the Python its workers run.

Failures: a trial that raises, or whose worker dies (SIGKILL, out of memory), is submitted
again up to `retries` times; after that it is a failed row naming the error, never dropped.

Thread rule: run_trials runs on the calling thread; on_row is called there, one row at a time.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aca_sim.montecarlo.study import Study, TrialSpec
from aca_sim.montecarlo.trial import failed_row, run_trial
from aca_sim.net import is_loopback as is_loopback_host

LOCAL_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # keep the node address 127.0.0.1
    "RAY_USAGE_STATS_ENABLED": "0",  # nothing sent home
}
TASK_NAME = "run_trial_task"  # a worker running a trial is titled ray::run_trial_task


def run_trial_task(study: Study, spec: TrialSpec) -> dict[str, Any]:
    """The Ray task: one trial in a worker process."""
    return run_trial(study, spec)


@contextmanager
def ray_cluster(address: str | None = None, workers: int | None = None) -> Iterator[int]:
    """Connect to the cluster at `address`, or start a local one on 127.0.0.1 with
    `workers` CPUs (default: this machine's); yield its CPU count; shut down on exit."""
    if address is None or is_loopback(address):
        for name, value in LOCAL_ENV.items():
            os.environ.setdefault(name, value)
    import ray

    if address is None:
        ray.init(
            address="local",
            _node_ip_address="127.0.0.1",
            num_cpus=workers or os.cpu_count() or 1,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
    else:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    try:
        yield int(ray.cluster_resources().get("CPU", 1))
    finally:
        ray.shutdown()


def is_loopback(address: str) -> bool:
    """True for a cluster address on this machine's loopback ("127.0.0.1:6379",
    "ray://localhost:10001", "[::1]:6379"): Ray would move it to the outside address too."""
    return is_loopback_host(address.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]"))


def run_trials(
    study: Study,
    specs: list[TrialSpec],
    cpus: int,
    on_row: Callable[[dict[str, Any]], None],
    retries: int = 1,
) -> None:
    """Run the trials on the connected cluster, at most 2 x cpus in flight (results stream
    back as they end); on_row(row) for each trial, in completion order, with its attempts."""
    import ray
    from ray.exceptions import RayError

    task = ray.remote(num_cpus=1, max_retries=0)(run_trial_task).options(name=TASK_NAME)
    study_ref = ray.put(study)
    waiting: deque[tuple[TrialSpec, int]] = deque((spec, 1) for spec in specs)
    running: dict[Any, tuple[TrialSpec, int]] = {}
    while waiting or running:
        while waiting and len(running) < 2 * max(1, cpus):
            spec, attempt = waiting.popleft()
            running[task.remote(study_ref, spec)] = (spec, attempt)
        ready, _ = ray.wait(list(running), num_returns=1)
        spec, attempt = running.pop(ready[0])
        try:
            row = ray.get(ready[0])
        except RayError as error:
            if attempt <= retries:
                waiting.appendleft((spec, attempt + 1))
                continue
            row = failed_row(study, spec, _reason(error))
        row["attempts"] = attempt
        on_row(row)


def _reason(error: Exception) -> str:
    """One line saying why a trial failed (the worker's exception, or its death)."""
    cause = getattr(error, "cause", None)
    if isinstance(cause, Exception):
        return f"{type(cause).__name__}: {cause}"
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"
