"""Caching steps as operations over the device models (one function per step).

Every step first checks its preconditions and raises StepError before anything moves, so a
bad goal changes nothing; then it drives the devices. Closing the generator (cancel) or an
error stops every joint where it is (`make_safe`). Results are frozen dataclasses.
Thread rule: run on the thread that owns the world.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

from aca_sim.motion.kinematics import JointPositions
from aca_sim.sim.bit_carousel import CoringResult, Port
from aca_sim.sim.errors import StepError
from aca_sim.sim.seal_carousel import DispenseResult
from aca_sim.sim.state import BitType, Contents, SealState, TubeState
from aca_sim.sim.stations import ActivationResult, DropResult, Image, ProbeResult, SweepResult
from aca_sim.sim.world import ACA_JOINTS, AcaWorld, Feedback, Operation


@dataclass(frozen=True)
class TubeResult:
    """A step that moved a tube: which one, and where it is now."""

    tube_id: int
    location: str


BIT_JOINTS = ("bit_carousel_rot", "drill_feed")
ARM_AND_STATION_JOINTS = tuple(j for j in ACA_JOINTS if j not in BIT_JOINTS)


def make_safe(world: AcaWorld, joints: tuple[str, ...] = ACA_JOINTS) -> None:
    """Stop the given actuators where they are (the state a cancel or fault leaves)."""
    for name in joints:
        world.hold_joint(name)


def _safely(
    world: AcaWorld, operation: Operation, joints: tuple[str, ...] = ARM_AND_STATION_JOINTS
) -> Generator:
    """Run an operation; on any exit other than success, stop its actuators where they are.
    Arm steps leave the bit carousel and the drill alone (the drill may be working)."""
    try:
        return (yield from operation)
    except BaseException:
        make_safe(world, joints)
        raise


def _with_progress(operation: Operation, start: float, end: float) -> Generator:
    """Re-map an operation's feedback progress into [start, end] of the whole step."""
    generator = operation
    try:
        feedback = next(generator)
        while True:
            if feedback is not None:
                feedback = Feedback(
                    feedback.phase,
                    start + (end - start) * feedback.progress,
                    feedback.force_n,
                    feedback.value,
                )
            sent = yield feedback
            feedback = generator.send(sent)
    except StopIteration as done:
        return done.value


def _visit(
    world: AcaWorld, station: str, operation: Operation, span: tuple[float, float] = (0.4, 0.8)
) -> Generator:
    """Engage the held tube at a station, run the station's operation, retract Z; the
    operation's progress maps onto `span` of the step."""
    sha = world.devices.sha
    yield from _with_progress(
        sha.go_to_station(world.stations[station], engage=True), 0.0, span[0]
    )
    result = yield from _with_progress(operation, *span)
    yield from _with_progress(sha.retract(), span[1], 1.0)
    return result


# ---------------------------------------------------------------------- checks
def held_tube(world: AcaWorld, tube_id: int = 0) -> TubeState:
    """The tube in the gripper; StepError if none, or if it is not tube_id (when given)."""
    if not world.held_tube:
        raise StepError("NO_TUBE_HELD", "the gripper is empty")
    if tube_id and tube_id != world.held_tube:
        raise StepError("WRONG_TUBE", f"the arm holds tube {world.held_tube}, not tube {tube_id}")
    return world.tubes[world.held_tube]


def check_slot(world: AcaWorld, slot: int) -> None:
    """StepError INVALID_GOAL unless 1 <= slot <= slot count."""
    count = world.config.storage.slot_count
    if not 1 <= slot <= count:
        raise StepError("INVALID_GOAL", f"storage slot {slot} is not in 1..{count}")


def check_bit_slot(world: AcaWorld, bit_slot: int) -> None:
    """StepError INVALID_GOAL unless the bit slot exists."""
    count = len(world.bit_slots)
    if not 1 <= bit_slot <= count:
        raise StepError("INVALID_GOAL", f"bit slot {bit_slot} is not in 1..{count}")


# ---------------------------------------------------------------------- arm
def move_arm(
    world: AcaWorld, station: str = "", joints: tuple[float, ...] = (), engage: bool = False
) -> Operation[JointPositions]:
    """Move the SHA to a named station by the transit policy, or to joint positions."""
    sha = world.devices.sha
    if station:
        if station not in world.stations:
            raise StepError("UNKNOWN_STATION", f"no station named {station!r}")
        target = world.stations[station]
        sha.station_joints(target)  # raises UNREACHABLE before anything moves
        yield from _safely(world, sha.go_to_station(target, engage))
    else:
        if len(joints) != 3:
            raise StepError(
                "INVALID_GOAL",
                f"a joint goal needs 3 values (z, shoulder, elbow), got {len(joints)}",
            )
        q = JointPositions(*joints)
        violation = sha.limit_violation(q)
        if violation:
            raise StepError("OUT_OF_LIMITS", f"joint goal {violation}")
        yield from _safely(world, sha.move_joints(q, "move"))
    return sha.joint_positions()


