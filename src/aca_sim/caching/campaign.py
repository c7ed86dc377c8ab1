"""A campaign: cache its samples in order, arming each sample's fault scenario first, and run
the ground's recover_seal rounds for a seal that does not release (as for Mageik).

The loop is the same whether the sequences run over ROS (campaign.ros_link) or in this
process (campaign.headless): it talks to a SequencePort. No ROS, no physics here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aca_sim.caching.campaign_file import CampaignItem
from aca_sim.caching.sequence_types import (
    CacheRequest,
    RecoverRequest,
    SequenceFeedback,
    SequenceResult,
)
from aca_sim.model.codes import Code
from aca_sim.model.kinds import Catalogue, SampleKind

Say = Callable[[str], None]
OnFeedback = Callable[[SequenceFeedback], None]


class SequencePort(Protocol):
    """How a campaign reaches the sequencer. Blocking calls; RuntimeError when a goal is
    refused outright (a sequence already running) or a scenario cannot be armed."""

    def arm_scenario(self, name: str) -> str:
        """Arm a fault scenario (config/faults/<name>.yaml) for the next coring; a summary."""

    def arm_faults(self, faults: tuple[tuple[str, float], ...]) -> str:
        """Arm faults (kind, value) for the next coring, all or none; a summary."""

    def cache_sample(self, request: CacheRequest, on_feedback: OnFeedback) -> SequenceResult:
        """Run one cache_sample sequence to its end."""

    def recover_seal(self, request: RecoverRequest, on_feedback: OnFeedback) -> SequenceResult:
        """Run one recover_seal sequence to its end."""


def faults_summary(faults: tuple[tuple[str, float], ...]) -> str:
    """What SequencePort.arm_faults says it armed: 'faults armed: rim_dust 0.4, ...'."""
    return "faults armed: " + ", ".join(f"{kind} {value:g}" for kind, value in faults)


@dataclass(frozen=True)
class SampleOutcome:
    """What one sample of the campaign came to; sim_s is its sim time in s."""

    sample_name: str
    tube_id: int
    catalogued_kind: Catalogue
    sealed: bool
    sample_height_m: float
    sweeps: int
    seal_attempts: int
    sim_s: float
    code: Code
    outcome: str
    first_code: Code = Code.NONE  # the first cache_sample's code (SEAL_NOT_RELEASED: stuck)
    sealed_first_try: bool = False  # sealed by the first cache_sample, before any recovery


def run_campaign_items(
    items: list[CampaignItem], port: SequencePort, say: Say = print
) -> list[SampleOutcome]:
    """Cache every sample in order; one outcome per sample."""
    outcomes = []
    for number, item in enumerate(items, 1):
        say(
            f"sample {number}/{len(items)}: {item.sample_name} ({item.kind.value})"
            + (f", fault scenario: {item.scenario}" if item.scenario else "")
        )
        if item.scenario:
            port.arm_scenario(item.scenario)
        if item.faults:
            say("  " + port.arm_faults(item.faults))
        outcomes.append(cache_one(item, port, say))
    return outcomes


def cache_one(item: CampaignItem, port: SequencePort, say: Say = print) -> SampleOutcome:
    """One cache_sample sequence, then recovery rounds while the seal does not release."""
    result = port.cache_sample(
        CacheRequest(item.kind, item.sample_name), progress_printer(say, "")
    )
    sim_s, sweeps, attempts = result.duration_s, 0, 1
    sealed, outcome, code = result.sealed, result.message or "ok", result.code
    catalogued = result.catalogued_kind
    stuck = code == Code.SEAL_NOT_RELEASED
    if stuck:
        say(f"  seal not released: {result.message}")
    for round_number in range(1, item.max_recovery_rounds + 1):
        if not (stuck and item.recover_sweeps):
            break
        say(
            f"  ground: recover_seal round {round_number}, "
            f"{item.recover_sweeps} bore sweeps then retry"
        )
        request = RecoverRequest(result.tube_id, item.recover_sweeps)
        recovery = port.recover_seal(request, progress_printer(say, "recovery "))
        sim_s += recovery.duration_s
        sweeps += recovery.sweeps_done
        attempts += 1
        code = recovery.code
        stuck = code == Code.SEAL_NOT_RELEASED
        if code == Code.NONE:
            sealed, catalogued = True, recovery.catalogued_kind
            outcome = f"sealed after {sweeps} sweeps and {attempts} attempts"
        elif not stuck:
            outcome = recovery.message
    if stuck and item.recover_sweeps:
        outcome = f"still unsealed after {attempts} attempts and {sweeps} sweeps"
    if item.kind == SampleKind.DEPOT_DROP and code == Code.NONE:
        outcome = "dropped at the depot"
    say(f"  -> tube {result.tube_id}: sealed={sealed}, {outcome}")
    return SampleOutcome(
        item.sample_name,
        result.tube_id,
        catalogued,
        sealed,
        result.sample_height_m,
        sweeps,
        attempts,
        sim_s,
        code,
        outcome,
        first_code=result.code,
        sealed_first_try=result.sealed,
    )


def progress_printer(say: Say, prefix: str) -> OnFeedback:
    """A feedback callback that prints each finished step: a bar, i/n, the step and its
    measurement."""
    seen: set[tuple[int, str]] = set()

    def on_feedback(update: SequenceFeedback) -> None:
        key = (update.step_index, update.step)
        finished = update.progress * update.step_count >= update.step_index - 1e-6
        if finished and key not in seen:
            seen.add(key)
            bar = "#" * round(update.progress * 20)
            say(
                f"  {prefix}[{bar:<20}] {update.step_index:>2}/{update.step_count} "
                f"{update.step:<22} {update.last_measurement}"
            )

    return on_feedback


def summary_table(
    outcomes: list[SampleOutcome],
    seed: int | None,
    wall_s: float | None = None,
    release_limit_n: float | None = None,
) -> str:
    """A Markdown table of the campaign's samples and its totals (seed None: not known here),
    and the seal release limit the sim ran with (N; None: not said)."""
    lines = [
        "# aca_sim campaign" + (f", seed {seed}" if seed is not None else ""),
        "",
        "| sample | tube | catalogued | sealed | height cm | sweeps | seal attempts | sim s "
        "| outcome |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.sample_name} | {o.tube_id} | {o.catalogued_kind.value} | {o.sealed} | "
            f"{o.sample_height_m * 100:.2f} | {o.sweeps} | {o.seal_attempts} | {o.sim_s:.0f} "
            f"| {o.outcome} |"
        )
    total = f"\nSim time {sum(o.sim_s for o in outcomes):.0f} s"
    lines.append(total + (f", wall time {wall_s:.0f} s." if wall_s is not None else "."))
    if release_limit_n is not None:
        lines.append(f"Seal release limit {release_limit_n:g} N (the sim's model).")
    return "\n".join(lines)
