"""Coasting (the fast path of free-space SHA moves) against full physics: the same ends within
stated tolerances, and never through an obstacle."""

import math
import threading

import numpy as np
import pytest

from aca_sim.campaign.headless import HEADLESS_LEAP_STEPS
from aca_sim.model.codes import Code
from aca_sim.model.config import ConfigError, load_model_config, with_fidelity
from aca_sim.model.names import SHA_LINKS
from aca_sim.sim import procedures as steps
from aca_sim.sim import rest_coast
from aca_sim.sim.aca import Aca
from aca_sim.sim.errors import StepError
from aca_sim.sim.obstacles import checked
from aca_sim.sim.operation import Leap
from aca_sim.sim.runner import PhysicsRunner

SEED = 7
JOINT_TOLERANCE = (0.0005, 0.002, 0.002)  # m, rad, rad: twice the moves' own tolerances and more
POSE_TOLERANCE_M = 0.001
SIM_TIME_TOLERANCE = 0.01  # relative


def _aca(fidelity: str, description: dict) -> Aca:
    aca = Aca.create(config=with_fidelity(load_model_config(), fidelity), seed=SEED)
    aca.restore(description)
    return aca


def _caching_end(aca: Aca) -> dict:
    """Volume, seal, activation and storage of the tube in the gripper; what they leave."""
    start = aca.time_s
    tube_id = aca.world.held_tube
    probe = aca.run(steps.assess_volume(aca))
    dispensed = aca.run(steps.dispense_seal(aca))
    activated = aca.run(steps.activate_seal(aca))
    stored = aca.run(steps.store_tube(aca))
    world = aca.world
    return {
        "results": (probe, dispensed, activated, stored),
        "tube": world.tubes[tube_id],
        "joints": np.array(aca.devices.sha.joint_positions()),
        "tube_position": np.array(world.holds.tube_pose(tube_id)[0]),
        "sim_s": aca.time_s - start,
        "coasted": world.coasted_steps,
    }


def test_a_caching_sequence_coasts_to_the_end_full_physics_reaches(cored_snapshot):
    ends = {}
    for fidelity in ("full", "fast"):
        aca = _aca(fidelity, cored_snapshot)
        try:
            ends[fidelity] = _caching_end(aca)
        finally:
            aca.close()
    full, fast = ends["full"], ends["fast"]
    assert full["coasted"] == 0 and fast["coasted"] > 0.5 * fast["sim_s"] / (1 / 240)
    assert fast["tube"] == full["tube"]  # location, seal state, contents: the same records
    assert np.all(np.abs(fast["joints"] - full["joints"]) <= JOINT_TOLERANCE)
    assert np.linalg.norm(fast["tube_position"] - full["tube_position"]) <= POSE_TOLERANCE_M
    assert math.isclose(fast["sim_s"], full["sim_s"], rel_tol=SIM_TIME_TOLERANCE)
    probe_fast, dispensed_fast, _, stored_fast = fast["results"]
    probe_full, dispensed_full, _, stored_full = full["results"]
    assert probe_fast.contact and probe_full.contact
    assert probe_fast.sample_height_m == pytest.approx(probe_full.sample_height_m, abs=0.0005)
    assert dispensed_fast.dispenser == dispensed_full.dispenser and dispensed_fast.seal_present
    assert dispensed_fast.peak_force_n == pytest.approx(dispensed_full.peak_force_n, rel=0.05)
    assert stored_fast == stored_full


def _moving_parts(aca: Aca) -> list[tuple[int, int]]:
    world, mech = aca.world, aca.world.mech
    parts = [mech.link_pair(name) for name in SHA_LINKS]
    return parts + list(world.tube_assembly(world.held_tube))


def _penetration(aca: Aca, body: int) -> float:
    """Deepest penetration (m, >= 0) of the arm and its tube into a body."""
    deepest = 0.0
    for part_body, part_link in _moving_parts(aca):
        kwargs = {} if part_link < -1 else {"linkIndexA": part_link}
        for point in aca.world.p.getClosestPoints(part_body, body, 0.0, **kwargs):
            deepest = max(deepest, -point[8])
    return deepest


def _drive(aca: Aca, operation, after_step) -> object:
    """Aca.run's loop (a Leap's steps at once, cut short when the coast it leapt on ends)
    with an eye after every step: after_step(coasted) says whether that step coasted."""
    world = aca.world
    while True:
        try:
            feedback = next(operation)
        except StopIteration as done:
            return done.value
        coast = world.coast
        for _ in range(feedback.steps if isinstance(feedback, Leap) else 1):
            coasting = world.coast is not None
            aca.step()
            after_step(coasting)
            if coast is not None and world.coast is not coast:
                break
        world.settle()