def retrieve_tube(world: AcaWorld, slot: int) -> Operation[TubeResult]:
    """Take the tube out of a storage slot: transit, guarded Z into the slot, grip, retract."""
    check_slot(world, slot)
    tube_id = world.tube_in_slot(slot)
    if not tube_id:
        raise StepError("SLOT_EMPTY", f"storage slot {slot} holds no tube")
    if world.held_tube:
        raise StepError("GRIPPER_OCCUPIED", f"the arm already holds tube {world.held_tube}")
    sha = world.devices.sha
    station = world.stations[f"storage_slot_{slot:02d}"]

    def steps() -> Generator:
        yield from _with_progress(sha.go_to_station(station, engage=True), 0.0, 0.8)
        world.unlatch_from_slot(tube_id)
        sha.grip(tube_id)
        yield Feedback("grip", 0.8)
        yield from _with_progress(sha.retract(), 0.8, 1.0)
        return TubeResult(tube_id, world.tubes[tube_id].location)

    return (yield from _safely(world, steps()))


def store_tube(world: AcaWorld, slot: int = 0) -> Operation[TubeResult]:
    """Put the held tube into a storage slot (0 = its home slot): guarded Z up against the
    sheath stop, release (the ball locks latch it), retract."""
    tube = held_tube(world)
    slot = slot or tube.home_slot
    check_slot(world, slot)
    occupant = world.tube_in_slot(slot)
    if occupant:
        raise StepError("SLOT_OCCUPIED", f"storage slot {slot} already holds tube {occupant}")
    sha = world.devices.sha
    station = world.stations[f"storage_slot_{slot:02d}"]

    def steps() -> Generator:
        yield from _with_progress(
            sha.go_to_station(station, engage=True, force_limit_n=sha.cfg.guard_force_n), 0.0, 0.8
        )
        tube_id = sha.release()
        world.latch_in_slot(tube_id, slot)
        yield Feedback("release", 0.8)
        yield from _with_progress(sha.retract(), 0.8, 1.0)
        return TubeResult(tube_id, world.tubes[tube_id].location)

    return (yield from _safely(world, steps()))


# ---------------------------------------------------------------------- bit carousel
def first_free_coring_bit(world: AcaWorld) -> int:
    """The first coring bit holding no tube (0 if none)."""
    for slot, state in sorted(world.bit_slots.items()):
        if state.bit_type == BitType.CORING and not state.tube_id:
            return slot
    return 0


def transfer_tube_to_bit(world: AcaWorld, bit_slot: int = 0) -> Operation[TubeResult]:
    """Hand the held empty tube into a sampling bit through the hand-off port."""
    tube = held_tube(world)
    bit_slot = bit_slot or first_free_coring_bit(world)
    if not bit_slot:
        raise StepError("BIT_OCCUPIED", "every coring bit already holds a tube")
    check_bit_slot(world, bit_slot)
    state = world.bit_slots[bit_slot]
    if state.bit_type == BitType.ABRADING:
        raise StepError("BIT_NOT_SAMPLING", f"bit slot {bit_slot} holds an abrading bit")
    if state.tube_id:
        raise StepError("BIT_OCCUPIED", f"bit slot {bit_slot} already holds tube {state.tube_id}")
    if tube.contents != Contents.EMPTY or tube.seal_state != SealState.NONE:
        raise StepError(
            "TUBE_NOT_EMPTY",
            f"tube {tube.tube_id} holds {tube.contents.value} / seal {tube.seal_state.name}",
        )
    sha, carousel = world.devices.sha, world.devices.bit_carousel
    station = world.stations["station_bitcar_port"]

    def steps() -> Generator:
        yield from _with_progress(carousel.rotate_to(bit_slot, Port.HAND_OFF), 0.0, 0.2)
        yield from _with_progress(sha.go_to_station(station, engage=True), 0.2, 0.8)
        tube_id = sha.release()
        world.latch_in_bit(tube_id, bit_slot)
        yield Feedback("latch", 0.8)
        yield from _with_progress(sha.retract(), 0.8, 1.0)
        return TubeResult(tube_id, world.tubes[tube_id].location)

    return (yield from _safely(world, steps(), ACA_JOINTS))


