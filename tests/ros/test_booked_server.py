"""The one goal lifecycle of the sim's action servers (ros.booked_server), over real DDS with a
runner whose jobs end only when the test says (no physics): booking, rejection, preemption
(waiting for the job or at once), cancel, after_goal and a bug in a server."""

import threading
from types import SimpleNamespace

import pytest
from aca_client import AcaClient, wait_until
from aca_interfaces.action import MoveArm
from action_msgs.msg import GoalStatus
from rclpy.node import Node

from aca_sim.model.status import StepStatus
from aca_sim.ros.blocking import on_executor, wait_future
from aca_sim.ros.booked_server import (
    BookedActionServer,
    BookedGoal,
    DeviceBook,
    ServerSetting,
    Verdict,
    publish_feedback,
)
from aca_sim.ros.executor_bridge import ExecutorBridge
from aca_sim.ros.spinning import BackgroundSpinner
from aca_sim.sim.drive import Outcome

R = MoveArm.Result
ARM = frozenset({"sha"})


class HeldRunner:
    """A JobRunner whose jobs end when the test calls end() (from another thread, as the
    physics thread would); records what it was asked to cancel."""

    def __init__(self) -> None:
        self.jobs: list[SimpleNamespace] = []
        self.canceled: list[SimpleNamespace] = []

    def submit(self, operation, on_done, on_feedback=None):
        job = SimpleNamespace(operation=operation, on_done=on_done, on_feedback=on_feedback)
        self.jobs.append(job)
        return job

    def cancel(self, job) -> None:
        self.canceled.append(job)

    def end(self, job, status: StepStatus, value=None) -> None:
        thread = threading.Thread(target=job.on_done, args=(Outcome(status, value),))
        thread.start()
        thread.join()


class Probe(BookedActionServer):
    """A server whose operation is the goal's station name; feedback messages carry a phase;
    a job ending with value "bug" breaks the verdict."""

    def __init__(self, setting, name, preempts=False, at_once=False) -> None:
        self.preempts, self.preempt_ends_at_once = preempts, at_once
        super().__init__(setting, MoveArm, name, ARM)

    def _operation(self, request):
        return request.station

    def _feedback(self, goal, feedback) -> None:
        publish_feedback(goal.handle, MoveArm.Feedback(phase=feedback))

    def _verdict(self, goal, ended) -> Verdict:
        if ended is None:
            return Verdict(StepStatus.FAILED, R(error_code=R.PREEMPTED, error_msg="at once"), "")
        if ended.value == "bug":
            raise RuntimeError("the mapping broke")
        code = {StepStatus.SUCCEEDED: R.NONE, StepStatus.CANCELED: R.CANCELED}[ended.status]
        if goal.preempted:
            return Verdict(StepStatus.FAILED, R(error_code=R.PREEMPTED), "preempted")
        return Verdict(ended.status, R(error_code=code, error_msg=str(ended.value)), "ended")

    def _refused_result(self):
        return R(error_code=R.BUSY, error_msg=self.busy_reason)

    def _error_result(self, message):
        return R(error_code=R.INTERNAL_ERROR, error_msg=message)


@pytest.fixture
def probes(ros_context):
    """Servers /aca/steps (rejects while busy), /aca/moves (preempts, waits for the old job)
    and /aca/jogs (preempts at once), one device book; after_goal fails when told."""
    node = Node("probe", namespace="aca", context=ros_context)
    runner, book = HeldRunner(), DeviceBook()
    fail_after = threading.Event()

    async def after_goal() -> None:
        if fail_after.is_set():
            raise OSError("disk full")

    setting = ServerSetting(node, ExecutorBridge(node), runner, book, after_goal)
    servers = {
        "steps": Probe(setting, "steps"),
        "moves": Probe(setting, "moves", preempts=True),
        "jogs": Probe(setting, "jogs", preempts=True, at_once=True),
    }
    client_node = Node("probe_client", context=ros_context)
    spinner = BackgroundSpinner([node, client_node], context=ros_context).start()
    probe = SimpleNamespace(
        client=AcaClient(client_node),
        runner=runner,
        held=lambda: on_executor(node, book.held),
        servers=servers,
        node=node,
        fail_after=fail_after,
    )
    yield probe
    spinner.stop()
    for server in servers.values():
        server.destroy()
    node.destroy_node()
    client_node.destroy_node()


def _job(probe, count):
    wait_until(lambda: len(probe.runner.jobs) >= count, 10.0, f"job {count} submitted")
    return probe.runner.jobs[count - 1]