def _blocked(fidelity: str, description: dict, where: np.ndarray, move, during=None):
    """A move (move(aca) gives the operation) with a box at `where` (placed before the move,
    or `during` it after that many steps); the error, the SHA's joints then, the largest
    penetration into the box while coasting, and how many steps coasted."""
    aca = _aca(fidelity, description)
    sha, world = aca.devices.sha, aca.world
    box = checked("box", tuple(where), (0, 0, 0, 1), (0.03, 0.03, 0.03))
    if during is None:
        world.obstacles.place(box)
    worst, steps_seen = 0.0, 0

    def after_step(coasted: bool) -> None:
        nonlocal worst, steps_seen
        steps_seen += 1
        if coasted and (during is None or steps_seen > during):
            worst = max(worst, _penetration(aca, world.obstacles.body("box")))
        if steps_seen == during:
            world.obstacles.place(box)

    try:
        _drive(aca, move(aca), after_step)
    except StepError as error:
        return error, np.array(sha.joint_positions()), worst, world.coasted_steps
    finally:
        aca.close()
    pytest.fail(f"{fidelity}: the move went through the box")


def _transit(aca: Aca):
    return aca.devices.sha.go_to_station(aca.stations["station_cachecam"], engage=False)


def _planned(aca: Aca):
    return steps.move_arm(aca, station="station_cachecam")


def _path_point(description: dict, move) -> np.ndarray:
    """Where the forearm passes 8 cm from where it was in a move (full physics)."""
    aca = _aca("full", description)
    mech, path = aca.world.mech, []
    try:
        _drive(aca, move(aca), lambda _: path.append(np.array(mech.link_pose("sha_fore")[0])))
    finally:
        aca.close()
    return next(point for point in path if np.linalg.norm(point - path[0]) > 0.08)


@pytest.fixture(scope="module")
def tube_in_gripper():
    """A description with tube 212 retrieved from storage slot 12, in the gripper."""
    aca = Aca.create(seed=SEED)
    try:
        aca.run(steps.retrieve_tube(aca, 12))
        return aca.describe()
    finally:
        aca.close()


@pytest.fixture(scope="module")
def elbow_path_point(tube_in_gripper):
    """Where the elbow passes 8 cm from where it was, in the transit to CacheCam (a box
    there meets the upper arm, which the shoulder drives at over the guard force; the forearm
    alone pushes at under it: 10 N m over 0.2 m)."""
    return _path_point(tube_in_gripper, _transit)


@pytest.fixture(scope="module")
def planned_path_point(tube_in_gripper):
    """Where the forearm passes 8 cm from where it was, in the planned move to CacheCam."""
    return _path_point(tube_in_gripper, _planned)


# a move, the fixture of a point on its path, and when a box placed during it is placed (steps)
BLOCKED_MOVES = {
    "transit": (_transit, "elbow_path_point", 50),
    "planned": (_planned, "planned_path_point", 200),
}


@pytest.mark.parametrize("kind", sorted(BLOCKED_MOVES))
def test_a_coasting_arm_stops_at_an_obstacle_where_full_physics_stops(
    kind, tube_in_gripper, request
):
    move, point, _ = BLOCKED_MOVES[kind]
    where = request.getfixturevalue(point)
    found = {
        fidelity: _blocked(fidelity, tube_in_gripper, where, move) for fidelity in ("full", "fast")
    }
    for fidelity, (error, _, _, _) in found.items():
        assert error.code == Code.MOTION_FAILED, (fidelity, error)
        assert "unexpected contact" in error.message and "transit" in error.message
    (_, stop_full, _, _), (_, stop_fast, worst, coasted) = found["full"], found["fast"]
    assert coasted > 0  # it coasted on the way, and went back to physics before the box
    assert worst == 0.0
    assert np.all(np.abs(stop_fast - stop_full) <= JOINT_TOLERANCE)


@pytest.mark.parametrize("kind", sorted(BLOCKED_MOVES))
def test_an_obstacle_placed_during_a_coast_ends_it_and_is_felt(kind, tube_in_gripper, request):
    move, point, during = BLOCKED_MOVES[kind]
    where = request.getfixturevalue(point)
    error, _, worst, coasted = _blocked("fast", tube_in_gripper, where, move, during=during)
    assert error.code == Code.MOTION_FAILED and "unexpected contact" in error.message
    assert coasted > 0 and worst == 0.0


def _planned_end(fidelity: str, description: dict) -> dict:
    """A planned move (OMPL, the trajectory controller with the contact guard), then a second
    of holding: where it stopped, where it held, the tube, sim time, coasted steps."""
    aca = _aca(fidelity, description)
    try:
        world, sha = aca.world, aca.devices.sha
        start, start_step = aca.time_s, world.step_count
        moved = aca.run(_planned(aca))
        stopped = np.array(sha.joint_positions())
        sim_s, coasted = aca.time_s - start, world.coasted_steps
        aca.run(rest_coast.wait(world, 1.0))
        return {
            "moved": moved,
            "stopped": stopped,
            "held": np.array(sha.joint_positions()),
            "tube_position": np.array(world.holds.tube_pose(world.held_tube)[0]),
            "sim_s": sim_s,
            "coasted": coasted / (world.step_count - start_step),
        }
    finally:
        aca.close()


