"""Motion planning without ROS: the SRDF, the planner's error codes, reproducible plans, timing
within the limits (and fixed where it would cut a corner), and 200 random plans among
obstacles that are collision-free when sampled every 5 ms and, executed on the simulated arm
by the trajectory controller, touch nothing and stay within the path tolerance."""

import math
import random

import numpy as np
import pytest

from aca_sim.model.config import load_model_config, with_fidelity
from aca_sim.model.names import SHA_JOINTS
from aca_sim.motion.arm_planner import JointGoal, NamedGoal, PlanParameters, PoseGoal
from aca_sim.motion.errors import MoveItErrorCode
from aca_sim.motion.joint_trajectory import SampledTrajectory, command_from
from aca_sim.motion.scene import SceneObject
from aca_sim.motion.semantic import generate_srdf, srdf_file, station_state_name
from aca_sim.motion.timing import Limits, time_path
from aca_sim.motion.trajectory_goal import FollowCode, FollowGoal
from aca_sim.motion.urdf_model import Shape, origin_transform
from aca_sim.sim.aca import Aca
from aca_sim.sim.obstacles import checked
from aca_sim.sim.trajectory_controller import follow

POST_SIZE = (0.03, 0.03, 0.35)  # m; posts stand in the arm's plane, under every station
POSTS = [(0.38, -0.5), (0.36, 1.2), (0.40, 2.4), (0.35, -2.0), (0.37, 0.4)]  # radius m, rad


@pytest.fixture(scope="module")
def cluttered():
    """An ACA with five posts in the arm's way, in the world and in the planning scene; full
    physics at every step (no coasting), so that its contacts are measured at every step."""
    aca = Aca.create(config=with_fidelity(load_model_config(), "full"), seed=0)
    planner = aca.planner
    planner.scene.update(aca.hardware_state())
    for k, (radius, angle) in enumerate(POSTS):
        centre = (radius * math.cos(angle), radius * math.sin(angle), 0.125)
        aca.world.obstacles.place(checked(f"post{k}", centre, (0, 0, 0, 1), POST_SIZE))
        shape = Shape("box", POST_SIZE, origin_transform((0, 0, 0), (0, 0, 0)))
        planner.scene.apply_object(
            SceneObject(f"post{k}", (shape,), origin_transform(centre, (0, 0, 0)))
        )
    yield aca
    aca.close()


# ---------------------------------------------------------------------- the SRDF
def test_config_srdf_is_what_the_model_configuration_generates():
    assert srdf_file().read_text() == generate_srdf(load_model_config()), (
        "config/aca.srdf is stale: run `aca-sim srdf > config/aca.srdf`"
    )


def test_named_states_are_the_stations_transit_states_and_free(planner):
    aca = Aca.create(seed=0)
    try:
        sha = aca.devices.sha
        transit_top = sha.cfg.transit_z_m + sha.cfg.tube_top_above_tool_m
        for name, station in aca.stations.items():
            named = planner.semantic.state(station_state_name(name))
            assert named == sha.station_joints(station, transit_top), name
        for name in planner.semantic.named_states:
            assert planner.scene.is_free(planner.semantic.state(name)), name
    finally:
        aca.close()


def test_disabled_collision_pairs_skip_no_arm_link_unless_adjacent(planner):
    links = {name for name, shapes in planner.scene.urdf.shapes.items() if shapes}
    for a, b, reason in planner.semantic.disabled:
        assert {a, b} <= links
        if {a, b} & {"sha_upper", "sha_fore"}:
            assert reason == "Adjacent", (a, b, reason)


# ---------------------------------------------------------------------- error codes
def engaged_at_slot(planner, slot: int):
    """Joint values with the empty fork up inside a storage slot's tube (a collision)."""
    aca = Aca.create(seed=0)
    try:
        return tuple(aca.devices.sha.station_joints(aca.stations[f"storage_slot_{slot:02d}"]))
    finally:
        aca.close()


