"""An rclpy ActionServer whose ended goals leave its status topic at once while their results
stay fetchable by goal id.

rclpy keeps an ended goal for `result_timeout` (15 minutes by default) and lists every goal it
keeps in each status message (action_msgs/GoalStatusArray) it publishes, on every goal event;
every client and status subscriber decodes the whole list again each time (~10 us an entry in
rclpy). A step server that takes teleop goals at 10 Hz would list 9,000 goals per message
with the default, 864,000 with a day's retention, and every goal would cost every client more.

RetainingActionServer lets rcl expire a goal as soon as it ends (result_timeout 0: the
terminal status is still published once, with the goal in it) and keeps the result itself:
a get_result request for a goal rcl no longer has is answered from that store, exactly as
rclpy would have answered it (status and result), for `keep_s` wall seconds and the newest
`keep_count` goals. A restarted sequencer settles the step it left open by asking for its
result by goal id (aca_sim.ros.device_link), which is why results are kept for long.

Relies on two methods of rclpy's ActionServer (7.1.x, Jazzy): _execute_get_result_request and
_execute_expire_goals; importing this module fails if rclpy has no such methods.

Thread rule: like rclpy's ActionServer, everything runs on the node's executor thread.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from rclpy.action import ActionServer
from rclpy.action.server import RCLError

for _needed in ("_execute_get_result_request", "_execute_expire_goals"):
    if not hasattr(ActionServer, _needed):
        raise ImportError(f"rclpy's ActionServer has no {_needed}: aca_sim needs rclpy 7.1.x")


class RetainingActionServer(ActionServer):
    """An rclpy ActionServer (same arguments, except result_timeout) whose status topic lists
    only the goals that are running (or just ended), and which answers get_result for an
    ended goal from its own store: the newest `keep_count` results, each for `keep_s` wall
    seconds after its goal ended."""

    def __init__(self, *args: Any, keep_s: float, keep_count: int, **kwargs: Any) -> None:
        if keep_s <= 0 or keep_count < 1:
            raise ValueError(f"keep_s={keep_s!r} must be > 0 and keep_count={keep_count!r} >= 1")
        super().__init__(*args, result_timeout=0, **kwargs)
        self.keep_s, self.keep_count = keep_s, keep_count
        self._kept: OrderedDict[bytes, tuple[float, Any]] = OrderedDict()  # id: (ended, response)

    def kept_result(self, goal_id: bytes) -> Any | None:
        """The stored GetResult response of an ended, expired goal; None when not kept."""
        self._forget_old(time.monotonic())
        kept = self._kept.get(goal_id)
        return None if kept is None else kept[1]

    async def _execute_get_result_request(self, request_header_and_message: Any) -> None:
        request_header, request = request_header_and_message
        goal_id = bytes(request.goal_id.uuid)
        if goal_id not in self._goal_handles:
            response = self.kept_result(goal_id)
            if response is not None:
                try:
                    self._handle.send_result_response(request_header, response)
                except RCLError:  # as rclpy does: the client may have gone away
                    self._logger.warning("failed to send a kept result (client gone?)")
                return
        await super()._execute_get_result_request(request_header_and_message)

    async def _execute_expire_goals(self, expired_goals: Any) -> None:
        now = time.monotonic()
        for goal in expired_goals:
            goal_id = bytes(goal.goal_id.uuid)
            future = self._result_futures.get(goal_id)
            if future is not None and future.done():
                self._kept[goal_id] = (now, future.result())
                self._kept.move_to_end(goal_id)
        await super()._execute_expire_goals(expired_goals)
        self._forget_old(now)

    def _forget_old(self, now: float) -> None:
        """Drop results beyond keep_count and older than keep_s (oldest first)."""
        while self._kept and (
            len(self._kept) > self.keep_count
            or next(iter(self._kept.values()))[0] < now - self.keep_s
        ):
            self._kept.popitem(last=False)
