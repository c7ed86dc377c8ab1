"""The set of device models of one AcaWorld."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from aca_sim.sim.bit_carousel import BitCarousel
from aca_sim.sim.device import Device
from aca_sim.sim.seal_carousel import SealCarousel
from aca_sim.sim.sha import Sha
from aca_sim.sim.stations import BoreSweepTool, CacheCam, DropPort, SealingStation, VolumeProbe

if TYPE_CHECKING:
    from aca_sim.sim.world import AcaWorld


@dataclass(frozen=True)
class Devices:
    sha: Sha
    seal_carousel: SealCarousel
    sealing_station: SealingStation
    bore_sweep_tool: BoreSweepTool
    volume_probe: VolumeProbe
    cachecam: CacheCam
    bit_carousel: BitCarousel
    drop_port: DropPort

    def all(self) -> tuple[Device, ...]:
        """Every device, in a fixed order."""
        return tuple(getattr(self, f.name) for f in fields(self))


def build_devices(world: AcaWorld) -> Devices:
    """Create the device models of a world."""
    return Devices(
        sha=Sha(world),
        seal_carousel=SealCarousel(world),
        sealing_station=SealingStation(world),
        bore_sweep_tool=BoreSweepTool(world),
        volume_probe=VolumeProbe(world),
        cachecam=CacheCam(world),
        bit_carousel=BitCarousel(world),
        drop_port=DropPort(world),
    )
