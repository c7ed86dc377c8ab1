"""An aca_interfaces action over real DDS: goal, feedback, result and cancel.

The server here is a minimal test double of a device step (a worker thread that "sweeps" in
wall-clock steps) written in the pattern every aca_sim node uses: async execute callback,
worker thread, completions handed to the executor through ExecutorBridge.
"""

import os
import threading
import time

import pytest
from aca_interfaces.action import SweepBore
from action_msgs.msg import GoalStatus
from rclpy.action import ActionClient, ActionServer, CancelResponse, GoalResponse
from rclpy.node import Node
from rclpy.task import Future

from aca_sim.nodes.executor_bridge import ExecutorBridge
from aca_sim.nodes.spinning import BackgroundSpinner

SWEEP_PERIOD_S = 0.02
WAIT_S = 10.0


class SweepServer(Node):
    """Sweeps n times on a worker thread; one goal at a time, cancel stops at a sweep boundary."""

    def __init__(self, context, action_name):
        super().__init__("test_sweep_server", context=context)
        self.bridge = ExecutorBridge(self)
        self.server = ActionServer(
            self,
            SweepBore,
            action_name,
            execute_callback=self.execute,
            goal_callback=lambda goal: (
                GoalResponse.ACCEPT if 1 <= goal.sweeps <= 100 else GoalResponse.REJECT
            ),
            cancel_callback=lambda handle: CancelResponse.ACCEPT,
        )

    async def execute(self, goal_handle):
        done = Future()
        threading.Thread(target=self.work, args=(goal_handle, done), daemon=True).start()
        sweeps_done = await done
        result = SweepBore.Result(sweeps_done=sweeps_done, rim_dust_after=0.5**sweeps_done)
        if goal_handle.is_cancel_requested:
            result.error_code = SweepBore.Result.CANCELED
            result.error_msg = f"canceled after {sweeps_done} sweeps"
            goal_handle.canceled()
        else:
            goal_handle.succeed()
        return result

    def work(self, goal_handle, done):
        n = goal_handle.request.sweeps
        for i in range(1, n + 1):
            if goal_handle.is_cancel_requested:
                self.bridge.resolve(done, i - 1)
                return
            time.sleep(SWEEP_PERIOD_S)
            feedback = SweepBore.Feedback(
                phase="sweep", progress=i / n, sweeps_done=i, rim_dust=0.5**i
            )
            self.bridge.post(goal_handle.publish_feedback, feedback)
        self.bridge.resolve(done, n)


def wait(future, timeout_s=WAIT_S):
    event = threading.Event()
    future.add_done_callback(lambda _: event.set())
    assert event.wait(timeout_s), f"no answer within {timeout_s} s"
    return future.result()


@pytest.fixture
def client_and_server(ros_context, request):
    # A name per test: a server of an earlier test may linger in discovery for a while.
    action_name = f"/test_aca/{request.node.originalname}/sweep_bore"
    nodes = [Node("test_sweep_client", context=ros_context)]
    if request.param:
        nodes.append(SweepServer(ros_context, action_name))
    client = ActionClient(nodes[0], SweepBore, action_name)
    with BackgroundSpinner(nodes, context=ros_context):
        yield client, request.param
    for node in nodes:
        node.destroy_node()


@pytest.mark.parametrize("client_and_server", [True], indirect=True)
def test_goal_gets_monotone_feedback_and_result_over_dds(client_and_server):
    client, _ = client_and_server
    assert os.environ["ROS_DOMAIN_ID"] != "0"
    assert client.wait_for_server(timeout_sec=WAIT_S), "action server not discovered"
    feedback = []
    handle = wait(
        client.send_goal_async(SweepBore.Goal(sweeps=5), feedback_callback=feedback.append)
    )
    assert handle.accepted
    response = wait(handle.get_result_async())
    assert response.status == GoalStatus.STATUS_SUCCEEDED
    assert response.result.error_code == SweepBore.Result.NONE
    assert response.result.sweeps_done == 5
    assert response.result.rim_dust_after == pytest.approx(0.5**5)
    progress = [msg.feedback.progress for msg in feedback]
    assert progress == sorted(progress) and progress[-1] == pytest.approx(1.0)
    assert [msg.feedback.sweeps_done for msg in feedback] == list(range(1, 6))


@pytest.mark.parametrize("client_and_server", [True], indirect=True)
def test_out_of_range_goal_is_rejected(client_and_server):
    client, _ = client_and_server
    assert client.wait_for_server(timeout_sec=WAIT_S)
    handle = wait(client.send_goal_async(SweepBore.Goal(sweeps=0)))
    assert not handle.accepted


@pytest.mark.parametrize("client_and_server", [True], indirect=True)
def test_cancel_mid_goal_ends_canceled_with_partial_work(client_and_server):
    client, _ = client_and_server
    assert client.wait_for_server(timeout_sec=WAIT_S)
    first_feedback = threading.Event()
    handle = wait(
        client.send_goal_async(
            SweepBore.Goal(sweeps=100), feedback_callback=lambda _: first_feedback.set()
        )
    )
    assert first_feedback.wait(WAIT_S)
    cancel = wait(handle.cancel_goal_async())
    assert len(cancel.goals_canceling) == 1
    response = wait(handle.get_result_async())
    assert response.status == GoalStatus.STATUS_CANCELED
    assert response.result.error_code == SweepBore.Result.CANCELED
    assert 1 <= response.result.sweeps_done < 100


@pytest.mark.parametrize("client_and_server", [False], indirect=True)
def test_client_does_not_find_a_missing_server(client_and_server):
    client, _ = client_and_server
    assert not client.wait_for_server(timeout_sec=1.0)
