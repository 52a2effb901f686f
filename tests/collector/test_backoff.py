"""The one backoff rule, and the waits built on it: HTTP retries, jobs, sources, alerts."""

from __future__ import annotations

import pytest

from collector.alerts.sender import SenderPolicy
from collector.backoff import Backoff
from collector.pipeline.processor import RetryPolicy
from collector.pipeline.runner import Throttle


def test_doubles_from_base_up_to_the_cap() -> None:
    backoff = Backoff(base=5.0, cap=300.0)
    assert [backoff.delay(n) for n in range(0, 9)] == [5, 5, 10, 20, 40, 80, 160, 300, 300]


@pytest.mark.parametrize(("draw", "factor"), [(0.0, 0.9), (0.5, 1.0), (1.0, 1.1)])
def test_jitter_moves_a_delay_within_its_fraction(draw: float, factor: float) -> None:
    backoff = Backoff(base=10.0, cap=100.0, jitter=0.1)
    assert backoff.delay(2, lambda: draw) == pytest.approx(20.0 * factor)


def test_a_jobs_retry_waits_with_jitter_from_the_source_it_is_given() -> None:
    policy = RetryPolicy(base=5.0, cap=3600.0, rand=lambda: 1.0)
    assert [policy.delay(n) for n in (1, 2, 13)] == pytest.approx([5.5, 11.0, 3960.0])


def test_an_alert_waits_at_least_as_long_as_the_channel_asked() -> None:
    policy = SenderPolicy(base=5.0, cap=1800.0)
    assert policy.delay(3, None) == 20.0
    assert policy.delay(3, 90.0) == 90.0
    assert policy.delay(30, None) == 1800.0


def test_a_failing_source_is_skipped_until_its_backoff_has_passed() -> None:
    now = [100.0]
    throttle = Throttle(Backoff(base=5.0, cap=300.0), clock=lambda: now[0])
    assert throttle.ready()
    assert (throttle.failed(), throttle.failed()) == (5.0, 10.0)
    assert not throttle.ready()
    now[0] += 9.9
    assert not throttle.ready()
    now[0] += 0.1
    assert throttle.ready()
    throttle.succeeded()
    assert throttle.failed() == 5.0
