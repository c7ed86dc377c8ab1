"""The step servers' feedback rule (ros.feedback_pacing): phase changes always, within a phase
once per sim period and no sooner than the wall floor, and a phase's last feedback never
dropped."""

from aca_sim.ros.feedback_pacing import FeedbackGate, FeedbackPacing


def _sent(gate: FeedbackGate, calls: list[tuple[str, float, float]]) -> list[int]:
    """Indices of the calls (phase, sim s, wall s) whose feedback went out, in sending order,
    the goal's end included."""
    out = [sent for i, call in enumerate(calls) for sent in gate.offer(i, *call)]
    return out + gate.flush()


def test_in_realtime_the_sim_period_paces_and_every_phase_change_goes_out():
    gate = FeedbackGate(FeedbackPacing(period_s=0.5, min_interval_s=0.05))
    # sim and wall time advance together; phase a ends at call 11, b is one call, a again
    calls = [("a", t / 10, t / 10) for t in range(12)] + [("b", 1.2, 1.2), ("a", 1.25, 1.25)]
    assert _sent(gate, calls) == [0, 5, 10, 11, 12, 13]


def test_in_fast_mode_the_wall_floor_paces_and_the_phase_end_still_goes_out():
    gate = FeedbackGate(FeedbackPacing(period_s=0.5, min_interval_s=0.05))
    # 100x real time: a sim second every 10 ms of wall time
    calls = [("a", t * 0.5, t * 0.005) for t in range(25)] + [("b", 12.5, 0.125)]
    assert _sent(gate, calls) == [0, 10, 20, 24, 25]


def test_the_last_feedback_held_back_goes_out_at_the_end_of_the_goal():
    gate = FeedbackGate(FeedbackPacing(period_s=0.5, min_interval_s=0.05))
    assert _sent(gate, [("a", 0.0, 0.0), ("a", 0.1, 0.1), ("a", 0.2, 0.2)]) == [0, 2]
    assert gate.flush() == []


def test_no_wall_floor_leaves_the_sim_period_alone():
    gate = FeedbackGate(FeedbackPacing(period_s=0.5, min_interval_s=0.0))
    calls = [("a", t * 0.5, t * 0.005) for t in range(5)]
    assert _sent(gate, calls) == [0, 1, 2, 3, 4]
