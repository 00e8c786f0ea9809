from datetime import date, datetime, timedelta, timezone

import pytest

from commitwatch.errors import UsageError
from commitwatch.window import day_window, parse_day, range_window, yesterday


@pytest.mark.parametrize(
    ("day", "tz", "hours", "start_utc"),
    [
        (date(2026, 2, 7), "Asia/Shanghai", 24, "2026-02-06T16:00:00+00:00"),
        (date(2026, 2, 7), "UTC", 24, "2026-02-07T00:00:00+00:00"),
        (date(2026, 3, 8), "America/New_York", 23, "2026-03-08T05:00:00+00:00"),  # spring forward
        (date(2026, 11, 1), "America/New_York", 25, "2026-11-01T04:00:00+00:00"),  # fall back
        (date(2026, 3, 29), "Europe/Berlin", 23, "2026-03-28T23:00:00+00:00"),
    ],
)
def test_day_window_is_local_midnight_to_midnight(day, tz, hours, start_utc):
    window = day_window(day, tz)
    assert window.start.astimezone(timezone.utc).isoformat() == start_utc
    assert window.end.timestamp() - window.start.timestamp() == hours * 3600
    assert window.day == day
    assert window.tz == tz


def test_midnight_in_a_dst_gap_moves_to_first_real_instant():
    # America/Santiago springs forward at 24:00 on 2026-09-05: 2026-09-06 starts at 01:00 local.
    window = day_window(date(2026, 9, 6), "America/Santiago")
    assert window.start.hour == 1
    assert window.end.timestamp() - window.start.timestamp() == 23 * 3600


def test_yesterday_in_zone():
    now = datetime(2026, 2, 7, 17, 0, tzinfo=timezone.utc)  # already 2026-02-08 01:00 in Shanghai
    assert yesterday("Asia/Shanghai", now) == date(2026, 2, 7)
    assert yesterday("UTC", now) == date(2026, 2, 6)


def test_range_window_reads_naive_times_in_zone():
    window = range_window("2026-02-07T08:00", "2026-02-07T20:00:00Z", "Asia/Shanghai")
    assert window.start.utcoffset() == timedelta(hours=8)
    assert window.end.utcoffset() == timedelta(0)
    assert window.day is None


def test_range_window_date_only_is_midnight():
    window = range_window("2026-02-07", "2026-02-09", "UTC")
    assert window.end.timestamp() - window.start.timestamp() == 2 * 86400


@pytest.mark.parametrize("text", ["2026-13-01", "yesterday", "07/02/2026", ""])
def test_malformed_day(text):
    with pytest.raises(UsageError, match="malformed date") as info:
        parse_day(text)
    assert "YYYY-MM-DD" in info.value.hint


def test_malformed_since():
    with pytest.raises(UsageError, match="malformed --since"):
        range_window("last tuesday", None, "UTC")


def test_empty_range_rejected():
    with pytest.raises(UsageError, match="empty window"):
        range_window("2026-02-08", "2026-02-07", "UTC")


def test_unknown_zone_is_usage_error():
    with pytest.raises(UsageError, match="unknown time zone") as info:
        day_window(date(2026, 2, 7), "Asia/Atlantis")
    assert "--tz" in info.value.hint