@pytest.mark.parametrize(
    ("goal", "start", "code", "named"),
    [
        (PoseGoal((2.3, 0.1, 0.05)), None, MoveItErrorCode.NO_IK_SOLUTION, "2.3000"),
        (JointGoal((0.5, 0.0, 0.0)), None, MoveItErrorCode.GOAL_STATE_INVALID, "sha_z=0.5000"),
        (JointGoal((0.02, 0.0, 3.0)), None, MoveItErrorCode.GOAL_STATE_INVALID, "sha_elbow"),
        (NamedGoal("above_nowhere"), None, MoveItErrorCode.INVALID_GOAL_CONSTRAINTS,
         "above_nowhere"),
        (NamedGoal("stow"), (0.02, 3.2, 0.0), MoveItErrorCode.START_STATE_INVALID,
         "sha_shoulder"),
        (PoseGoal((0.3, 0.1, 0.05), link="sha_fore"), None, MoveItErrorCode.INVALID_LINK_NAME,
         "sha_fore"),
        (PoseGoal((0.3, 0.1, 0.05), (math.sin(0.05), 0.0, 0.0, math.cos(0.05))), None,
         MoveItErrorCode.NO_IK_SOLUTION, "tilts the fork 0.100 rad"),  # 0.1 rad about x
        (PoseGoal((0.3, 0.1, 0.05), (0.0, 0.0, 0.0, 0.0)), None,
         MoveItErrorCode.INVALID_GOAL_CONSTRAINTS, "not a unit quaternion"),
    ],
)  # fmt: skip
def test_bad_goals_and_starts_give_their_code_and_name_the_value(
    planner, goal, start, code, named
):
    result = planner.plan(start or (0.02, 0.0, 0.0), goal, PlanParameters())
    assert not result
    assert result.error_code == code, result.message
    assert named in result.message
    assert result.trajectory is None


def test_goal_and_start_in_collision_name_what_touches(planner):
    inside = engaged_at_slot(planner, 1)
    result = planner.plan((0.02, 0.0, 0.0), JointGoal(inside), PlanParameters())
    assert result.error_code == MoveItErrorCode.GOAL_IN_COLLISION
    assert "tube_201" in result.message
    result = planner.plan(inside, NamedGoal("stow"), PlanParameters())
    assert result.error_code == MoveItErrorCode.START_STATE_IN_COLLISION
    assert "tube_201" in result.message


def test_unknown_group_and_planner_are_refused_by_name(planner):
    result = planner.plan((0.02, 0, 0), NamedGoal("stow"), PlanParameters(), group="arm")
    assert result.error_code == MoveItErrorCode.INVALID_GROUP_NAME
    assert "'arm'" in result.message
    result = planner.plan((0.02, 0, 0), NamedGoal("stow"), PlanParameters(planner_id="RRTFast"))
    assert result.error_code == MoveItErrorCode.PLANNING_FAILED
    assert "'RRTFast'" in result.message


def test_a_moveit_planner_config_name_selects_that_planner(planner):
    result = planner.plan(
        (0.02, 0, 0), NamedGoal("stow"), PlanParameters(planner_id="RRTkConfigDefault")
    )
    assert result, result.message


# ---------------------------------------------------------------------- plans
def blocked_query(aca):
    """A start and goal whose straight joint-space motion hits a post."""
    planner, rng = aca.planner, random.Random(4)
    from aca_sim.motion.planner import segment_is_free

    collision = planner.scene.collision
    while True:
        a, b = (tuple(rng.uniform(lo, hi) for lo, hi in planner.bounds) for _ in range(2))
        if (
            planner.scene.is_free(a)
            and planner.scene.is_free(b)
            and not segment_is_free(a, b, collision.clearance, collision.sweep_bound)
        ):
            return a, b


def test_the_same_seed_gives_the_same_plan(cluttered):
    start, goal = blocked_query(cluttered)
    plans = [
        cluttered.planner.plan(start, JointGoal(goal), PlanParameters(seed=11)) for _ in range(2)
    ]
    assert plans[0] and plans[1]
    assert len(plans[0].path) > 2, "the query needed no search"
    assert plans[0].path == plans[1].path
    assert plans[0].trajectory.duration_s == plans[1].trajectory.duration_s


def test_timed_plans_stay_within_the_joint_limits(cluttered):
    planner = cluttered.planner
    start, goal = blocked_query(cluttered)
    for scale in (1.0, 0.3):
        params = PlanParameters(
            seed=2, max_velocity_scaling_factor=scale, max_acceleration_scaling_factor=scale
        )
        trajectory = planner.plan(start, JointGoal(goal), params).trajectory
        limits = planner.limits.scaled(scale, scale)
        for t in np.arange(0.0, trajectory.duration_s, 0.005):
            _q, v, a = trajectory.sample(t)
            assert np.all(np.abs(v) <= np.array(limits.velocity) * (1 + 1e-6))
            assert np.all(np.abs(a) <= np.array(limits.acceleration) * (1 + 1e-3))


