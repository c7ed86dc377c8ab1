"""Motion planning benchmarks (no ROS), each against a bare baseline in the same run:

- plan time (aca_sim.motion.ArmPlanner: checks, OMPL when the straight motion is blocked,
  shortcutting, ruckig timing, the dense re-check) over every ordered pair of named states
  and 200 random queries, against bare OMPL RRTConnect (SimpleSetup, no simplification, no
  timing) on the same collision checker;
- collision checks per second: the FCL model against a second PyBullet DIRECT client with the
  same URDF and tubes (AABB broadphase, then getClosestPoints with the same margin), and how
  often the two agree;
- tracking on the simulated arm: the trajectory controller's error against the path
  tolerance, and its stepping rate against bare Aca.step().
"""

from __future__ import annotations

import itertools
import random
import time

import numpy as np
from ompl import base as ob
from ompl import geometric as og
from ompl import util as ou

from aca_sim.motion.arm_planner import ArmPlanner, JointGoal, NamedGoal, PlanParameters
from aca_sim.motion.joint_trajectory import command_from
from aca_sim.motion.trajectory_goal import FollowGoal
from aca_sim.sim.aca import Aca
from aca_sim.sim.quiet import BulletClient, c_stdout_silenced, pybullet
from aca_sim.sim.trajectory_controller import follow

Row = tuple[str, float, str, float | None]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def bare_rrt_connect(planner: ArmPlanner, start, goal, budget_s: float = 1.0) -> float:
    """Wall time of bare OMPL RRTConnect on the same checker (default motion validation)."""
    started = time.perf_counter()
    space = ob.RealVectorStateSpace(3)
    bounds = ob.RealVectorBounds(3)
    for i, (low, high) in enumerate(planner.bounds):
        bounds.setLow(i, low)
        bounds.setHigh(i, high)
    space.setBounds(bounds)
    setup = og.SimpleSetup(space)
    free = planner.scene.collision.is_free
    setup.setStateValidityChecker(lambda s: free((s[0], s[1], s[2])))
    a, b = space.allocState(), space.allocState()
    for i in range(3):
        a[i], b[i] = start[i], goal[i]
    setup.setStartAndGoalStates(a, b)
    setup.setPlanner(og.RRTConnect(setup.getSpaceInformation()))
    setup.solve(budget_s)
    return time.perf_counter() - started


def plan_times(planner: ArmPlanner, queries) -> tuple[list[float], list[float], int]:
    ours, bare, failed = [], [], 0
    for start, goal in queries:
        result = planner.plan(start, goal, PlanParameters())
        failed += not result
        ours.append(result.planning_time)
        target = planner.goal_state(goal)
        bare.append(bare_rrt_connect(planner, start, target))
    return ours, bare, failed


class PyBulletChecker:
    """The same question on a PyBullet DIRECT client: does the arm touch anything at q?"""

    def __init__(self, aca: Aca, margin_m: float) -> None:
        with c_stdout_silenced():
            self.p = p = BulletClient(connection_mode=pybullet.DIRECT)
        self.body = p.loadURDF(aca.world._aca_urdf, useFixedBase=True)
        names = {
            p.getJointInfo(self.body, j)[12].decode(): j for j in range(p.getNumJoints(self.body))
        }
        joints = {
            p.getJointInfo(self.body, j)[1].decode(): j for j in range(p.getNumJoints(self.body))
        }
        self.arm_joints = [joints[n] for n in ("sha_z", "sha_shoulder", "sha_elbow")]
        self.arm_links = [names["sha_upper"], names["sha_fore"]]
        for name, value in aca.hardware_state().joint_positions.items():
            p.resetJointState(self.body, joints[name], value)
        for tube_id, tube in aca.world.tubes.items():
            kind_urdf = aca.world._tube_urdf[tube.kind]
            position, orientation = aca.world.holds.tube_pose(tube_id)
            p.loadURDF(kind_urdf, position, orientation, useFixedBase=True)
        self.margin = margin_m
        self.world_links = [
            j
            for j in range(p.getNumJoints(self.body))
            if j not in self.arm_links and p.getCollisionShapeData(self.body, j)
        ]
        self.others = [b for b in range(p.getNumBodies()) if b != self.body]

    def _pose(self, q) -> None:
        for joint, value in zip(self.arm_joints, q, strict=True):
            self.p.resetJointState(self.body, joint, value)

    def clearance(self, q, reach_m: float = 1.0) -> float:
        """The smallest distance from the arm's links to anything else (m), as a motion
        validator needs it: getClosestPoints for every link pair and body within reach."""
        p = self._pose(q) or self.p
        nearest = reach_m
        for link in self.arm_links:
            found = [
                *(
                    c
                    for other in self.world_links
                    for c in p.getClosestPoints(
                        self.body, self.body, reach_m, linkIndexA=link, linkIndexB=other
                    )
                ),
                *(
                    c
                    for other in self.others
                    for c in p.getClosestPoints(self.body, other, reach_m, linkIndexA=link)
                ),
            ]
            nearest = min([nearest, *(c[8] for c in found)])
        return nearest

    def is_free(self, q) -> bool:
        p = self.p
        self._pose(q)
        for link in self.arm_links:
            low, high = p.getAABB(self.body, link)
            low = [v - self.margin for v in low]
            high = [v + self.margin for v in high]
            for other, other_link in p.getOverlappingObjects(low, high) or ():
                if other == self.body and other_link in (*self.arm_links, -1):
                    continue
                if p.getClosestPoints(
                    self.body, other, self.margin, linkIndexA=link, linkIndexB=other_link
                ):
                    return False
        return True


