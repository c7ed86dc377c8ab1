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

from aca_sim.ros.blocking import cancel_goal, get_result, send_goal
from aca_sim.ros.executor_bridge import ExecutorBridge
from aca_sim.ros.matching import wait_action_matched
from aca_sim.ros.spinning import BackgroundSpinner

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


@pytest.fixture
def client_and_server(ros_context, request):
    # A name per test: a server of an earlier test may linger in discovery for a while.
    action_name = f"/test_aca/{request.node.originalname}/sweep_bore"
    nodes = [Node("test_sweep_client", context=ros_context)]
    if request.param:
        nodes.append(SweepServer(ros_context, action_name))
    client = ActionClient(nodes[0], SweepBore, action_name)
    with BackgroundSpinner(nodes, context=ros_context):
        yield nodes[0], client
    for node in nodes:
        node.destroy_node()


@pytest.mark.parametrize("client_and_server", [True], indirect=True)
def test_goal_gets_monotone_feedback_and_result_over_dds(client_and_server):
    node, client = client_and_server
    assert os.environ["ROS_DOMAIN_ID"] != "0"
    assert client.wait_for_server(timeout_sec=WAIT_S), "action server not discovered"
    feedback = []
    handle = send_goal(node, client, SweepBore.Goal(sweeps=5), WAIT_S, feedback.append)
    assert handle.accepted
    response = get_result(node, handle, WAIT_S)
    assert response.status == GoalStatus.STATUS_SUCCEEDED
    assert response.result.error_code == SweepBore.Result.NONE
    assert response.result.sweeps_done == 5
    assert response.result.rim_dust_after == pytest.approx(0.5**5)
    progress = [msg.feedback.progress for msg in feedback]
    assert progress == sorted(progress) and progress[-1] == pytest.approx(1.0)
    assert [msg.feedback.sweeps_done for msg in feedback] == list(range(1, 6))


@pytest.mark.parametrize("client_and_server", [True], indirect=True)
def test_out_of_range_goal_is_rejected(client_and_server):
    node, client = client_and_server
    assert client.wait_for_server(timeout_sec=WAIT_S)
    handle = send_goal(node, client, SweepBore.Goal(sweeps=0), WAIT_S)
    assert not handle.accepted


@pytest.mark.parametrize("client_and_server", [True], indirect=True)
def test_cancel_mid_goal_ends_canceled_with_partial_work(client_and_server):
    node, client = client_and_server
    assert client.wait_for_server(timeout_sec=WAIT_S)
    first_feedback = threading.Event()
    goal = SweepBore.Goal(sweeps=100)
    handle = send_goal(node, client, goal, WAIT_S, lambda _: first_feedback.set())
    assert first_feedback.wait(WAIT_S)
    cancel = cancel_goal(node, handle, WAIT_S)
    assert len(cancel.goals_canceling) == 1
    response = get_result(node, handle, WAIT_S)
    assert response.status == GoalStatus.STATUS_CANCELED
    assert response.result.error_code == SweepBore.Result.CANCELED
    assert 1 <= response.result.sweeps_done < 100


@pytest.mark.parametrize("client_and_server", [False], indirect=True)
def test_client_does_not_find_a_missing_server(client_and_server):
    _, client = client_and_server
    assert not client.wait_for_server(timeout_sec=1.0)


def test_a_matching_probe_is_answered_and_starts_no_goal(ros_context):
    """nodes/matching.py: the get_result probe comes back from a live server (so its response
    path to us is matched) and leaves the server without any goal."""
    name = "/test_aca/probe/sweep_bore"
    client_node = Node("test_probe_client", context=ros_context)
    server = SweepServer(ros_context, name)
    client = ActionClient(client_node, SweepBore, name)
    with BackgroundSpinner([client_node, server], context=ros_context):
        assert wait_action_matched(client_node, SweepBore, name, WAIT_S) >= 1
        assert server.server._goal_handles == {}, "a probe must not create a goal"
        handle = send_goal(client_node, client, SweepBore.Goal(sweeps=1), WAIT_S)
        assert handle.accepted
        assert get_result(client_node, handle, WAIT_S).result.sweeps_done == 1
    client_node.destroy_node()
    server.destroy_node()


def test_a_matching_probe_without_a_server_times_out_naming_the_action(ros_context):
    node = Node("test_probe_client", context=ros_context)
    with BackgroundSpinner([node], context=ros_context):
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="/test_aca/nobody/sweep_bore"):
            wait_action_matched(node, SweepBore, "/test_aca/nobody/sweep_bore", 1.5)
        assert time.monotonic() - started < 5, "the bound holds"
    node.destroy_node()


@pytest.mark.parametrize("client_and_server", [True], indirect=True)
def test_goals_sent_from_another_thread_all_get_their_answers(client_and_server):
    """nodes/blocking.py makes the ActionClient calls on the executor's thread: rclpy 7.1.6
    registers a request only after sending it, so a response taken by the executor in between
    would be dropped and its future never complete (ros2/rclpy#1123)."""
    node, client = client_and_server
    assert client.wait_for_server(timeout_sec=WAIT_S)
    for _ in range(100):
        handle = send_goal(node, client, SweepBore.Goal(sweeps=1), WAIT_S)
        assert handle.accepted
        assert get_result(node, handle, WAIT_S).result.sweeps_done == 1