def test_a_segment_that_would_cut_a_corner_is_made_straight_not_just_flagged():
    """A toy joint space with a ball obstacle just outside an L-shaped path: timed with a
    passing velocity at the corner, the first segment swings out (joint c dips to -0.087
    before the corner) into the ball; the checked timing does not."""
    centre, radius = np.array([0.0, 0.79, -0.06]), 0.04

    def clearance(q):
        return float(np.linalg.norm(np.asarray(q) - centre) - radius)

    def sweep_bound(dq):
        return float(np.linalg.norm(dq))

    path = [(0.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 1.0, 1.0)]
    assert all(clearance(q) > 0 for q in path)
    limits = Limits((1.0, 1.0, 1.0), (2.0, 2.0, 2.0), (20.0, 20.0, 20.0))
    names = ("a", "b", "c")
    unchecked = time_path(path, names, limits)
    checked_timing = time_path(path, names, limits, clearance, sweep_bound)

    def min_clearance(trajectory):
        times = np.arange(0.0, trajectory.duration_s, 0.001)
        return min(clearance(trajectory.sample(t)[0]) for t in times)

    assert min_clearance(unchecked) < 0, "the corner was not cut: the test proves nothing"
    assert min_clearance(checked_timing) > 0
    assert np.allclose(checked_timing.sample(checked_timing.duration_s)[0], path[-1])


def test_interpolation_reproduces_the_planned_motion():
    limits = Limits((0.1, 0.1, 0.1), (0.2, 0.2, 0.2), (2.0, 2.0, 2.0))
    path = [(0.0, 0.0, 0.0), (0.02, 0.5, -0.3), (0.05, 0.2, 0.4)]
    trajectory = time_path(path, SHA_JOINTS, limits)
    sampled = SampledTrajectory(command_from(trajectory), path[0], (0.0, 0.0, 0.0))
    for t in np.arange(0.0, trajectory.duration_s, 0.013):
        exact = trajectory.sample(t)
        got = sampled.sample(t)
        assert np.allclose(got[0], exact[0], atol=1e-6)
        assert np.allclose(got[1], exact[1], atol=1e-4)


# ---------------------------------------------------------------------- 200 random plans
def test_200_random_plans_are_free_every_5_ms_and_touch_nothing_when_executed(cluttered):
    """Random start/goal pairs in free space (each start the previous goal; goals within
    0.04 m / 0.5 rad of it, so that the run stays short), among five posts. A random goal
    can lie where no path leads (posts and joint limits split the free space): the planner
    then reports TIMED_OUT and another goal is drawn; that must stay rare."""
    aca, rng = cluttered, random.Random(15)
    planner, sha = aca.planner, aca.devices.sha
    config = aca.controller_config
    span = (0.04, 0.5, 0.5)
    searched, failed, worst_error = 0, 0, np.zeros(3)
    executed = 0
    for i in range(260):
        if executed == 200:
            break
        planner.scene.update(aca.hardware_state())  # posts stay: they are scene objects
        start = tuple(sha.joint_positions())
        while True:
            goal = tuple(q + rng.uniform(-s, s) for q, s in zip(start, span, strict=True))
            inside = all(lo < v < hi for v, (lo, hi) in zip(goal, planner.bounds, strict=True))
            if inside and planner.scene.is_free(goal):
                break
        plan = planner.plan(start, JointGoal(goal), PlanParameters(seed=i))
        if not plan:
            assert plan.error_code == MoveItErrorCode.TIMED_OUT, plan.message
            failed += 1
            continue
        executed += 1
        searched += len(plan.path) > 2
        trajectory = plan.trajectory
        for t in np.arange(0.0, trajectory.duration_s + 1e-9, 0.005):
            q = trajectory.sample(t)[0]
            assert planner.scene.is_free(q), f"pair {i}: {planner.scene.contacts(q)} at {t} s"
        operation = follow(sha, FollowGoal(command_from(trajectory)), config)
        while True:
            try:
                feedback = next(operation)
            except StopIteration as done:
                result = done.value
                break
            assert sha.collision_force() == 0.0, f"pair {i}: the arm touched something"
            if feedback is not None:
                worst_error = np.maximum(worst_error, np.abs(feedback.error[0]))
            aca.step()
        assert result.code == FollowCode.SUCCESSFUL, f"pair {i}: {result.message}"
        assert np.allclose(sha.joint_positions(), goal, atol=1e-3)
    assert executed == 200 and failed <= 5, (executed, failed)
    assert searched >= 5, f"only {searched} of 200 pairs needed a search around the posts"
    assert np.all(worst_error < np.array(config.path_position))


