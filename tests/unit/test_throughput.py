"""Sender rates and queue limits: when messages leave and when 21611 is returned."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsim.simulator.throughput import (
    QUEUE_HOURS,
    Reservation,
    mps_for,
    queue_capacity_segments,
    reserve,
)


@pytest.mark.parametrize(
    ("sender", "to", "mps"),
    [
        ("+14155550100", "+14155550101", 1.0),  # long code -> US
        ("+14155550100", "+16135550123", 1.0),  # long code -> CA
        ("+14155550100", "(708)503-8000", 1.0),  # national To still counts as US
        ("+15005550006", "+14155550101", 1.0),  # magic From is a long code
        ("+447700900123", "+14155550101", 1.0),  # a UK long code sending to the US
        ("+18005551212", "+14155550101", 3.0),  # toll-free -> US
        ("+18885550100", "+16135550123", 3.0),  # toll-free -> CA
        ("+14155550100", "+447700900123", 10.0),  # any number -> other countries
        ("+18005551212", "+919876543210", 10.0),
        ("+447700900123", "+447700900124", 10.0),
        ("+14155550100", "+80012345678", 10.0),  # no country: international
        ("12345", "+14155550101", 100.0),  # short code
        ("123456", "+447700900123", 100.0),
        ("ACME", "+447700900123", 10.0),  # alphanumeric sender ID
    ],
)
def test_mps_for(sender: str, to: str, mps: float) -> None:
    assert mps_for(sender, to) == mps


def test_mps_for_refuses_an_invalid_sender() -> None:
    with pytest.raises(ValueError, match="not a valid sender: '123'"):
        mps_for("123", "+14155550100")


def test_queue_holds_ten_hours() -> None:
    assert QUEUE_HOURS == 10


@pytest.mark.parametrize(
    ("mps", "capacity"),
    [(1.0, 36_000), (3.0, 108_000), (10.0, 360_000), (100.0, 3_600_000), (0.5, 18_000)],
)
def test_queue_capacity_segments(mps: float, capacity: int) -> None:
    assert queue_capacity_segments(mps) == capacity


@pytest.mark.parametrize("mps", [0.0, -1.0])
def test_queue_capacity_needs_a_positive_rate(mps: float) -> None:
    with pytest.raises(ValueError, match="mps must be positive"):
        queue_capacity_segments(mps)


def test_idle_sender_sends_now() -> None:
    assert reserve(busy_until=50.0, now=100.0, segments=1, mps=1.0) == (100.0, 101.0, 1)


def test_busy_sender_sends_when_free() -> None:
    slot = reserve(busy_until=130.0, now=100.0, segments=1, mps=1.0)
    assert slot == Reservation(send_at=130.0, busy_until=131.0, backlog_segments=31)


def test_multi_segment_message_holds_the_sender_one_second_per_segment() -> None:
    # fidelity.md: Throughput, queues, validity: a multi-segment message consumes N seconds on a
    # 1-MPS long code.
    assert reserve(0.0, 0.0, 3, 1.0) == (0.0, 3.0, 3)


def test_toll_free_burst_leaves_three_per_second() -> None:
    busy, departures = 0.0, []
    for _ in range(6):
        slot = reserve(busy, 0.0, 1, 3.0)
        departures.append(round(slot.send_at, 6))
        busy = slot.busy_until
    assert departures == [0.0, 0.333333, 0.666667, 1.0, 1.333333, 1.666667]


def test_long_code_queue_takes_exactly_36000_segments_then_overflows() -> None:
    busy = 0.0
    for _ in range(36_000):
        slot = reserve(busy, 0.0, 1, 1.0)
        assert not slot.overflows(1.0)
        busy = slot.busy_until
    refused = reserve(busy, 0.0, 1, 1.0)
    assert refused.backlog_segments == 36_001
    assert refused.overflows(1.0)  # the engine answers 21611 and keeps busy_until
    # One second later one segment has left, so there is room for one more.
    assert not reserve(busy, 1.0, 1, 1.0).overflows(1.0)


def test_multi_segment_message_that_does_not_fit_overflows() -> None:
    busy = 35_999.0  # 35,999 segments queued on a 1-MPS sender
    assert reserve(busy, 0.0, 1, 1.0).backlog_segments == 36_000
    assert reserve(busy, 0.0, 2, 1.0).overflows(1.0)


def test_reserve_validates_its_inputs() -> None:
    with pytest.raises(ValueError, match="mps must be positive"):
        reserve(0.0, 0.0, 1, 0.0)
    with pytest.raises(ValueError, match="segments must be >= 0"):
        reserve(0.0, 0.0, -1, 1.0)


@given(
    st.floats(0, 1e6),
    st.floats(0, 1e6),
    st.lists(st.integers(1, 10), min_size=1, max_size=20),
    st.sampled_from([1.0, 3.0, 10.0, 100.0]),
)
def test_reservations_never_overlap_and_keep_the_rate(
    busy: float, now: float, sizes: list[int], mps: float
) -> None:
    previous_end = busy
    for segments in sizes:
        slot = reserve(previous_end, now, segments, mps)
        assert slot.send_at >= now
        assert slot.send_at >= previous_end
        assert slot.busy_until - slot.send_at == pytest.approx(segments / mps)
        assert slot.backlog_segments >= segments
        previous_end = slot.busy_until
