"""The physics thread without ROS: jobs run at step boundaries, feedback is monotone, cancel
stops at the next step, failures end the job (not the thread), calls run between steps, and
a job on the thread gives the same outcome and timeline as running it in this thread."""

import itertools
import threading

import pytest

from aca_sim.model.codes import Code
from aca_sim.model.status import StepStatus
from aca_sim.sim import procedures as steps
from aca_sim.sim.operation import Feedback
from aca_sim.sim.runner import PhysicsRunner, run_to_end

WAIT_S = 120.0


class Recorder:
    """Collects a job's feedback and outcome (both arrive on the physics thread)."""

    def __init__(self) -> None:
        self.feedback: list[Feedback] = []
        self.outcome = None
        self.threads: set[str] = set()
        self.done = threading.Event()

    def on_feedback(self, feedback: Feedback) -> None:
        self.threads.add(threading.current_thread().name)
        self.feedback.append(feedback)

    def on_done(self, outcome) -> None:
        self.threads.add(threading.current_thread().name)
        self.outcome = outcome
        self.done.set()

    def wait(self):
        assert self.done.wait(WAIT_S), "the job did not end"
        return self.outcome


def submit(runner, operation):
    seen = Recorder()
    seen.job = runner.submit(operation, seen.on_done, seen.on_feedback)
    return seen


@pytest.fixture
def runner(aca):
    r = PhysicsRunner(aca, mode="fast").start()
    yield r
    r.stop()


def test_a_job_runs_on_the_physics_thread_with_monotone_feedback(runner, aca):
    start = aca.time_s
    seen = submit(runner, steps.retrieve_tube(aca, 4))
    outcome = seen.wait()
    assert outcome.status == "succeeded" and outcome.value.tube_id == 204
    assert outcome.started_s == start and outcome.duration_s == pytest.approx(aca.time_s - start)
    progress = [f.progress for f in seen.feedback]
    assert progress == sorted(progress) and progress[-1] <= 1.0
    assert seen.threads == {"physics"}


def test_fast_mode_does_not_step_while_idle(runner, aca):
    before = runner.call(lambda a: (a.time_s, a.world.step_count)).result(WAIT_S)
    threading.Event().wait(0.3)
    after = runner.call(lambda a: (a.time_s, a.world.step_count)).result(WAIT_S)
    assert before == after


def test_cancel_stops_the_job_at_the_next_step_and_leaves_the_arm_holding(runner, aca):
    seen = submit(runner, steps.move_arm(aca, station="station_sealing", engage=True))
    while len(seen.feedback) < 50:  # let it move
        assert not seen.done.wait(0.01)

    def cancel_now(a):  # on the physics thread, between two steps
        runner.cancel(seen.job)
        return a.world.step_count

    canceled_at = runner.call(cancel_now).result(WAIT_S)
    outcome = seen.wait()
    assert outcome.status == "canceled" and outcome.error is None
    stopped = runner.call(lambda a: a.world.step_count).result(WAIT_S)
    assert stopped == canceled_at, "no step after the cancel"
    held = runner.call(
        lambda a: [
            (a.world.mech.commands[j].target, a.world.mech.joint_position(j))
            for j in ("sha_z", "sha_shoulder", "sha_elbow")
        ]
    ).result(WAIT_S)
    for target, position in held:
        assert target == pytest.approx(position, abs=2e-3), "each joint holds where it stopped"


def test_a_failing_job_ends_aborted_and_the_thread_goes_on(runner, aca):
    refused = submit(runner, steps.retrieve_tube(aca, 99)).wait()
    assert refused.status == StepStatus.FAILED and refused.error.code == Code.INVALID_GOAL
    assert refused.duration_s == 0.0

    def broken():
        yield Feedback("about to fail", 0.1)
        raise ZeroDivisionError("a simulator bug")

    crashed = submit(runner, broken()).wait()
    assert crashed.status == StepStatus.FAILED and crashed.error.code == Code.INTERNAL_ERROR
    assert "ZeroDivisionError: a simulator bug" in crashed.error.message
    assert submit(runner, steps.retrieve_tube(aca, 3)).wait().status == "succeeded"


def test_calls_run_between_steps_and_hand_back_results_and_errors(runner):
    assert runner.call(lambda a: threading.current_thread().name).result(WAIT_S) == "physics"
    with pytest.raises(KeyError):
        runner.call(lambda a: a.world.tubes[999]).result(WAIT_S)


