"""The position motor law taken many steps at once gives, bit for bit, the states of one step
at a time (sim.motor_law): what lets a coast leap without changing a trial's numbers."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from aca_sim.sim.motor_law import JointTrack, PositionTracks, position_law

DT = 1 / 240


def _stepped(q: float, target: float, limit: float, steps: int) -> list[tuple[float, float]]:
    states = []
    for _ in range(steps):
        (q,), (v,) = position_law([q], [target], [limit], DT)
        states.append((q, v))
    return states


def _taken(track: JointTrack, chunks: list[int]) -> list[tuple[float, float]]:
    return [track.take(n) for n in chunks]


@settings(max_examples=200, deadline=None)
@given(
    q=st.floats(-3.0, 3.0),
    target=st.floats(-3.0, 3.0),
    limit=st.floats(1e-4, 5.0),
    chunks=st.lists(st.integers(1, 150), min_size=1, max_size=12),
)
def test_a_track_hands_out_exactly_the_stepped_states(q, target, limit, chunks):
    stepped = _stepped(q, target, limit, sum(chunks))
    ends = [sum(chunks[: i + 1]) - 1 for i in range(len(chunks))]
    assert _taken(JointTrack(q, target, limit, DT), chunks) == [stepped[i] for i in ends]


def test_a_long_move_crosses_all_three_phases_bit_for_bit():
    # 0.2 m at 5 mm/s: 9600 saturated steps, then the geometric approach, then the fixed point
    q, target, limit = 0.17, -0.03, 0.005
    stepped = _stepped(q, target, limit, 11000)
    track = JointTrack(q, target, limit, DT)
    ahead, velocities = track.ahead(11000)
    assert list(zip(ahead.tolist(), velocities.tolist(), strict=True)) == stepped
    assert stepped[9000][1] == -limit  # saturated
    assert abs(stepped[9700][1]) < limit  # geometric
    assert stepped[-1] == stepped[-2]  # fixed: q + v dt rounds to q
    assert track.take(11000) == stepped[-1]


def test_ahead_does_not_take_and_take_continues_where_it_was():
    track = JointTrack(0.0, 1.0, 0.5, DT)
    first, _ = track.ahead(10)
    again, _ = track.ahead(10)
    assert first.tolist() == again.tolist()
    assert track.take(3) == _stepped(0.0, 1.0, 0.5, 3)[-1]
    assert track.ahead(1)[0][0] == first[3]


def test_a_turning_joint_accumulates_its_velocity_as_single_steps_do():
    for velocity in (3.0, -2.5, 0.0):
        q, states = 0.4, []
        for _ in range(500):
            q = q + velocity * DT
            states.append((q, velocity))
        track = JointTrack.turning(0.4, velocity, DT)
        assert [track.take(1) for _ in range(100)] == states[:100]
        assert track.take(400) == states[-1]


def test_tracks_of_several_joints_step_together():
    q, targets, limits = [0.1, -0.4, 1.2], [0.1 + 1e-12, 0.6, -1.0], [0.01, 0.5, 3.0]
    tracks = PositionTracks(q, targets, limits, DT)
    rows = tracks.positions_ahead(400)
    state = (q, [0.0] * 3)
    for step in range(400):
        state = position_law(state[0], targets, limits, DT)
        assert rows[step].tolist() == state[0]
    assert tracks.take(400) == state
    assert math.isclose(state[0][2], -1.0, abs_tol=1e-9)
