"""RetainingActionServer: its status topic lists only running (or just ended) goals, while
every ended goal's result stays fetchable by goal id, as rclpy would have answered it, within
its keep_count newest and keep_s seconds; an unknown id is answered STATUS_UNKNOWN."""

import time
import uuid

import pytest
from aca_interfaces.action import MoveArm
from action_msgs.msg import GoalStatus, GoalStatusArray
from rclpy.action import ActionClient
from rclpy.node import Node

from aca_sim.ros.blocking import get_result, send_goal, wait_future
from aca_sim.ros.matching import probe_request, wait_action_matched
from aca_sim.ros.retaining_server import RetainingActionServer
from aca_sim.ros.spinning import BackgroundSpinner

NAME = "/test/retaining"


def _execute(goal_handle):
    """Succeed a goal whose station names it; abort one named "fail"; the result echoes it."""
    station = goal_handle.request.station
    (goal_handle.abort if station == "fail" else goal_handle.succeed)()
    return MoveArm.Result(error_code=7 if station == "fail" else 0, error_msg=station)


@pytest.fixture
def retaining(ros_context):
    """A RetainingActionServer keeping 5 results for 60 s, a client, a status recorder."""
    server_node = Node("retaining_server", context=ros_context)
    server = RetainingActionServer(server_node, MoveArm, NAME, _execute, keep_s=60.0, keep_count=5)
    node = Node("retaining_client", context=ros_context)
    listed: list[int] = []
    node.create_subscription(
        GoalStatusArray, f"{NAME}/_action/status", lambda m: listed.append(len(m.status_list)), 50
    )
    client = ActionClient(node, MoveArm, NAME)
    fetch = node.create_client(MoveArm.Impl.GetResultService, f"{NAME}/_action/get_result")
    with BackgroundSpinner([server_node, node], context=ros_context):
        assert client.wait_for_server(timeout_sec=10)
        wait_action_matched(node, MoveArm, NAME)
        yield server, node, client, fetch, listed
    server.destroy()
    server_node.destroy_node()
    node.destroy_node()


def _fetch(fetch, goal_id: bytes):
    request = probe_request(MoveArm)
    request.goal_id.uuid = list(goal_id)
    return wait_future(fetch.call_async(request), 10, "get_result")


def test_ended_goals_leave_the_status_and_their_results_stay_fetchable(retaining):
    server, node, client, fetch, listed = retaining
    names = ["a", "fail", "c", "d", "e", "f", "g"]
    ids = []
    for name in names:
        handle = send_goal(node, client, MoveArm.Goal(station=name), 10)
        answer = get_result(node, handle, 10)
        assert answer.result.error_msg == name  # a fast goal may have expired already: the store
        ids.append(bytes(handle.goal_id.uuid))
    deadline = time.monotonic() + 5
    while len(server._goal_handles) and time.monotonic() < deadline:
        time.sleep(0.01)  # rcl expires ended goals on the executor thread
    assert not server._goal_handles, "ended goals still in rcl (and so in every status)"
    assert listed and max(listed) <= 2, f"status lists grew: {listed}"  # running + just ended
    # The newest five results are answered by goal id, status and all; older ones are not.
    for name, goal_id in list(zip(names, ids, strict=True))[-5:]:
        response = _fetch(fetch, goal_id)
        expected = GoalStatus.STATUS_ABORTED if name == "fail" else GoalStatus.STATUS_SUCCEEDED
        assert (response.status, response.result.error_msg) == (expected, name)
    for goal_id in ids[:2]:
        assert _fetch(fetch, goal_id).status == GoalStatus.STATUS_UNKNOWN
    assert _fetch(fetch, uuid.uuid4().bytes).status == GoalStatus.STATUS_UNKNOWN
    # keep_s: a result older than that is forgotten.
    server.keep_s = 1e-3
    time.sleep(0.01)
    assert _fetch(fetch, ids[-1]).status == GoalStatus.STATUS_UNKNOWN


def test_bad_retention_is_refused_by_name(ros_context):
    node = Node("retaining_bad", context=ros_context)
    with pytest.raises(ValueError, match="keep_count=0"):
        RetainingActionServer(node, MoveArm, NAME, _execute, keep_s=1.0, keep_count=0)
    with pytest.raises(ValueError, match="keep_s=0"):
        RetainingActionServer(node, MoveArm, NAME, _execute, keep_s=0, keep_count=1)
    node.destroy_node()
