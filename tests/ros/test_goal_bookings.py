"""Device bookings of the step servers: made when a goal is accepted, keyed by its id, and
released on every ending, including a goal whose acceptance response never reached the
client (rclpy then never calls the accepted callback nor executes the goal)."""

import pytest
from aca_interfaces.action import MoveArm, RetrieveTube
from rclpy.impl.implementation_singleton import rclpy_implementation as _rclpy

from aca_sim.ros.blocking import on_executor
from conftest import start_sim

RCLError = _rclpy.RCLError


class LosesNextGoalResponse(_rclpy.ActionServer):
    """rclpy's C action server, failing to send the next goal response (as when the client
    went away): the goal is accepted on the server but nobody hears of it."""

    armed = 0

    def send_goal_response(self, header, response):
        if LosesNextGoalResponse.armed:
            LosesNextGoalResponse.armed -= 1
            raise RCLError("simulated: failed to send the goal response")
        return super().send_goal_response(header, response)


@pytest.fixture
def lossy_sim(ros_context, monkeypatch):
    monkeypatch.setattr(_rclpy, "ActionServer", LosesNextGoalResponse)
    sim, client, spinner = start_sim(ros_context)
    monkeypatch.undo()
    yield client, sim
    spinner.stop()
    sim.destroy_node()
    client.node.destroy_node()


def bookings(sim):
    return on_executor(sim, sim.servers[0].book.held)


def test_a_goal_whose_acceptance_response_is_lost_leaves_no_booking(lossy_sim):
    client, sim = lossy_sim
    assert isinstance(sim.servers[0].server._handle, LosesNextGoalResponse)
    client.action(RetrieveTube, "retrieve_tube")  # matched before the loss is armed
    LosesNextGoalResponse.armed = 1
    with pytest.raises(TimeoutError, match="goal response"):
        client.start(RetrieveTube, "retrieve_tube", slot=4, timeout_s=3.0)
    assert LosesNextGoalResponse.armed == 0, "the response was lost on the server"
    assert bookings(sim) == {}, "the lost goal booked nothing"
    moved = client.send(MoveArm, "move_arm", station="station_cachecam", engage=False)
    assert moved.result.error_code == MoveArm.Result.NONE, "the arm is not booked"
    retrieved = client.send(RetrieveTube, "retrieve_tube", slot=4)
    assert retrieved.result.tube_id == 204
    assert bookings(sim) == {}


def test_bookings_follow_the_goal_and_end_with_it(aca):
    client, sim = aca
    run = client.start(RetrieveTube, "retrieve_tube", slot=2)
    assert run.accepted
    held = bookings(sim)
    assert held == {"sha": bytes(run.handle.goal_id.uuid)}
    client.finish(run)
    assert bookings(sim) == {}
    moved = client.send(MoveArm, "move_arm", station="pose_stow", engage=False)
    assert moved.result.error_code == MoveArm.Result.NONE
