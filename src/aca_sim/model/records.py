"""Records of the things the ACA handles, and of the hardware as a whole at one instant.

The simulator keeps the physical fields; the inventory keeps the same records plus the
catalogue fields (sample_name, catalogued_kind), which the simulator leaves empty. Frozen:
change a record with dataclasses.replace().
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from aca_sim.model.kinds import BitType, Catalogue, Contents, SealState, TubeKind
from aca_sim.model.locations import Location


@dataclass(frozen=True)
class Tube:
    """One tube. Depths are measured down from the rim, m; dust is coverage 0..1."""

    tube_id: int
    kind: TubeKind
    home_slot: int
    location: Location
    contents: Contents = Contents.EMPTY
    sample_height_m: float = 0.0  # true height of the sample column
    core_top_depth_m: float = 0.0  # rim to sample top (0 when empty)
    rim_dust: float = 0.0
    bore_dust: float = 0.0
    seal_state: SealState = SealState.NONE
    seal_id: int = 0  # 0 = no seal
    sample_name: str = ""  # catalogue: the ground's name for the sample
    catalogued_kind: Catalogue = Catalogue.NONE


# The fields a hardware reading and the inventory must agree on (reconciliation compares them).
OBSERVED_FIELDS = ("location", "contents", "seal_state")
# The physical fields a step can change, recorded with the step's outcome.
PHYSICAL_FIELDS = (
    "location",
    "contents",
    "sample_height_m",
    "core_top_depth_m",
    "rim_dust",
    "bore_dust",
    "seal_state",
    "seal_id",
)


@dataclass(frozen=True)
class Dispenser:
    """One seal dispenser of the carousel."""

    dispenser_id: int
    seals_remaining: int
    release_limit_n: float


@dataclass(frozen=True)
class BitSlot:
    """One of the bit slots of the bit carousel."""

    slot: int
    bit_type: BitType
    tube_id: int = 0
    debris_count: int = 0


def whole_ns(seconds: float) -> float:
    """A sim time as the hardware reports it: in whole nanoseconds (the resolution of a ROS
    time stamp), as seconds. The same arithmetic as builtin_interfaces/Time and back."""
    ns = round(seconds * 1e9)
    return ns // 1_000_000_000 + (ns % 1_000_000_000) * 1e-9


@dataclass(frozen=True)
class HardwareState:
    """What the hardware shows at one sim time (s, in whole ns: see whole_ns): every tube,
    dispenser and bit slot, the held tube (0 = none), whether caching is halted, and the joint
    positions (m, rad)."""

    sim_time_s: float
    held_tube_id: int
    tubes: Mapping[int, Tube]
    dispensers: Mapping[int, Dispenser]
    bit_slots: Mapping[int, BitSlot] = field(default_factory=dict)
    caching_halted: bool = False
    joint_positions: Mapping[str, float] = field(default_factory=dict)
    state_hash: str = ""

    def seals(self) -> dict[int, int]:
        """Seals remaining per dispenser."""
        return {d: s.seals_remaining for d, s in sorted(self.dispensers.items())}

    def release_limit_n(self) -> float:
        """The seal release limit of the dispensers (the model's; the highest if they differ),
        N; ValueError when the state lists no dispenser."""
        if not self.dispensers:
            raise ValueError("the hardware state lists no seal dispenser")
        return max(d.release_limit_n for d in self.dispensers.values())

    def tube_at(self, location: Location) -> int:
        """Id of the tube at a location (0 when there is none)."""
        return next((t.tube_id for t in self.tubes.values() if t.location == location), 0)

    def tube_in_any_bit(self) -> int:
        """Id of the first tube latched in a bit, in bit order (0 when there is none)."""
        return next((b.tube_id for _, b in sorted(self.bit_slots.items()) if b.tube_id), 0)


def with_sample_names(tubes: Iterable[Tube], names: Mapping[int, str]) -> tuple[Tube, ...]:
    """The tubes with the catalogue's sample names (by tube id) where it has one."""
    return tuple(
        replace(t, sample_name=names[t.tube_id]) if names.get(t.tube_id) else t for t in tubes
    )
