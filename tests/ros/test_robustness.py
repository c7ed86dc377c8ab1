"""No request can end the simulator: every service answers a bad or unexpected request with
success=false and a message, the node keeps serving, and a refused request changes nothing.
One sim for the module; hypothesis fuzzes the services and goals."""

import math

import pytest
import rclpy
from aca_client import AcaClient, wait
from aca_interfaces.action import CacheSample, RetrieveTube, SweepBore
from aca_interfaces.srv import InjectFault, SetObstacle, Snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rclpy.node import Node
from rclpy.parameter import Parameter

from aca_sim.nodes.sim_node import SimNode
from aca_sim.ros.spinning import BackgroundSpinner

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def sim():
    context = rclpy.Context()
    rclpy.init(context=context)
    node = SimNode(context=context, parameter_overrides=[Parameter("seed", value=6)])
    client = AcaClient(Node("robustness_client", context=context))
    calls = {
        name: client.node.create_client(kind, f"/aca/sim/{name}")
        for name, kind in (
            ("inject_fault", InjectFault),
            ("set_obstacle", SetObstacle),
            ("snapshot", Snapshot),
        )
    }
    with BackgroundSpinner([node, client.node], context=context):
        for service in calls.values():
            assert service.wait_for_service(timeout_sec=10)
        yield node, client, calls
    node.destroy_node()
    client.node.destroy_node()
    rclpy.try_shutdown(context=context)


def call(calls, name, request):
    return wait(calls[name].call_async(request), 30)


def armed(node):
    return dict(node.aca.faults.pending)


def test_a_scenario_name_too_long_for_the_file_system_is_refused_and_the_sim_serves_on(sim):
    _node, client, calls = sim
    response = call(
        calls, "inject_fault", InjectFault.Request(kind="scenario", scenario="x" * 251)
    )
    assert not response.success and "scenario" in response.message
    long_part = call(
        calls,
        "inject_fault",
        InjectFault.Request(kind="scenario", scenario="a/" + "y" * 300 + ".yaml"),
    )
    assert not long_part.success  # fmt: skip
    assert len(client.state().tubes) == 43  # still serving


def test_inject_fault_means_what_the_srv_says(sim):
    node, _client, calls = sim
    node.aca.faults.pending.clear()
    clean = call(calls, "inject_fault", InjectFault.Request(kind="rim_dust", value=0.0))
    assert clean.success and armed(node) == {"rim_dust": 0.0}  # a clean rim, not a stuck seal
    for value, words in ((0.0, "1..20"), (1e9, "1..20"), (0.4, "whole"), (-2.0, "1..20")):
        refused = call(
            calls, "inject_fault", InjectFault.Request(kind="carousel_debris", value=value)
        )
        assert not refused.success and words in refused.message, (value, refused.message)
    assert call(calls, "inject_fault",
                InjectFault.Request(kind="carousel_debris", value=3.0)).success  # fmt: skip
    assert armed(node) == {"rim_dust": 0.0, "carousel_debris": 3.0}
    for request, words in (
        (InjectFault.Request(kind="rim_dust", value=math.nan), "not finite"),
        (InjectFault.Request(kind="rim_dust", value=1.5), "0..1"),
        (InjectFault.Request(kind="empty_core", value=7.0), "0 or 1"),
        (InjectFault.Request(kind="rim_dust", value=0.5, scenario="mageik"), "only for kind"),
        (InjectFault.Request(kind="scenario", scenario="mageik", value=2.0), "must be 0"),
        (InjectFault.Request(kind="gremlins"), "unknown fault 'gremlins'"),
    ):
        response = call(calls, "inject_fault", request)
        assert not response.success and words in response.message, (request, response.message)
    assert armed(node) == {"rim_dust": 0.0, "carousel_debris": 3.0}  # nothing else armed
    node.aca.faults.pending.clear()


def test_an_unexpected_error_in_a_service_is_answered_and_logged(sim, monkeypatch):
    node, client, calls = sim

    def broken():
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(node.aca, "describe", broken)
    response = call(calls, "snapshot", Snapshot.Request(name="before"))
    assert not response.success
    assert response.message == "snapshot failed: RuntimeError: disk on fire"
    monkeypatch.undo()
    assert call(calls, "snapshot", Snapshot.Request(name="after")).success
    assert len(client.state().tubes) == 43


@FUZZ
@given(
    kind=st.sampled_from(["rim_dust", "empty_core", "carousel_debris", "scenario", "", "x" * 300]),
    value=st.floats(allow_nan=True, allow_infinity=True),
    scenario=st.one_of(st.just(""), st.just("mageik"), st.text(max_size=300)),
)
def test_fuzzed_fault_requests_are_answered_and_refusals_arm_nothing(sim, kind, value, scenario):
    node, _client, calls = sim
    node.aca.faults.pending.clear()
    response = call(calls, "inject_fault",
                    InjectFault.Request(kind=kind, value=value, scenario=scenario))  # fmt: skip
    if not response.success:
        assert response.message and armed(node) == {}
    node.aca.faults.pending.clear()


@FUZZ
@given(
    name=st.text(max_size=80),
    numbers=st.lists(
        st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=10, max_size=10
    ),
)
def test_fuzzed_obstacles_are_answered_and_refusals_change_nothing(sim, name, numbers):
    _node, client, calls = sim
    before = client.state().state_hash
    request = SetObstacle.Request(name=name)
    p, q, size = request.pose.position, request.pose.orientation, request.size
    p.x, p.y, p.z, q.x, q.y, q.z, q.w, size.x, size.y, size.z = numbers
    response = call(calls, "set_obstacle", request)
    if response.success:  # take it away again
        call(calls, "set_obstacle", SetObstacle.Request(name=name))
    else:
        assert response.message
    assert client.state().state_hash == before


@FUZZ
@given(slot=st.integers(0, 65535), sweeps=st.integers(0, 65535))
def test_fuzzed_goals_are_refused_by_name_and_change_nothing(sim, slot, sweeps):
    """Goals that cannot be carried out end with a named code and leave the world as it was
    (slots 1..43 hold tubes and would really be retrieved: they are left out here)."""
    _node, client, _calls = sim
    before = client.state().state_hash
    outcomes = []
    if not 1 <= slot <= 43:
        outcomes.append(client.send(RetrieveTube, "retrieve_tube", slot=slot).result)
    outcomes.append(client.send(SweepBore, "sweep_bore", tube_id=0, sweeps=sweeps).result)
    for result in outcomes:  # nothing held: every one of these is refused
        assert result.error_code != 0 and result.error_msg
    assert client.state().state_hash == before


def test_out_of_range_fields_are_refused_by_the_clients_not_wrapped():
    """The project's clients and tests run with ROS_PYTHON_CHECK_FIELDS=1 (set by
    aca_sim.ros_env before any message module loads): 257 does not become 1."""
    with pytest.raises(AssertionError, match="kind"):
        CacheSample.Goal(kind=257)
    with pytest.raises(AssertionError, match="slot"):
        RetrieveTube.Goal(slot=65536)