def measure(queries: int = 200, seconds: float = 2.0) -> list[Row]:
    """Rows (name, value, unit, ratio to the row's baseline or None for a baseline)."""
    ou.setLogLevel(ou.LOG_ERROR)
    aca = Aca.create(seed=0)
    planner = aca.planner
    planner.scene.update(aca.hardware_state())
    rng = random.Random(7)

    def random_free():
        while True:
            q = tuple(rng.uniform(low, high) for low, high in planner.bounds)
            if planner.scene.is_free(q):
                return q

    names = list(planner.semantic.named_states)
    named = [
        (tuple(planner.semantic.state(a)), NamedGoal(b))
        for a, b in itertools.permutations(names, 2)
    ]
    rng.shuffle(named)
    named = named[: 4 * queries]
    randoms = [(random_free(), JointGoal(random_free())) for _ in range(queries)]
    ours, bare, failed = plan_times(planner, named + randoms)
    rows: list[Row] = [
        (f"bare OMPL RRTConnect p50, {len(bare)} queries", percentile(bare, 50) * 1e3, "ms", None),
        ("ArmPlanner plan p50 (path + timing)", percentile(ours, 50) * 1e3, "ms",
         percentile(ours, 50) / percentile(bare, 50)),
        ("bare OMPL RRTConnect p95", percentile(bare, 95) * 1e3, "ms", None),
        ("ArmPlanner plan p95", percentile(ours, 95) * 1e3, "ms",
         percentile(ours, 95) / percentile(bare, 95)),
        ("ArmPlanner plans that failed", float(failed), "n", None),
    ]  # fmt: skip

    states = [tuple(rng.uniform(low, high) for low, high in planner.bounds) for _ in range(3000)]
    bullet = PyBulletChecker(aca, 2 * planner.scene.collision.padding)
    fcl_free = planner.scene.collision.is_free
    started = time.perf_counter()
    fcl_answers = [fcl_free(q) for q in states]
    fcl_rate = len(states) / (time.perf_counter() - started)
    started = time.perf_counter()
    bullet_answers = [bullet.is_free(q) for q in states]
    bullet_rate = len(states) / (time.perf_counter() - started)
    agree = sum(a == b for a, b in zip(fcl_answers, bullet_answers, strict=True))
    clearance = planner.scene.collision.clearance
    few = states[:300]
    started = time.perf_counter()
    for q in few:
        clearance(q)
    fcl_gaps = len(few) / (time.perf_counter() - started)
    started = time.perf_counter()
    for q in few:
        bullet.clearance(q)
    bullet_gaps = len(few) / (time.perf_counter() - started)
    rows += [
        ("PyBullet collision checks (AABB + closest)", bullet_rate, "1/s", None),
        ("FCL collision checks", fcl_rate, "1/s", fcl_rate / bullet_rate),
        (f"same answer ({len(states)} states)", 100.0 * agree / len(states), "%", None),
        ("PyBullet clearance queries", bullet_gaps, "1/s", None),
        ("FCL clearance queries", fcl_gaps, "1/s", fcl_gaps / bullet_gaps),
    ]  # fmt: skip

    config = aca.controller_config
    errors, steps, wall = [], 0, 0.0
    for i in range(20):
        start = tuple(aca.devices.sha.joint_positions())
        plan = planner.plan(start, JointGoal(random_free()), PlanParameters(seed=i))
        if not plan:
            continue
        operation = follow(aca.devices.sha, FollowGoal(command_from(plan.trajectory)), config)
        started, first_step = time.perf_counter(), aca.world.step_count
        # driven as every driver does (a Leap's steps at once): Aca.run
        aca.run(
            operation,
            lambda fb: errors.extend([np.abs(fb.error[0])] if hasattr(fb, "error") else []),
        )
        wall += time.perf_counter() - started
        steps += aca.world.step_count - first_step
        planner.scene.update(aca.hardware_state())
    errors_array = np.array(errors)
    tolerance = np.array(config.path_position)
    idle_rate = steps_per_second(aca, seconds)
    follow_rate = steps / wall
    for j, name in enumerate(("sha_z m", "sha_shoulder rad", "sha_elbow rad")):
        worst = float(errors_array[:, j].max())
        rms = float(np.sqrt(np.mean(errors_array[:, j] ** 2)))
        rows.append((f"tracking error max, {name} (ratio: /tol)", worst, "", worst / tolerance[j]))
        rows.append((f"tracking error RMS, {name} (ratio: /tol)", rms, "", rms / tolerance[j]))
    rows += [
        ("Aca.step, arm idle", idle_rate, "1/s", None),
        ("Aca.step + trajectory controller", follow_rate, "1/s", follow_rate / idle_rate),
    ]
    bullet.p.disconnect()
    aca.close()
    return rows


def steps_per_second(aca: Aca, seconds: float) -> float:
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        aca.step()
        n += 1
    return n / (time.perf_counter() - started)


if __name__ == "__main__":
    for row in measure():
        print(row)
