"""A scripted caching sequence straight through the device models (no ROS).

This is what `aca-sim run` does until the ROS sequencer exists: it caches one rock core
headless, step by step, and reports each step's sim time, wall time and measurement.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aca_sim.sim import procedures as steps
from aca_sim.sim.world import AcaWorld


@dataclass(frozen=True)
class StepReport:
    """One finished step: its name, sim and wall durations (s) and a measurement."""

    name: str
    sim_s: float
    wall_s: float
    measurement: str


def _describe(name: str, result: Any) -> str:
    """A one-line measurement for a step result."""
    formats: dict[str, Callable[[Any], str]] = {
        "retrieve_tube": lambda r: f"tube {r.tube_id}",
        "transfer_tube_to_bit": lambda r: f"in {r.location}",
        "core_sample": lambda r: (
            f"drop-off contact at {r.contact_travel_m * 100:.1f} cm, drag {r.peak_drag_n:.0f} N"
        ),
        "receive_tube_from_bit": lambda r: f"tube {r.tube_id} back",
        "assess_volume": lambda r: (
            f"sample height {r.sample_height_m * 100:.2f} cm" if r.contact else "no contact: empty"
        ),
        "capture_image": lambda r: (
            f"{r.rgb.shape[1]}x{r.rgb.shape[0]} px, rim dust ~{r.rim_dust_estimate:.2f}"
        ),
        "dispense_seal": lambda r: (
            f"dispenser {r.dispenser}, insertion force "
            f"{r.peak_force_n:.1f} N (limit {r.release_limit_n:.0f} N)"
        ),
        "activate_seal": lambda r: (
            f"ram {r.peak_force_n:.0f} N, stroke {r.stroke_m * 1000:.1f} mm, hermetic={r.hermetic}"
        ),
        "store_tube": lambda r: f"tube {r.tube_id} in {r.location}",
    }
    return formats[name](result)


def cache_one_core(world: AcaWorld, slot: int) -> Iterator[StepReport]:
    """Cache a rock core in the tube of `slot`, yielding a report after each step."""
    plan: list[tuple[str, Callable[[], Any]]] = [
        ("retrieve_tube", lambda: steps.retrieve_tube(world, slot)),
        ("transfer_tube_to_bit", lambda: steps.transfer_tube_to_bit(world)),
        ("core_sample", lambda: steps.core_sample(world)),
        ("receive_tube_from_bit", lambda: steps.receive_tube_from_bit(world)),
        ("assess_volume", lambda: steps.assess_volume(world)),
        ("capture_image", lambda: steps.capture_image(world)),
        ("dispense_seal", lambda: steps.dispense_seal(world)),
        ("activate_seal", lambda: steps.activate_seal(world)),
        ("store_tube", lambda: steps.store_tube(world)),
    ]
    for name, make in plan:
        sim0, wall0 = world.time_s, time.perf_counter()
        result = world.run(make())
        yield StepReport(
            name, world.time_s - sim0, time.perf_counter() - wall0, _describe(name, result)
        )
