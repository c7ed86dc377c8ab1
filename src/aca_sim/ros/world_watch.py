"""What the teleop tools know of the world, kept from topics: the tubes (/aca/tubes, with the
sample names of the sequencer's /aca/inventory where it has them), the seal dispensers
(/aca/dispensers) and the devices held by running goals (from every aca action server's
goal status topic, /aca/<action>/_action/status: a goal accepted, executing or canceling
holds its action's devices, aca_sim.model.steps.STEP_DEVICES), and whether caching is halted
(asked of /aca/sim/get_state when the tubes change or a goal begins or ends: a halt begins and ends
only with a step, a reset or a restore, each of which does one or the other).

Thread rule: callbacks (and on_change) run on the node's executor thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from aca_interfaces.msg import DispenserStateArray, TubeStateArray
from aca_interfaces.srv import GetWorldState
from action_msgs.msg import GoalStatus, GoalStatusArray
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile
from rclpy.task import Future

from aca_sim.model.records import Dispenser, Tube, with_sample_names
from aca_sim.model.world_view import WorldView, busy_devices
from aca_sim.ros.conversions import tube_of
from aca_sim.ros.interfaces import ALL_ACTIONS

ACTIVE = (GoalStatus.STATUS_ACCEPTED, GoalStatus.STATUS_EXECUTING, GoalStatus.STATUS_CANCELING)
LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
ANSWER_WAIT_S = 5.0  # wall time after which a get_state request is given up and sent again


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
        self._state = node.create_client(GetWorldState, "/aca/sim/get_state")
        self._state_wanted, self._asked, self._asked_at = True, None, 0.0
        node.create_timer(1.0, self._ask_state)  # until the sim's service answers
        for name in ALL_ACTIONS:
            node.create_subscription(
                GoalStatusArray,
                f"/aca/{name}/_action/status",
                lambda message, name=name: self._on_status(name, message),
                LATCHED,  # the action status QoS: reliable, transient local, depth 1
            )

    def _ask_state(self) -> None:
        """Ask the sim whether caching is halted, if wanted, nothing is asked yet and the
        service is there; one request at a time."""
        if self._asked is not None and time.monotonic() - self._asked_at > ANSWER_WAIT_S:
            self._state.remove_pending_request(self._asked)  # a sim that died meanwhile
            self._asked, self._state_wanted = None, True
        if self._state_wanted and self._asked is None and self._state.service_is_ready():
            self._state_wanted, self._asked_at = False, time.monotonic()
            self._asked = self._state.call_async(GetWorldState.Request())
            self._asked.add_done_callback(self._on_state)

    def _want_state(self) -> None:
        self._state_wanted = True
        self._ask_state()

    def _on_state(self, future: Future) -> None:
        if future is not self._asked:
            return  # given up on
        self._asked = None
        response = future.result()
        if response is not None:
            self._set(replace(self.view, caching_halted=bool(response.caching_halted)))
        else:
            self._state_wanted = True
        self._ask_state()

    def _set(self, view: WorldView) -> None:
        if view != self.view:
            self.view = view
            self.on_change(view)

    def _on_tubes(self, message: TubeStateArray) -> None:
        hardware = tuple(tube_of(state) for state in message.tubes)
        if hardware == self._hardware:
            return  # republished at the state rate; only a change is news
        self._hardware = hardware
        self._set(replace(self.view, tubes=with_sample_names(hardware, self.names)))
        self._want_state()

    def _on_inventory(self, message: TubeStateArray) -> None:
        self.names = {t.tube_id: t.sample_name for t in message.tubes if t.sample_name}
        self._set(replace(self.view, tubes=with_sample_names(self._hardware, self.names)))

    def _on_dispensers(self, message: DispenserStateArray) -> None:
        dispensers = tuple(
            Dispenser(d.dispenser_id, d.seals_remaining, d.release_limit_n)
            for d in message.dispensers
        )
        self._set(replace(self.view, dispensers=dispensers))

    def _on_status(self, action: str, message: GoalStatusArray) -> None:
        self.running[action] = {
            bytes(s.goal_info.goal_id.uuid) for s in message.status_list if s.status in ACTIVE
        }
        busy = busy_devices([a for a, goals in self.running.items() if goals])
        if busy != self.view.busy:
            self._want_state()  # a goal began or ended
        self._set(replace(self.view, busy=busy))
