"""What the teleop tools know of the world, kept from topics: the tubes (/aca/tubes, with the
sample names of the sequencer's /aca/inventory where it has them), the seal dispensers
(/aca/dispensers) and the devices held by running goals (from every aca action server's
goal status topic, /aca/<action>/_action/status: a goal accepted, executing or canceling
holds its action's devices, aca_sim.model.steps.STEP_DEVICES).

Thread rule: callbacks (and on_change) run on the node's executor thread.
"""

from __future__ import annotations

from collections.abc import Callable

from aca_interfaces.msg import DispenserStateArray, TubeStateArray
from action_msgs.msg import GoalStatus, GoalStatusArray
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile

from aca_sim.model.records import Dispenser, Tube, with_sample_names
from aca_sim.ros.conversions import tube_of
from aca_sim.ros.interfaces import ALL_ACTIONS
from aca_sim.teleop.menus import WorldView, busy_devices

ACTIVE = (GoalStatus.STATUS_ACCEPTED, GoalStatus.STATUS_EXECUTING, GoalStatus.STATUS_CANCELING)
LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)


class WorldWatch:
    """A WorldView kept up to date; on_change(view) after every change."""

    def __init__(self, node: Node, on_change: Callable[[WorldView], None]) -> None:
        self.view = WorldView()
        self.on_change = on_change
        self.running: dict[str, set[bytes]] = {name: set() for name in ALL_ACTIONS}
        self.names: dict[int, str] = {}  # tube id -> sample name, from the inventory
        self._hardware: tuple[Tube, ...] = ()
        node.create_subscription(TubeStateArray, "/aca/tubes", self._on_tubes, LATCHED)
        node.create_subscription(TubeStateArray, "/aca/inventory", self._on_inventory, LATCHED)
        node.create_subscription(
            DispenserStateArray, "/aca/dispensers", self._on_dispensers, LATCHED
        )
        for name in ALL_ACTIONS:
            node.create_subscription(
                GoalStatusArray,
                f"/aca/{name}/_action/status",
                lambda message, name=name: self._on_status(name, message),
                LATCHED,  # the action status QoS: reliable, transient local, depth 1
            )

    def _set(self, view: WorldView) -> None:
        if view != self.view:
            self.view = view
            self.on_change(view)

    def _on_tubes(self, message: TubeStateArray) -> None:
        self._hardware = tuple(tube_of(state) for state in message.tubes)
        tubes = with_sample_names(self._hardware, self.names)
        self._set(WorldView(tubes, self.view.dispensers, self.view.busy))

    def _on_inventory(self, message: TubeStateArray) -> None:
        self.names = {t.tube_id: t.sample_name for t in message.tubes if t.sample_name}
        tubes = with_sample_names(self._hardware, self.names)
        self._set(WorldView(tubes, self.view.dispensers, self.view.busy))

    def _on_dispensers(self, message: DispenserStateArray) -> None:
        dispensers = tuple(
            Dispenser(d.dispenser_id, d.seals_remaining, d.release_limit_n)
            for d in message.dispensers
        )
        self._set(WorldView(self.view.tubes, dispensers, self.view.busy))

    def _on_status(self, action: str, message: GoalStatusArray) -> None:
        self.running[action] = {
            bytes(s.goal_info.goal_id.uuid) for s in message.status_list if s.status in ACTIVE
        }
        busy = busy_devices([a for a, goals in self.running.items() if goals])
        self._set(WorldView(self.view.tubes, self.view.dispensers, busy))
