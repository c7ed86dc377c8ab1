"""Know that a server has matched *this* client both ways before the first real request.

rclpy's wait_for_server() / wait_for_service() answer from the client's side only: our request
writer and response reader have matched the server's endpoints. The server's middleware matches
our response reader on its own schedule; rmw_fastrtps waits 100 ms for it and then drops the
response (the server prints "failed to send response (timeout): client will not receive
response"), so the client never hears back although the server acted on the request. A fixed
sleep after discovery is a guess that loaded machines lose.

An idempotent round trip settles it. For an action, the probe is a get_result request for a goal
id no server has: the server answers it at once with STATUS_UNKNOWN and changes nothing. Fast DDS
announces a participant's endpoints, and the server processes those announcements, in creation
order, so an answer to a probe client created *after* an ActionClient means the server had
matched that ActionClient's goal, cancel and result endpoints as well. For a service whose
request changes nothing (get_state), the call itself is the probe: `call_idempotent` repeats it.

No rclpy import at module level (callers may still be setting up the ROS environment).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from aca_sim.ros.blocking import wait_future

PROBE_ATTEMPT_S = 2.0  # s to wait for one probe's answer before sending another


def probe_request(action_type: Any) -> Any:
    """A get_result request of `action_type` for a fresh random goal id (no server has it)."""
    request = action_type.Impl.GetResultService.Request()
    request.goal_id.uuid = list(uuid.uuid4().bytes)
    return request


def probe_client(node: Any, action_type: Any, name: str, **kwargs: Any) -> Any:
    """A client of the action's get_result service, for probing. Create it after the
    ActionClient(s) it should vouch for."""
    return node.create_client(
        action_type.Impl.GetResultService, f"{name}/_action/get_result", **kwargs
    )


def wait_action_matched(node: Any, action_type: Any, name: str, timeout_s: float = 60.0) -> int:
    """Block until the action server `name` has answered a probe from `node`; the number of
    probes sent. TimeoutError (naming the action) after timeout_s wall seconds.

    Thread rule: call from a thread that is not spinning `node` (the executor must be running
    elsewhere), after creating the ActionClient(s) of `node` that will talk to the server.
    """
    deadline = time.monotonic() + timeout_s
    client = probe_client(node, action_type, name)
    try:
        return _probe_until_answered(
            client, lambda: probe_request(action_type), deadline, f"action {name}"
        )
    finally:
        node.destroy_client(client)


def call_idempotent(client: Any, request: Any, timeout_s: float, what: str) -> Any:
    """Call a service whose request changes nothing (or nothing more when repeated), sending it
    again when an answer does not come within PROBE_ATTEMPT_S; the response. TimeoutError
    after timeout_s. Thread rule: not from the thread spinning the client's node."""
    deadline = time.monotonic() + timeout_s
    return _probe_until_answered(client, lambda: request, deadline, what, keep_response=True)


def _probe_until_answered(
    client: Any, make_request: Any, deadline: float, what: str, keep_response: bool = False
) -> Any:
    attempts = 0
    if not client.wait_for_service(timeout_sec=max(0.0, deadline - time.monotonic())):
        raise TimeoutError(f"{what}: not available")
    while True:
        attempts += 1
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"{what}: {attempts - 1} requests, no answer")
        try:
            response = wait_future(
                client.call_async(make_request()), min(PROBE_ATTEMPT_S, left), what
            )
        except TimeoutError:
            continue
        return response if keep_response else attempts


async def await_action_matched(
    node: Any, client: Any, action_type: Any, name: str, timeout_s: float
) -> int:
    """The coroutine form of wait_action_matched for code running on `node`'s executor, with
    a probe `client` made by probe_client(); the number of probes sent. Raises
    waiting.Timeout after timeout_s, waiting.PeerLost when the server goes away."""
    from aca_sim.ros.waiting import Timeout, wait_for

    deadline = time.monotonic() + timeout_s
    attempts = 0
    while True:
        attempts += 1
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout(f"action {name}: {attempts - 1} probes, no answer")
        try:
            await wait_for(
                node,
                client.call_async(probe_request(action_type)),
                min(PROBE_ATTEMPT_S, left),
                f"action {name} probe",
                alive=client.service_is_ready,
            )
        except Timeout:
            continue
        return attempts