def test_moveit_joint_limits_are_the_models(planner):
    """config/joint_limits.yaml (what a real MoveIt loads) has the URDF's velocities, and the
    planner times with its accelerations and jerks."""
    import yaml

    from aca_sim.paths import share_path

    data = yaml.safe_load(share_path("config", "joint_limits.yaml").read_text())["joint_limits"]
    sha = load_model_config().sha
    for name, joint in zip(SHA_JOINTS, (sha.z, sha.shoulder, sha.elbow), strict=True):
        assert data[name]["max_velocity"] == joint.velocity, name
    assert planner.limits.acceleration == tuple(
        data[name]["max_acceleration"] for name in SHA_JOINTS
    )
    assert planner.limits.jerk == tuple(data[name]["max_jerk"] for name in SHA_JOINTS)


def test_tolerance_rules_follow_control_msgs():
    """> 0 replaces the default, 0 keeps it, -1 removes the limit, anything else is refused."""
    from aca_sim.motion.trajectory_goal import FollowError, resolve_tolerance

    assert resolve_tolerance(0.02, 0.05, "x") == 0.05
    assert resolve_tolerance(0.02, 0.0, "x") == 0.02
    assert resolve_tolerance(0.02, -1.0, "x") == 0.0
    for bad in (-0.5, -2.0, math.nan):
        with pytest.raises(FollowError) as refused:
            resolve_tolerance(0.02, bad, "path_tolerance sha_z.position")
        assert refused.value.code == FollowCode.INVALID_GOAL
        assert "sha_z.position" in refused.value.message


def test_the_scene_is_placed_again_only_when_the_tubes_or_other_mechanisms_moved(aca):
    """A reading that differs only in the arm's joints leaves the collision model as placed
    (the no-op move_arm goal spent 1.1 of its 1.5 ms there); a moved tube or carousel is
    placed again, and the scene's answers follow it."""
    from dataclasses import replace

    from aca_sim.sim import procedures as steps

    scene, placed = aca.planner.scene, []
    original = scene._sync
    scene._sync = lambda: (placed.append(1), original())[1]
    reading = aca.hardware_state()
    scene.update(reading)
    scene.update(reading)
    arm_moved = dict(
        reading.joint_positions, sha_shoulder=reading.joint_positions["sha_shoulder"] + 0.3
    )
    scene.update(replace(reading, joint_positions=arm_moved))
    assert len(placed) == 1 and scene.joint_values["sha_shoulder"] == arm_moved["sha_shoulder"]
    carousel = dict(
        reading.joint_positions,
        bit_carousel_rot=reading.joint_positions["bit_carousel_rot"] + 0.01,
    )
    scene.update(replace(reading, joint_positions=carousel))
    assert len(placed) == 2
    aca.run(steps.retrieve_tube(aca, 3))  # tube 203 leaves its slot for the gripper
    scene.update(aca.hardware_state())
    assert len(placed) == 3 and scene.held_tube == 203
    names = scene.collision.object_names
    assert "tube_203" not in names and "tube_204" in names


def test_the_arm_is_placed_again_only_for_new_joint_values_or_a_new_held_tube(cluttered):
    """The collision model keeps the arm's parts where the last query put them: asking again
    at the same joint values answers as before without placing them; other values, or a held
    tube attached since, place them again (a stale placement would answer for the wrong q)."""
    collision = cluttered.planner.scene.collision
    rng = np.random.default_rng(7)
    low, high = np.array(cluttered.planner.bounds).T
    samples = [tuple(rng.uniform(low, high)) for _ in range(40)]
    fresh = [collision.clearance(q) for q in samples]
    placed, original = [], collision.arm_poses
    collision.arm_poses = lambda q: (placed.append(q), original(q))[1]
    try:
        for q, expected in zip(samples, fresh, strict=True):
            assert collision.clearance(q) == expected
            assert collision.is_free(q) == (not collision.contacts(q))
            assert collision.clearance(q) == expected
        assert len(placed) == len(samples), "placed once per new q, not per query"
        q = samples[-1]  # where the parts sit now
        collision.set_held(cluttered.planner.scene._held_shape())
        held = collision.clearance(q)
        assert len(placed) == len(samples) + 1, "a held tube attached: placed again"
        collision.clearance(samples[0])
        assert collision.clearance(q) == held, "the held tube was placed where it belongs"
    finally:
        collision.set_held(None)
        collision.arm_poses = original