def test_a_planned_move_coasts_where_full_physics_follows_it_and_holds_there(tube_in_gripper):
    full, fast = (_planned_end(fidelity, tube_in_gripper) for fidelity in ("full", "fast"))
    assert full["coasted"] == 0.0 and fast["coasted"] > 0.9
    assert np.all(np.abs(fast["stopped"] - full["stopped"]) <= JOINT_TOLERANCE)
    assert math.isclose(fast["sim_s"], full["sim_s"], rel_tol=SIM_TIME_TOLERANCE)
    for end in (full, fast):  # the motors hold the goal once the follow is over
        assert np.all(np.abs(end["held"] - end["stopped"]) <= (1e-5, 1e-4, 1e-4))
    assert np.linalg.norm(fast["tube_position"] - full["tube_position"]) <= POSE_TOLERANCE_M
    assert fast["moved"].joint_positions == pytest.approx(
        full["moved"].joint_positions, abs=max(JOINT_TOLERANCE)
    )


def test_the_fidelity_is_checked_by_name():
    with pytest.raises(ConfigError, match=r"physics.fidelity.*'medium'"):
        with_fidelity(load_model_config(), "medium")
    assert load_model_config().physics.fidelity == "fast"


def _station_visit(description: dict, leap_steps: int | None = None) -> tuple:
    aca = _aca("fast", description)
    if leap_steps is not None:
        aca.world.leap_steps = leap_steps
    resumed = []
    try:
        sha = aca.devices.sha
        result = aca.run(
            sha.go_to_station(aca.stations["station_cachecam"], engage=True), resumed.append
        )
        return aca.world.step_count, tuple(sha.joint_positions()), result, len(resumed)
    finally:
        aca.close()


def test_leaps_end_a_move_at_the_step_looking_at_every_step_ends_it(tube_in_gripper):
    leaping = _station_visit(tube_in_gripper)  # Leaps of up to a second (LEAP_STEPS)
    headless = _station_visit(tube_in_gripper, HEADLESS_LEAP_STEPS)
    looking = _station_visit(tube_in_gripper, 1)
    assert leaping[:3] == looking[:3]  # the same step, joints and guard result, exactly
    assert headless[:3] == looking[:3]
    assert leaping[3] < looking[3] / 20  # resumed at least 20 times less often
    assert headless[3] < leaping[3]  # and longer Leaps fewer times still


def test_a_leap_takes_its_steps_without_resuming_the_operation(aca):
    resumed = []

    def operation():
        for k in range(2):
            resumed.append(aca.world.step_count)
            yield Leap("wait", k / 2, steps=5)
        resumed.append(aca.world.step_count)
        return "done"

    start = aca.world.step_count
    runner = PhysicsRunner(aca, mode="fast").start()
    try:
        done = threading.Event()
        outcome = []
        runner.submit(operation(), lambda o: (outcome.append(o), done.set()))
        assert done.wait(30)
    finally:
        runner.stop()
    assert outcome[0].status == "succeeded" and outcome[0].value == "done"
    assert [s - start for s in resumed] == [0, 5, 10]
    assert aca.world.step_count - start == 10


class _EndingCoast:
    """A stand-in coast that takes `steps` steps and ends at the next (as when the world
    changes under it)."""

    joints = ()

    def __init__(self, world, steps: int) -> None:
        self.world, self.left, self.marked = world, steps, []

    def advance(self) -> bool:
        if self.left:
            self.left -= 1
            return True
        self.finish()
        return False

    def advance_many(self, limit: int, marks=()) -> int:
        taken = min(limit, self.left)
        self.left -= taken
        return taken

    def finish(self) -> None:
        self.world.coast = None

    def settle(self) -> None:
        """It carries nothing."""


def _leap_on_an_ending_coast(aca, resumed: list):
    aca.world.coast = _EndingCoast(aca.world, 2)
    resumed.append(aca.world.step_count)
    yield Leap("move", 0.0, steps=10)
    resumed.append(aca.world.step_count)
    return "done"


def test_a_leap_on_a_coast_ends_after_the_step_the_coast_ends_in(aca):
    resumed = []
    start = aca.world.step_count
    assert aca.run(_leap_on_an_ending_coast(aca, resumed)) == "done"
    runner = PhysicsRunner(aca, mode="fast").start()
    try:
        done = threading.Event()
        runner.submit(_leap_on_an_ending_coast(aca, resumed), lambda _outcome: done.set())
        assert done.wait(30)
    finally:
        runner.stop()
    # Aca.run, then the physics runner: two coasted steps, the third a PyBullet step
    assert [s - start for s in resumed] == [0, 3, 3, 6]
