"""realtime mode paces sim time to the wall clock; fast mode only steps while devices work."""

import time

import pytest
import rclpy
from aca_client import AcaClient
from aca_interfaces.action import MoveArm
from rclpy.node import Node
from rclpy.parameter import Parameter

from aca_sim.ros.spinning import BackgroundSpinner


def sim_seconds(client):
    stamp = client.state().sim_time
    return stamp.sec + stamp.nanosec * 1e-9


def test_fast_mode_does_not_step_while_idle(aca):
    client, _ = aca
    before = sim_seconds(client)
    time.sleep(0.5)
    assert sim_seconds(client) == before


@pytest.mark.parametrize("factor", [10.0])
def test_realtime_mode_never_runs_ahead_of_the_wall_clock(ros_context, factor):
    from aca_sim.nodes.sim_node import SimNode

    sim = SimNode(
        context=ros_context,
        parameter_overrides=[
            Parameter("mode", value="realtime"),
            Parameter("real_time_factor", value=factor),
        ],
    )
    try:
        client = AcaClient(Node("realtime_client", context=ros_context))
        with BackgroundSpinner([sim, client.node], context=ros_context):
            wall0, sim0 = time.monotonic(), sim_seconds(client)
            time.sleep(1.0)  # idle: realtime mode keeps stepping
            run = client.send(MoveArm, "move_arm", station="station_cachecam")
            wall, sim_elapsed = time.monotonic() - wall0, sim_seconds(client) - sim0
        assert run.result.error_code == MoveArm.Result.NONE
        assert sim_elapsed > 0.5 * factor, "sim time advanced while idle and during the move"
        assert sim_elapsed <= wall * factor * 1.02 + 0.1, "sim time ran ahead of the wall clock"
        client.node.destroy_node()
    finally:
        sim.destroy_node()


def test_bad_mode_is_refused_with_its_value(ros_context):
    from aca_sim.nodes.sim_node import SimNode

    with pytest.raises(ValueError, match="parameter mode='warp': use one of fast, realtime"):
        SimNode(context=ros_context, parameter_overrides=[Parameter("mode", value="warp")])
    assert rclpy.ok(context=ros_context)


def test_physics_fidelity_is_taken_and_a_bad_one_refused_with_its_value(ros_context):
    from aca_sim.nodes.sim_node import SimNode

    with pytest.raises(
        ValueError, match="parameter physics_fidelity='medium': use one of fast, full"
    ):
        SimNode(
            context=ros_context,
            parameter_overrides=[Parameter("physics_fidelity", value="medium")],
        )
    sim = SimNode(
        context=ros_context, parameter_overrides=[Parameter("physics_fidelity", value="full")]
    )
    try:
        assert sim.model.physics.fidelity == "full"
        assert sim.runner.call(lambda aca: aca.config.physics.fidelity).result(10) == "full"
    finally:
        sim.destroy_node()
