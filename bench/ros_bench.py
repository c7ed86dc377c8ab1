"""ROS benchmarks: step-server round trip vs a plain rclpy action server, and fast-mode RTF.

The servers live in one process with their client, on one SingleThreadedExecutor spun in a
background thread (the project's executor setup): a plain rclpy ActionServer (rclpy's
defaults), the same trivial server with the step servers' retention (RetainingActionServer),
and the sim's move_arm server, sent goals in turn. Call prepare() before importing rclpy.
"""

from __future__ import annotations

import statistics
import time

from aca_sim.ros_env import claim_domain_id, ensure_local_discovery


def prepare() -> None:
    """Local-only discovery and a private domain, before rclpy starts."""
    import os

    ensure_local_discovery()
    os.environ["ROS_DOMAIN_ID"] = str(claim_domain_id())


def _round_trip(node, client, goal) -> float:
    """One goal + result round trip from this (non-executor) thread, via ros/blocking.py, s."""
    from aca_sim.ros.blocking import get_result, send_goal

    start = time.perf_counter()
    handle = send_goal(node, client, goal, 30)
    get_result(node, handle, 30)
    return time.perf_counter() - start


def _interleaved_round_trips(
    node, clients_and_goals, count: int, warm_up: int = 20
) -> list[list[float]]:
    """Round trip times to each (client, goal factory) in turn, `count` each after `warm_up`
    each: every server sees the same moment of the machine and has had the same number of
    goals (a plain rclpy server's status arrays grow with them), so ratios are not a drift."""
    times: list[list[float]] = [[] for _ in clients_and_goals]
    for i in range(warm_up + count):
        for column, (client, goal_factory) in zip(times, clients_and_goals, strict=True):
            elapsed = _round_trip(node, client, goal_factory())
            if i >= warm_up:
                column.append(elapsed)
    return times


def measure(count: int = 200) -> list[tuple[str, float, str, float | None]]:
    """Rows (name, value, unit, ratio to baseline)."""
    import rclpy
    from aca_interfaces.action import MoveArm
    from rclpy.action import ActionClient, ActionServer
    from rclpy.node import Node

    from aca_sim.nodes.sim_node import SimNode
    from aca_sim.ros.blocking import get_result, send_goal
    from aca_sim.ros.booked_server import RESULT_KEEP_S, RESULTS_KEPT
    from aca_sim.ros.retaining_server import RetainingActionServer
    from aca_sim.ros.spinning import BackgroundSpinner
    from aca_sim.sim import procedures as steps

    context = rclpy.Context()
    rclpy.init(context=context)
    plain = Node("plain_server", context=context)

    def plain_execute(goal_handle):
        goal_handle.succeed()
        return MoveArm.Result()

    # rclpy's defaults: every goal of the last 15 minutes in each status message.
    ActionServer(plain, MoveArm, "/bench/plain_move_arm", plain_execute)
    # The same trivial server with the step servers' retention: the step machinery alone.
    RetainingActionServer(
        plain, MoveArm, "/bench/retaining_move_arm", plain_execute,
        keep_s=RESULT_KEEP_S, keep_count=RESULTS_KEPT,
    )  # fmt: skip
    sim = SimNode(context=context)
    client_node = Node("bench_client", context=context)
    rows = []
    with BackgroundSpinner([plain, sim, client_node], context=context):
        plain_client = ActionClient(client_node, MoveArm, "/bench/plain_move_arm")
        retaining_client = ActionClient(client_node, MoveArm, "/bench/retaining_move_arm")
        step_client = ActionClient(client_node, MoveArm, "/aca/move_arm")
        for client in (plain_client, retaining_client, step_client):
            assert client.wait_for_server(timeout_sec=10)
        here = list(sim.runner.call(lambda a: list(a.devices.sha.joint_positions())).result(5))
        base, retaining, step = _interleaved_round_trips(
            client_node,
            [
                (plain_client, MoveArm.Goal),
                (retaining_client, MoveArm.Goal),
                (step_client, lambda: MoveArm.Goal(joint_positions=here)),
            ],
            count,
        )
        base_ms, step_ms = statistics.median(base) * 1000, statistics.median(step) * 1000
        same_ms = statistics.median(retaining) * 1000
        rows.append(("plain rclpy action round trip (median)", base_ms, "ms", None))
        rows.append(("move_arm step server round trip (median)", step_ms, "ms", step_ms / base_ms))
        p90 = sorted(step)[int(0.9 * len(step))] * 1000
        rows.append(("move_arm step server round trip (p90)", p90, "ms", p90 / base_ms))
        quarter = max(1, count // 4)
        growth = statistics.median(base[-quarter:]) / statistics.median(base[:quarter])
        rows.append(("  plain rclpy: last / first quarter of goals", growth, "", growth))
        rows.append(
            ("plain server, step servers' retention (median)", same_ms, "ms", same_ms / base_ms)
        )
        machinery = step_ms / same_ms
        rows.append(("  step server / that (the step machinery)", machinery, "", machinery))

        # Fast mode while the arm moves between stations, against raw stepping of this world.
        stations = ["station_cachecam", "station_bitcar_port", "station_sealing", "pose_stow"]
        sim0 = sim.runner.call(lambda a: a.time_s).result(5)
        wall0 = time.perf_counter()
        for station in stations:
            handle = send_goal(client_node, step_client, MoveArm.Goal(station=station), 30)
            get_result(client_node, handle, 300)
        wall = time.perf_counter() - wall0
        sim_s = sim.runner.call(lambda a: a.time_s).result(5) - sim0

        def raw_rate(aca):
            start, n = time.perf_counter(), 0
            while time.perf_counter() - start < 2.0:
                for _ in range(100):
                    aca.world.p.stepSimulation()
                n += 100
            return n / (time.perf_counter() - start) * aca.dt

        def direct_moves(aca):
            start_sim, start = aca.time_s, time.perf_counter()
            for station in stations:
                aca.run(steps.move_arm(aca, station=station))
            return (aca.time_s - start_sim) / (time.perf_counter() - start)

        raw_rtf = sim.runner.call(raw_rate).result(30)
        direct_rtf = sim.runner.call(direct_moves).result(300)
        ros_rtf = sim_s / wall
        rows.append(("raw PyBullet stepping of this world (RTF)", raw_rtf, "x", None))
        rows.append(("same moves, Aca.run without ROS", direct_rtf, "x", direct_rtf / raw_rtf))
        rows.append(("same moves, fast mode over ROS (RTF)", ros_rtf, "x", ros_rtf / raw_rtf))
        rows.append(
            ("  ROS layer: over ROS / without ROS", ros_rtf / direct_rtf, "", ros_rtf / direct_rtf)
        )
    sim.destroy_node()
    rclpy.try_shutdown(context=context)
    return rows