def core_sample(
    world: AcaWorld, bit_slot: int = 0, contents: Contents = Contents.ROCK_CORE
) -> Operation[CoringResult]:
    """The simulated drill cores into the tube in a bit and drops the bit off."""
    if not bit_slot:
        bit_slot = next((s for s, b in sorted(world.bit_slots.items()) if b.tube_id), 0)
        if not bit_slot:
            raise StepError("NO_TUBE_IN_BIT", "no bit holds a tube")
    check_bit_slot(world, bit_slot)
    if contents not in (Contents.ROCK_CORE, Contents.REGOLITH):
        raise StepError(
            "INVALID_GOAL", f"the drill acquires rock cores or regolith, not {contents.value}"
        )
    if not world.bit_slots[bit_slot].tube_id:
        raise StepError("NO_TUBE_IN_BIT", f"bit slot {bit_slot} holds no tube")
    operation = world.devices.bit_carousel.core(bit_slot, contents)
    return (yield from _safely(world, operation, BIT_JOINTS))


def receive_tube_from_bit(world: AcaWorld, bit_slot: int = 0) -> Operation[TubeResult]:
    """Take the filled tube back from a bit: approach, grip, unlatch, retract."""
    if world.caching_halted:
        raise StepError(
            "CAROUSEL_HALTED", "caching is halted after a drop-off fault; waiting for ground"
        )
    if not bit_slot:
        bit_slot = next((s for s, b in sorted(world.bit_slots.items()) if b.tube_id), 0)
        if not bit_slot:
            raise StepError("NO_TUBE_IN_BIT", "no bit holds a tube")
    check_bit_slot(world, bit_slot)
    tube_id = world.bit_slots[bit_slot].tube_id
    if not tube_id:
        raise StepError("NO_TUBE_IN_BIT", f"bit slot {bit_slot} holds no tube")
    if world.held_tube:
        raise StepError("GRIPPER_OCCUPIED", f"the arm already holds tube {world.held_tube}")
    sha, carousel = world.devices.sha, world.devices.bit_carousel
    station = world.stations["station_bitcar_port"]

    def steps() -> Generator:
        yield from _with_progress(carousel.rotate_to(bit_slot, Port.HAND_OFF), 0.0, 0.2)
        yield from _with_progress(sha.go_to_station(station, engage=True), 0.2, 0.8)
        world.unlatch_from_bit(bit_slot)
        sha.grip(tube_id)
        yield Feedback("grip", 0.8)
        yield from _with_progress(sha.retract(), 0.8, 1.0)
        return TubeResult(tube_id, world.tubes[tube_id].location)

    return (yield from _safely(world, steps(), ACA_JOINTS))


# ---------------------------------------------------------------------- stations
def assess_volume(world: AcaWorld, tube_id: int = 0) -> Operation[ProbeResult]:
    """Measure the sample height with the volume probe."""
    tube = held_tube(world, tube_id)
    if tube.seal_state != SealState.NONE:
        raise StepError("INVALID_GOAL", f"tube {tube.tube_id} is sealed; the probe cannot enter")
    probe = world.devices.volume_probe

    def steps() -> Generator:
        return (yield from _visit(world, "station_volume_probe", probe.measure(tube.tube_id)))

    return (yield from _safely(world, steps()))


def capture_image(world: AcaWorld, tube_id: int = 0) -> Operation[Image]:
    """Take a CacheCam image down the bore of the held tube."""
    held_tube(world, tube_id)  # the precondition: the arm holds that tube
    camera = world.devices.cachecam

    def steps() -> Generator:
        return (yield from _visit(world, "station_cachecam", camera.capture(), (0.45, 0.55)))

    return (yield from _safely(world, steps()))


def next_dispenser_with_seals(world: AcaWorld) -> int:
    """The lowest-numbered dispenser that still has seals (0 if all are empty)."""
    return next((k for k, d in sorted(world.dispensers.items()) if d.seals_remaining > 0), 0)