def test_a_goal_books_its_devices_publishes_feedback_and_ends_with_its_verdict(probes):
    client = probes.client
    run = client.start(MoveArm, "steps", station="here")
    assert run.accepted
    job = _job(probes, 1)
    assert job.operation == "here"
    assert probes.held() == {"sha": bytes(run.handle.goal_id.uuid)}
    job.on_feedback("working")
    wait_until(lambda: run.feedback, 10.0, "feedback")
    assert run.feedback[0].phase == "working"
    probes.runner.end(job, StepStatus.SUCCEEDED, "done")
    client.finish(run)
    assert (run.status, run.result.error_code, run.result.error_msg) == (
        GoalStatus.STATUS_SUCCEEDED,
        R.NONE,
        "done",
    )
    assert probes.held() == {}


def test_a_held_device_rejects_other_servers_goals_and_a_preempted_goal_waits_for_its_job(
    probes,
):
    client = probes.client
    step = client.start(MoveArm, "steps", station="a")
    assert step.accepted
    assert not client.start(MoveArm, "moves", station="b").accepted, "steps holds the arm"
    assert not client.start(MoveArm, "steps", station="c").accepted, "no preemption there"
    probes.runner.end(_job(probes, 1), StepStatus.SUCCEEDED)
    client.finish(step)

    first = client.start(MoveArm, "moves", station="d")
    assert first.accepted
    first_job = _job(probes, 2)
    second = client.start(MoveArm, "moves", station="e")
    assert second.accepted, "a moves goal preempts its own server's goal"
    assert probes.runner.canceled == [first_job]
    assert probes.held() == {"sha": bytes(second.handle.goal_id.uuid)}
    probes.runner.end(first_job, StepStatus.CANCELED)  # its job stops: then its result
    client.finish(first)
    assert (first.status, first.result.error_code) == (GoalStatus.STATUS_ABORTED, R.PREEMPTED)
    assert probes.held() == {"sha": bytes(second.handle.goal_id.uuid)}, "still the new goal's"
    probes.runner.end(_job(probes, 3), StepStatus.SUCCEEDED)
    assert client.finish(second).status == GoalStatus.STATUS_SUCCEEDED
    assert probes.held() == {}


def test_a_goal_preempted_at_once_ends_before_its_job_stops(probes):
    client = probes.client
    first = client.start(MoveArm, "jogs", station="a")
    first_job = _job(probes, 1)
    second = client.start(MoveArm, "jogs", station="b")
    assert second.accepted
    client.finish(first)  # the old job never ended
    assert (first.status, first.result.error_msg) == (GoalStatus.STATUS_ABORTED, "at once")
    assert probes.runner.canceled == [first_job]
    probes.runner.end(first_job, StepStatus.CANCELED)  # late: changes nothing
    probes.runner.end(_job(probes, 2), StepStatus.SUCCEEDED, "b")
    assert client.finish(second).result.error_msg == "b"
    assert probes.held() == {}


def test_cancel_stops_the_job_and_the_verdict_ends_the_goal_canceled(probes):
    client = probes.client
    run = client.start(MoveArm, "steps", station="a")
    job = _job(probes, 1)
    wait_future(run.handle.cancel_goal_async(), 10.0, "cancel response")
    assert probes.runner.canceled == [job]
    probes.runner.end(job, StepStatus.CANCELED)
    client.finish(run)
    assert (run.status, run.result.error_code) == (GoalStatus.STATUS_CANCELED, R.CANCELED)


def test_a_failing_after_goal_does_not_hold_back_the_result(probes):
    probes.fail_after.set()
    run = probes.client.start(MoveArm, "steps", station="a")
    probes.runner.end(_job(probes, 1), StepStatus.SUCCEEDED, "kept")
    probes.client.finish(run)
    assert (run.status, run.result.error_msg) == (GoalStatus.STATUS_SUCCEEDED, "kept")


def test_a_bug_in_a_server_ends_the_goal_aborted_with_its_internal_error_and_frees_the_arm(
    probes,
):
    run = probes.client.start(MoveArm, "steps", station="a")
    probes.runner.end(_job(probes, 1), StepStatus.SUCCEEDED, "bug")
    probes.client.finish(run)
    assert (run.status, run.result.error_code, run.result.error_msg) == (
        GoalStatus.STATUS_ABORTED,
        R.INTERNAL_ERROR,
        "internal error: RuntimeError: the mapping broke",
    )
    assert probes.held() == {}


def test_a_goal_preempted_before_its_job_was_submitted_is_stopped_at_once(probes):
    """Two goals accepted in one executor turn: the first is preempted before it executes;
    its job is canceled as it is submitted, never left running beside the new one's."""
    server = probes.servers["moves"]
    handle = SimpleNamespace(request=MoveArm.Goal(station="late"), is_cancel_requested=False)
    goal = BookedGoal(handle, refused=False)

    def preempt_then_start() -> None:
        server._preempt(goal)
        server._start(goal)

    on_executor(probes.node, preempt_then_start)
    assert probes.runner.canceled == [goal.job]
    assert goal.job.operation == "late"
