#!/usr/bin/env python3
"""Plan and execute motions of the ACA's sample handling arm with aca_sim's moveit_py-shaped
API, as the moveit_py tutorials do for a robot arm: to a named state, to a pose of the fork,
and around an obstacle added to the planning scene (and to the simulated world).

Against a running simulator (another terminal: `.venv/bin/aca-sim launch sim.launch.xml`):
    .venv/bin/python examples/plan_and_execute.py
Self-contained (starts a simulator in this process):
    .venv/bin/python examples/plan_and_execute.py --start-sim
"""

from __future__ import annotations

import argparse
import sys
import time

from geometry_msgs.msg import Point, Pose, PoseStamped, Quaternion, Vector3

from aca_sim.moveit import (
    AcaMoveIt,
    CollisionObject,
    PlanningComponent,
    PlanRequestParameters,
    SolidPrimitive,
)

OBSTACLE_SIZE = (0.04, 0.04, 0.06)  # m: a box where the straight motion would pass


def plan_and_execute(
    aca: AcaMoveIt,
    component: PlanningComponent,
    label: str,
    parameters: PlanRequestParameters | None = None,
) -> tuple[bool, float, int]:
    """Plan from the current state to the goal set on the component and execute the plan;
    print what happened; return (success, planning time in ms, number of waypoints)."""
    component.set_start_state_to_current_state()
    plan = component.plan(parameters)
    if not plan:
        print(f"{label}: planning failed: {plan.error_code.name} {plan.message}")
        return False, plan.planning_time * 1e3, 0
    waypoints = len(plan.trajectory.trajectory.waypoints)
    print(
        f"{label}: planned in {plan.planning_time * 1e3:.1f} ms, {waypoints} waypoints, "
        f"{plan.trajectory.duration:.1f} s of motion"
    )
    started = time.perf_counter()
    result = aca.execute(plan.trajectory, controllers=[])
    print(
        f"{label}: executed {result.status} in {time.perf_counter() - started:.1f} s wall "
        f"{result.error_string}".rstrip()
    )
    return bool(result), plan.planning_time * 1e3, waypoints


def box_at(name: str, position: tuple[float, float, float]) -> CollisionObject:
    """A box collision object in aca_frame."""
    return CollisionObject(
        id=name,
        primitives=[SolidPrimitive(type=SolidPrimitive.BOX, dimensions=list(OBSTACLE_SIZE))],
        primitive_poses=[Pose(position=Point(x=position[0], y=position[1], z=position[2]))],
        operation=CollisionObject.ADD,
    )


def place_in_world(aca: AcaMoveIt, name: str, position: tuple[float, float, float]) -> None:
    """Put the same box in the simulated world (an aca_sim service, not part of MoveIt)."""
    from aca_interfaces.srv import SetObstacle

    from aca_sim.ros import blocking

    client = aca.node.create_client(SetObstacle, f"{aca.namespace}/sim/set_obstacle")
    try:
        client.wait_for_service(timeout_sec=aca.wait_s)
        request = SetObstacle.Request(
            name=name,
            pose=Pose(position=Point(x=position[0], y=position[1], z=position[2])),
            size=Vector3(x=OBSTACLE_SIZE[0], y=OBSTACLE_SIZE[1], z=OBSTACLE_SIZE[2]),
        )
        response = blocking.wait_future(client.call_async(request), aca.wait_s, "set_obstacle")
        if not response.success:
            raise RuntimeError(response.message)
    finally:
        aca.node.destroy_client(client)


def run(aca: AcaMoveIt) -> bool:
    sha = aca.get_planning_component("sha")
    results = []

    # 1. A named state of config/aca.srdf.
    sha.set_goal_state(configuration_name="above_station_cachecam")
    results.append(("named state", *plan_and_execute(aca, sha, "named state")))

    # 2. A pose of the fork (sha_tool) in aca_frame: 5 cm up, the yaw picks the elbow branch.
    pose = PoseStamped()
    pose.header.frame_id = "aca_frame"
    pose.pose.position = Point(x=0.30, y=0.12, z=0.05)
    pose.pose.orientation = Quaternion(x=0.0, y=0.0, z=0.0, w=1.0)
    sha.set_goal_state(pose_stamped_msg=pose, pose_link="sha_tool")
    results.append(("pose", *plan_and_execute(aca, sha, "pose")))

    # 3. Around an obstacle: plan the direct motion to "stow", put a box where the fork would
    #    be halfway, in the planning scene and in the simulated world, and plan again.
    sha.set_start_state_to_current_state()
    sha.set_goal_state(configuration_name="stow")
    direct = sha.plan()
    halfway = direct.trajectory.trajectory.sample(direct.trajectory.duration / 2)[0]
    state = direct.start_state.copy()
    state.set_joint_group_positions("sha", halfway)
    point = state.get_pose("sha_tool").position
    where = (point.x, point.y, point.z + 0.02)
    with aca.get_planning_scene_monitor().read_write() as scene:
        scene.apply_collision_object(box_at("box", where))
    place_in_world(aca, "box", where)
    print(f"obstacle: a box at ({where[0]:.3f}, {where[1]:.3f}, {where[2]:.3f}) m")
    parameters = PlanRequestParameters(planner_id="RRTConnect", planning_time=2.0)
    results.append(("around the obstacle", *plan_and_execute(aca, sha, "around", parameters)))

    print("\n| motion | planned | planning time, ms | waypoints |")
    print("|---|---|---:|---:|")
    for label, ok, ms, waypoints in results:
        print(f"| {label} | {'yes' if ok else 'NO'} | {ms:.1f} | {waypoints} |")
    return all(ok for _label, ok, _ms, _waypoints in results) and results[-1][3] > 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-sim", action="store_true", help="run a simulator in-process")
    args = parser.parse_args(argv)
    if not args.start_sim:
        with AcaMoveIt() as aca:
            return 0 if run(aca) else 1
    import rclpy

    from aca_sim.nodes.sim_node import SimNode
    from aca_sim.ros.spinning import BackgroundSpinner
    from aca_sim.ros_env import ensure_local_discovery

    ensure_local_discovery()
    rclpy.init()
    sim = SimNode()
    spinner = BackgroundSpinner([sim]).start()
    try:
        with AcaMoveIt() as aca:
            return 0 if run(aca) else 1
    finally:
        spinner.stop()
        sim.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    sys.exit(main())