def dispense_seal(
    world: AcaWorld, tube_id: int = 0, dispenser: int = 0
) -> Operation[DispenseResult]:
    """Press the held tube onto a dispenser's seal; SEAL_NOT_RELEASED if it stays there."""
    tube = held_tube(world, tube_id)
    if tube.seal_state != SealState.NONE:
        raise StepError(
            "TUBE_ALREADY_SEALED",
            f"tube {tube.tube_id} already has a seal ({tube.seal_state.name})",
        )
    count = len(world.dispensers)
    if dispenser == 0:
        dispenser = next_dispenser_with_seals(world)
        if not dispenser:
            raise StepError("NO_SEALS_LEFT", "every seal dispenser is empty")
    elif not 1 <= dispenser <= count:
        raise StepError("INVALID_GOAL", f"dispenser {dispenser} is not in 1..{count}")
    if world.dispensers[dispenser].seals_remaining == 0:
        raise StepError("DISPENSER_EMPTY", f"dispenser {dispenser} has no seals left")
    sha, carousel = world.devices.sha, world.devices.seal_carousel
    station = world.stations["station_seal_dispenser"]

    def steps() -> Generator:
        yield from _with_progress(carousel.rotate_to(dispenser), 0.0, 0.15)
        approach = station.engage_z - station.guard_dz
        yield from _with_progress(sha.go_to_station(station, engage=False), 0.15, 0.4)
        yield from _with_progress(
            sha.guarded_z(
                sha.station_joints(station, approach).z, sha.cfg.guard_force_n, "approach"
            ),
            0.4,
            0.5,
        )
        result = yield from _with_progress(carousel.press(sha, tube.tube_id, dispenser), 0.5, 1.0)
        if not result.seal_present:
            raise StepError(
                "SEAL_NOT_RELEASED",
                f"the seal stayed in dispenser {dispenser}: insertion force reached "
                f"{result.peak_force_n:.1f} N against a release limit of "
                f"{result.release_limit_n:.1f} N (needed {result.insertion_force_needed_n:.1f} N)",
                peak_force_n=result.peak_force_n,
                release_limit_n=result.release_limit_n,
                dispenser=dispenser,
            )
        return result

    return (yield from _safely(world, steps()))


def activate_seal(world: AcaWorld, tube_id: int = 0) -> Operation[ActivationResult]:
    """Press the inserted seal at the sealing station until the tube is hermetic."""
    tube = held_tube(world, tube_id)
    if tube.seal_state == SealState.NONE:
        raise StepError("NO_SEAL_IN_TUBE", f"tube {tube.tube_id} has no seal")
    if tube.seal_state == SealState.ACTIVATED:
        raise StepError("ALREADY_ACTIVATED", f"tube {tube.tube_id} is already hermetically sealed")
    station = world.devices.sealing_station

    def steps() -> Generator:
        result = yield from _visit(world, "station_sealing", station.activate(tube.tube_id))
        if not result.hermetic:
            raise StepError(
                "ACTIVATION_FAILED",
                f"ram force {result.peak_force_n:.0f} N, stroke {result.stroke_m * 1000:.2f} mm: "
                "not hermetic",
                peak_force_n=result.peak_force_n,
            )
        return result

    return (yield from _safely(world, steps()))


def sweep_bore(world: AcaWorld, sweeps: int, tube_id: int = 0) -> Operation[SweepResult]:
    """Run the bore sweeping tool `sweeps` times on the held, unsealed tube."""
    tube = held_tube(world, tube_id)
    if not 1 <= sweeps <= 100:
        raise StepError("INVALID_GOAL", f"sweeps must be in 1..100, got {sweeps}")
    if tube.seal_state != SealState.NONE:
        raise StepError("TUBE_SEALED", f"tube {tube.tube_id} has a seal; the brush cannot enter")
    sha, tool = world.devices.sha, world.devices.bore_sweep_tool
    station = world.stations["station_bst"]

    def steps() -> Generator:
        yield from _with_progress(sha.go_to_station(station, engage=False), 0.0, 0.2)
        below = sha.station_joints(station, station.engage_z - station.guard_dz).z
        yield from _with_progress(
            sha.guarded_z(below, sha.cfg.guard_force_n, "approach"), 0.2, 0.3
        )
        result = yield from _with_progress(tool.sweep(sha, tube.tube_id, sweeps), 0.3, 0.9)
        yield from _with_progress(sha.retract(), 0.9, 1.0)
        return result

    return (yield from _safely(world, steps()))


def drop_tube(
    world: AcaWorld, tube_id: int = 0, allow_unsealed: bool = False
) -> Operation[DropResult]:
    """Release the held tube over the depot drop port; it falls to the ground."""
    tube = held_tube(world, tube_id)
    if tube.seal_state != SealState.ACTIVATED and not allow_unsealed:
        raise StepError("TUBE_NOT_SEALED", f"tube {tube.tube_id} is not hermetically sealed")
    sha, port = world.devices.sha, world.devices.drop_port

    def steps() -> Generator:
        return (yield from _visit(world, "station_drop", port.drop(sha), (0.6, 0.95)))

    return (yield from _safely(world, steps()))
