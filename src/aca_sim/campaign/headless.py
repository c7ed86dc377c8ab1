"""Campaigns in this process without DDS: the same world, procedures, sequencer and fault
protection as the ROS nodes, driven directly.

InProcessPort is the sequencer's DevicePort on an Aca: a step runs with Aca.run exactly as
the sim node's physics thread runs it in fast mode (one generator step per physics step, a
Leap's steps at once, no step between steps), so the same seed gives the same outcomes and
the same sim-time timeline as over ROS. HeadlessSequences is the campaign's SequencePort on a
Sequencer. Thread rule: everything on the calling thread.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from aca_sim.caching.campaign import (
    OnFeedback,
    SampleOutcome,
    faults_summary,
    run_campaign_items,
)
from aca_sim.caching.campaign_file import CampaignItem, load_campaign
from aca_sim.caching.inventory import Inventory
from aca_sim.caching.sequence_types import CacheRequest, RecoverRequest, SequenceResult
from aca_sim.caching.sequencer import Sequencer
from aca_sim.model.config import ModelConfig
from aca_sim.model.records import HardwareState
from aca_sim.model.steps import Step, StepOutcome
from aca_sim.paths import share_path
from aca_sim.sim import step_table
from aca_sim.sim.aca import Aca
from aca_sim.sim.errors import StepError
from aca_sim.sim.runner import run_to_end

T = TypeVar("T")
HEADLESS_LEAP_STEPS = 14_400  # a Leap covers up to a minute here (a second over ROS): the
# same states (sim.coasting), a look and feedback less often; nothing here cancels mid-step


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (its awaits all complete at once) to its result."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("a synchronous port suspended: it must not await real futures")


class InProcessPort:
    """The sequencer's DevicePort on an Aca in this thread."""

    def __init__(self, aca: Aca, on_step: Callable[[StepOutcome, Any], None] | None = None):
        """on_step(outcome, procedure value) is called after every step (e.g. to keep the
        CacheCam images)."""
        self.aca, self.on_step = aca, on_step
        self._outcomes: dict[str, StepOutcome] = {}

    async def hardware(self) -> HardwareState:
        return self.aca.hardware_state()

    async def run_step(self, step: Step, goal_id: str) -> StepOutcome:
        ended = run_to_end(self.aca, step_table.start(self.aca, step.action, step.goal))
        outcome = step_table.outcome(
            step.action, ended.status, ended.value, ended.error, ended.duration_s
        )
        self._outcomes[goal_id] = outcome
        if self.on_step is not None:
            self.on_step(outcome, ended.value)
        return outcome

    async def step_result(self, action: str, goal_id: str) -> StepOutcome | None:
        return self._outcomes.get(goal_id)

    def cancel_step(self) -> None:
        """Steps run to their end here; a canceled sequence stops before its next step."""


class HeadlessSequences:
    """The campaign's SequencePort on a Sequencer over an InProcessPort."""

    def __init__(self, aca: Aca, inventory: Inventory, log: Callable[[str], None] = print):
        self.aca = aca
        aca.devices.cachecam.reading_only = True  # no one sees a headless run's frames
        aca.world.leap_steps = HEADLESS_LEAP_STEPS
        self.port = InProcessPort(aca)
        self.sequencer = Sequencer(inventory, self.port, log)

    def arm_scenario(self, name: str) -> str:
        try:
            kinds = self.aca.faults.arm_scenario(share_path("config", "faults", f"{name}.yaml"))
        except StepError as error:
            raise RuntimeError(error.message) from error
        return f"scenario {name}: {', '.join(kinds)}"

    def arm_faults(self, faults: tuple[tuple[str, float], ...]) -> str:
        try:
            self.aca.faults.arm_all(faults, "campaign faults")
        except StepError as error:
            raise RuntimeError(error.message) from error
        return faults_summary(faults)

    def cache_sample(self, request: CacheRequest, on_feedback: OnFeedback) -> SequenceResult:
        return run_sync(self.sequencer.cache_sample(request, on_feedback))

    def recover_seal(self, request: RecoverRequest, on_feedback: OnFeedback) -> SequenceResult:
        return run_sync(self.sequencer.recover_seal(request, on_feedback))


def run_headless(
    seed: int,
    inventory_path: str | Path,
    campaign: str = "default",
    config: ModelConfig | None = None,
    say: Callable[[str], None] = print,
) -> list[SampleOutcome]:
    """Run a campaign (a name in config/campaigns or a file) on a new world in this process,
    with the inventory at inventory_path; one outcome per sample."""
    return run_headless_items(load_campaign(campaign), seed, inventory_path, config, say)


def run_headless_items(
    items: list[CampaignItem] | tuple[CampaignItem, ...],
    seed: int,
    inventory_path: str | Path,
    config: ModelConfig | None = None,
    say: Callable[[str], None] = print,
) -> list[SampleOutcome]:
    """Cache these samples on a new world (seed, config) in this process, with the
    inventory at inventory_path; one outcome per sample."""
    aca = Aca.create(config=config, seed=seed)
    inventory = Inventory(inventory_path)
    try:
        return run_campaign_items(list(items), HeadlessSequences(aca, inventory, say), say)
    finally:
        inventory.close()
        aca.close()