def test_stop_cancels_the_running_job(aca):
    runner = PhysicsRunner(aca, mode="fast").start()
    seen = submit(runner, steps.move_arm(aca, station="station_bst"))
    while not seen.feedback:
        assert not seen.done.wait(0.01)
    runner.stop()
    assert seen.wait().status == "canceled"


def test_the_thread_and_this_thread_give_the_same_outcome_and_timeline(aca, cored_snapshot):
    aca.restore(cored_snapshot)
    here = run_to_end(aca, steps.assess_volume(aca))
    after_here = aca.state_hash()
    aca.restore(cored_snapshot)
    runner = PhysicsRunner(aca, mode="fast").start()
    try:
        there = submit(runner, steps.assess_volume(aca)).wait()
        after_there = runner.call(lambda a: a.state_hash()).result(WAIT_S)
    finally:
        runner.stop()
    assert (there.status, there.started_s, there.finished_s) == (
        here.status,
        here.started_s,
        here.finished_s,
    )
    assert there.value == here.value and after_there == after_here


def test_bad_mode_and_factor_are_refused(aca):
    with pytest.raises(ValueError, match="mode must be one of"):
        PhysicsRunner(aca, mode="slow")
    with pytest.raises(ValueError, match="real_time_factor must be > 0"):
        PhysicsRunner(aca, real_time_factor=0.0)
    with pytest.raises(ValueError, match="tick_period_s must be > 0"):
        PhysicsRunner(aca, tick_period_s=0.0)


def test_ticks_come_at_the_asked_rate_of_sim_time_whatever_the_step(aca):
    """100 Hz from 240 Hz steps: whole steps cannot make 10 ms, so the tick falls on the
    first step of each 10 ms period (a fixed step count gave 120 Hz)."""
    ticks = []
    runner = PhysicsRunner(
        aca,
        mode="fast",
        tick_period_s=0.01,
        on_ticks=lambda a, batch: ticks.extend(t.time_s for t in batch),
    )
    runner.start()
    try:
        start = aca.time_s
        seen = submit(runner, steps.retrieve_tube(aca, 4))
        assert seen.wait().status == "succeeded"
        span = aca.time_s - start
    finally:
        runner.stop()
    assert span > 5.0
    assert abs(len(ticks) - span * 100) <= 1
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert max(gaps) <= 0.01 + aca.dt + 1e-9 and min(gaps) >= 0.01 - aca.dt - 1e-9


def test_leaps_between_ticks_show_each_tick_the_world_single_steps_would(aca, monkeypatch):
    """Fast mode takes a coasted Leap's steps at once and reads its ticks from the coast:
    every tick shows the step and joint states (efforts too) that PyBullet shows when every
    step is a tick and is read from the world (realtime mode, unpaced: nothing can be leapt),
    and the same world is left at the end."""
    start = aca.describe()
    leaps = []
    leap = aca.leap
    monkeypatch.setattr(aca, "leap", lambda n, *marks: leaps.append(n) or leap(n, *marks))

    def ticks_of(mode, period_s):
        aca.restore(start)
        seen = []

        def on_ticks(a, batch):
            seen.extend((round(t.time_s / a.dt), tuple(t.joint_states)) for t in batch)

        runner = PhysicsRunner(
            aca, mode=mode, real_time_factor=1e9, tick_period_s=period_s, on_ticks=on_ticks
        )
        job = submit(runner, steps.retrieve_tube(aca, 4))  # it starts at the first step
        runner.start()
        try:
            assert job.wait().status == "succeeded"
            final = runner.call(lambda a: a.state_hash()).result(WAIT_S)
        finally:
            runner.stop()
        return dict(seen), final

    # the reference: realtime mode reads each tick from PyBullet, and unpaced, with a tick
    # at every step, it steps one step at a time (it also steps on after the job: the steps
    # compared are the job's)
    every_step, _ = ticks_of("realtime", aca.dt / 2)
    assert max(leaps) == 1  # a tick at every step leaves nothing to leap
    leaps.clear()
    at_100_hz, final = ticks_of("fast", 0.01)
    assert max(leaps) > 100 and aca.world.coasted_steps > 0
    assert len(at_100_hz) > 500
    assert at_100_hz == {step: every_step[step] for step in at_100_hz}
    fast_every_step, fast_final = ticks_of("fast", aca.dt / 2)
    assert fast_every_step == {step: every_step[step] for step in fast_every_step}
    assert fast_final == final and len(fast_every_step) > 2 * len(at_100_hz)
