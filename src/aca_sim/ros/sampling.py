"""Read the latest message of a busy topic at your own pace, without a callback per message.

In fast mode /joint_states (and /tf) arrive several thousand times per wall second; a node
that only needs the latest value a few times a second (the fork target, the teleop page)
would otherwise spend a core in rclpy's executor on messages it throws away. A Sampler's
subscription (depth 1: DDS keeps only the newest sample) lives on a helper node that no
executor spins; latest() takes what is waiting. Thread rule: call latest() from one thread
(the owner's executor thread, e.g. from a timer).
"""

from __future__ import annotations

from typing import Any

from rclpy.context import Context
from rclpy.node import Node
from rclpy.qos import QoSProfile


class Samplers:
    """A helper node (never spun) holding sampled subscriptions for one owner node."""

    def __init__(self, owner: Node, context: Context | None = None) -> None:
        self.node = Node(
            f"{owner.get_name()}_sampler",
            namespace=owner.get_namespace(),
            context=context or owner.context,
            start_parameter_services=False,
        )

    def sampler(self, msg_type: Any, topic: str) -> Sampler:
        """A sampler of a topic (depth 1, reliable)."""
        return Sampler(self.node, msg_type, topic)

    def destroy(self) -> None:
        self.node.destroy_node()


class Sampler:
    """The newest message of one topic, taken on demand."""

    def __init__(self, node: Node, msg_type: Any, topic: str) -> None:
        self.subscription = node.create_subscription(
            msg_type, topic, lambda _m: None, QoSProfile(depth=1)
        )
        self.value: Any = None

    def latest(self) -> Any:
        """The newest message received so far (None before the first one)."""
        subscription = self.subscription
        with subscription.handle:
            while True:
                taken = subscription.handle.take_message(subscription.msg_type, False)
                if taken is None:
                    break
                self.value = taken[0]
        return self.value
