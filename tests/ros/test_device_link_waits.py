"""The sequencer's device link waits for a simulator that is not (yet) there without blocking
its executor: the node's other callbacks go on meanwhile, and the wait ends with the named
HardwareLost after its bound."""

import time

import numpy as np
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node

from aca_sim.caching.sequence_types import HardwareLost
from aca_sim.ros.device_link import DeviceLink
from aca_sim.ros.spinning import BackgroundSpinner

TIMER_PERIOD_S = 0.02


def test_waiting_for_a_missing_sim_leaves_the_executor_serving(ros_context):
    node = Node("device_link_test", context=ros_context)
    link = DeviceLink(node, 10.0, MutuallyExclusiveCallbackGroup())
    ticks: list[float] = []
    node.create_timer(TIMER_PERIOD_S, lambda: ticks.append(time.monotonic()))
    with BackgroundSpinner([node], context=ros_context) as spinner:
        started = time.monotonic()
        task = spinner.executor.create_task(link.hardware)
        while not task.done() and time.monotonic() - started < 10:
            time.sleep(0.05)
        waited = time.monotonic() - started
    node.destroy_node()
    assert task.done(), "the wait has a bound"
    error = task.exception()
    assert isinstance(error, HardwareLost)
    assert "/aca/sim/get_state is not available" in str(error)
    assert 1.9 < waited < 4.0  # the 2 s bound
    during = np.array([t for t in ticks if started <= t <= started + waited])
    assert len(during) > 0.5 * waited / TIMER_PERIOD_S, "the timer ran while the link waited"
    assert np.max(np.diff(during)) < 0.5, "no callback was held up for the wait"
