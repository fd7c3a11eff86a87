"""The retry rule as a table: which failures may be repeated, for reads and for writes.

(The same rule is exercised end to end against the simulator in ``test_client_faults.py``.)
"""

from __future__ import annotations

import ssl

import httpcore
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.routeros.retry import RetryPolicy, may_retry


def failure(kind: type[Exception], cause: BaseException | None = None) -> Exception:
    exc = kind("boom")
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    ("kind", "read", "write"),
    [
        (httpcore.ConnectError, True, True),  # never reached the router
        (httpcore.ConnectTimeout, False, False),  # unresponsive: the timeout is the whole wait
        (httpcore.PoolTimeout, True, True),
        (httpcore.ReadTimeout, False, False),  # sent, unanswered: fail within the timeout
        (httpcore.WriteTimeout, False, False),
        (httpcore.ReadError, True, False),
        (httpcore.RemoteProtocolError, True, False),  # dropped without an answer
        (httpcore.LocalProtocolError, False, False),  # our bug: asking again will not help
    ],
)
def test_what_may_be_sent_again(kind: type[Exception], read: bool, write: bool) -> None:
    assert may_retry(failure(kind), read=True) is read
    assert may_retry(failure(kind), read=False) is write


def test_a_certificate_failure_is_never_retried() -> None:
    refused = failure(httpcore.ConnectError, ssl.SSLCertVerificationError("self-signed"))
    assert not may_retry(refused, read=True)


@given(
    attempts=st.integers(min_value=0, max_value=10),
    backoff=st.floats(min_value=0, max_value=5),
    cap=st.floats(min_value=0, max_value=5),
)
def test_backoff_waits_grow_but_stay_capped(attempts: int, backoff: float, cap: float) -> None:
    delays = list(RetryPolicy(attempts=attempts, backoff=backoff, max_delay=cap).delays())
    assert len(delays) == max(attempts, 1) - 1
    assert all(0 <= delay <= cap for delay in delays)
