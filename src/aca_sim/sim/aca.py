"""Aca: the composition root of the simulator: the world, its devices, the named stations and
the armed faults, built for a configuration and a seed.

    aca = Aca.create(seed=7)
    aca.run(procedures.retrieve_tube(aca, 5))

Thread rule: an Aca belongs to one thread (the physics thread); nothing else calls into it.
Time: sim time, advanced only by step().
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from aca_sim.model.config import ModelConfig, load_model_config
from aca_sim.model.layout import Station, station_table
from aca_sim.model.names import ACA_JOINTS
from aca_sim.model.records import HardwareState, whole_ns
from aca_sim.motion.arm_planner import ArmPlanner
from aca_sim.motion.trajectory_goal import ControllerConfig
from aca_sim.sim import snapshot
from aca_sim.sim.bit_carousel import BitCarousel
from aca_sim.sim.cachecam import CacheCam
from aca_sim.sim.device import Device
from aca_sim.sim.drive import Drive
from aca_sim.sim.faults import FaultArming
from aca_sim.sim.gui_view import frame_assembly
from aca_sim.sim.operation import Feedback, Operation
from aca_sim.sim.quiet import BulletClient, c_stdout_silenced, pybullet
from aca_sim.sim.renderers import load_egl
from aca_sim.sim.seal_carousel import SealCarousel
from aca_sim.sim.sha import Sha
from aca_sim.sim.stations import BoreSweepTool, DropPort, SealingStation, VolumeProbe
from aca_sim.sim.world import World

T = TypeVar("T")


@dataclass(frozen=True)
class Devices:
    """The device models of one ACA."""

    sha: Sha
    seal_carousel: SealCarousel
    sealing_station: SealingStation
    bore_sweep_tool: BoreSweepTool
    volume_probe: VolumeProbe
    cachecam: CacheCam
    bit_carousel: BitCarousel
    drop_port: DropPort

    @classmethod
    def build(cls, world: World) -> Devices:
        """The device models of a world."""
        return cls(
            sha=Sha(world),
            seal_carousel=SealCarousel(world),
            sealing_station=SealingStation(world),
            bore_sweep_tool=BoreSweepTool(world),
            volume_probe=VolumeProbe(world),
            cachecam=CacheCam(world),
            bit_carousel=BitCarousel(world),
            drop_port=DropPort(world),
        )

    def all(self) -> tuple[Device, ...]:
        """Every device, in a fixed order."""
        return tuple(getattr(self, f.name) for f in fields(self))


class Aca:
    """The simulated Adaptive Caching Assembly."""

    def __init__(self, client: BulletClient, config: ModelConfig | None = None, seed: int = 0):
        self.config = config or load_model_config()
        description = snapshot.initial_description(self.config, seed)
        self.world = World(client, self.config, description)
        self.faults = FaultArming(description["faults"])
        self.stations: dict[str, Station] = station_table(self.config)
        self.devices = Devices.build(self.world)
        for device in self.devices.all():
            device.on_rebuild()
        # the devices with kinematic updates before each step (the others' pre_step is empty)
        self._pre_steppers = [
            d for d in self.devices.all() if type(d).pre_step is not Device.pre_step
        ]
        self._planner: ArmPlanner | None = None
        self._controller: ControllerConfig | None = None

    @property
    def planner(self) -> ArmPlanner:
        """The arm's motion planner for this configuration (built on first use, 0.2 s). Its
        scene is updated from hardware_state() before each plan, never from the world."""
        if self._planner is None:
            self._planner = ArmPlanner.for_config(self.config)
        return self._planner

    @property
    def controller_config(self) -> ControllerConfig:
        """The SHA trajectory controller's parameters (config/sha_controller.yaml)."""
        if self._controller is None:
            self._controller = ControllerConfig.load()
        return self._controller

    @classmethod
    def create(
        cls, gui: bool = False, config: ModelConfig | None = None, seed: int = 0, egl: bool = False
    ) -> Aca:
        """Connect a new PyBullet client (DIRECT, or GUI on request) and build the ACA. egl:
        render camera views with PyBullet's EGL plugin (OpenGL, headless) instead of
        TinyRenderer; RendererError unless the machine has EGL. Physics is the same either way;
        TinyRenderer's pixels are the same on every machine, EGL's depend on its driver."""
        with c_stdout_silenced():
            client = BulletClient(connection_mode=pybullet.GUI if gui else pybullet.DIRECT)
            if egl:
                load_egl(client)  # before any body: the plugin only draws bodies made after it
        if gui:  # the window draws nothing while the world is built (19.8 s -> 2.3 s on Mesa)
            client.configureDebugVisualizer(client.COV_ENABLE_RENDERING, 0)
        aca = cls(client, config, seed)
        if gui:
            frame_assembly(client, aca.world.mech.body)
            client.configureDebugVisualizer(client.COV_ENABLE_RENDERING, 1)
        return aca

    def close(self) -> None:
        """Disconnect the PyBullet client."""
        self.world.close()

    @property
    def dt(self) -> float:
        """The physics time step, s."""
        return self.world.dt

    @property
    def time_s(self) -> float:
        """Sim time, s."""
        return self.world.time_s

    # ------------------------------------------------------------------ stepping
    def step(self) -> None:
        """Advance by one physics step (devices' kinematic updates first, then PyBullet)."""
        for device in self._pre_steppers:
            device.pre_step()
        self.world.step()

    def run(
        self, operation: Operation[T], on_feedback: Callable[[Feedback], None] | None = None
    ) -> T:
        """Drive an operation to completion on this thread (sim.drive: one look per yield, a
        Leap's steps at once); return its result. What it raises propagates."""
        drive = Drive(self.world, operation, on_feedback)
        self.drive_to_end(drive)
        return drive.value

    def drive_to_end(self, drive: Drive) -> None:
        """Look and step until the drive's operation returns (its value in drive.value); what
        it raises propagates."""
        while drive.look():
            self.take_steps(drive)

    def take_steps(self, drive: Drive) -> None:
        """The physics steps a drive's last look asked for: a Leap's at once on the running
        coast (leap), the rest singly, ending early when that coast ends."""
        if drive.steps_left > 1 and self.world.coast is not None:
            drive.stepped(self.leap(drive.steps_left))
        while not drive.due():
            self.step()
            drive.stepped()

    def leap(self, steps: int, marks: Sequence[int] = ()) -> int:
        """Up to `steps` coasted steps at once (World.leap), the devices' pre_step run once
        before them as step() would: during a coast nothing but the coasting joints moves,
        and pre_step does nothing while the joints it follows stand still. Returns the steps
        taken (0: none; step singly). marks: World.leap's."""
        for device in self._pre_steppers:
            device.pre_step()
        return self.world.leap(steps, marks)

    # ------------------------------------------------------------------ whole state
    def hardware_state(self, with_hash: bool = False) -> HardwareState:
        """What the hardware shows now (records copied; the state hash on request: it
        describes the whole world, a few ms)."""
        world = self.world
        return HardwareState(
            sim_time_s=whole_ns(world.time_s),
            held_tube_id=world.held_tube,
            tubes=dict(world.tubes),
            dispensers=dict(world.dispensers),
            bit_slots=dict(world.bit_slots),
            caching_halted=world.caching_halted,
            joint_positions={name: world.mech.joint_position(name) for name in ACA_JOINTS},
            state_hash=self.state_hash() if with_hash else "",
        )

    def describe(self) -> dict[str, Any]:
        """The whole state as plain JSON-able data (aca_sim.sim.snapshot)."""
        return snapshot.describe(self.world, self.faults)

    def restore(self, description: dict[str, Any]) -> None:
        """Rebuild from describe() output; devices must be idle (StepError BUSY)."""
        snapshot.restore(self.world, self.faults, self.devices.all(), description)

    def state_hash(self) -> str:
        """SHA-256 of the whole state (aca_sim.sim.snapshot.state_hash)."""
        return snapshot.state_hash(self.describe())
