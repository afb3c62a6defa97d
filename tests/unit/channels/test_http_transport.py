"""channels/http/transport.py without sockets: `deliver` around a stubbed `post`, under a fake
clock, and the capped reading of an answer (the posts themselves: tests/e2e/test_transport.py)."""
from __future__ import annotations

import pytest

from backup_report.channels.http import Answer, NotSent, Refusal, Retries, Transport, Unknown
from backup_report.channels.http.transport import _capped, _Late
from backup_report.model import Delivery
from fakes import Clock

OK = Answer(200, {}, b"ok")
BUSY = Answer(503, {}, b"busy")


def transport(outcomes: list, deadline: float = 1000.0, attempts: int = 4) -> tuple[Transport, Clock, list[str]]:
    """A Transport whose posts come to `outcomes` in turn (an Answer, or an exception to raise)."""
    clock = Clock()
    t = Transport(attempt_timeout=10.0, deadline=deadline, retries=Retries(attempts=attempts, base=1.0, cap=1.0),
                  clock=clock, sleep=clock.sleep)
    urls: list[str] = []

    def post(url: str, body: bytes) -> Answer:
        urls.append(url)
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    t.post = post  # type: ignore[method-assign]
    return t, clock, urls


def slack_like(answer: Answer) -> Refusal | None:
    if answer.status == 200:
        return None
    return Refusal(f"HTTP {answer.status}", retry=answer.status >= 500)


def fresh_urls():
    n = iter(range(100))
    return lambda: f"https://hook.example/{next(n)}"


@pytest.mark.parametrize("outcomes,delivery,attempts", [
    ([OK], Delivery("c", True), 1),
    ([BUSY, OK], Delivery("c", True), 2),
    ([NotSent("could not connect (refused)"), NotSent("could not connect (refused)"), OK], Delivery("c", True), 3),
    ([BUSY] * 4, Delivery("c", False, error="HTTP 503 (after 4 attempts)"), 4),
    ([Answer(404, {}, b"")], Delivery("c", False, error="HTTP 404 (after 1 attempt)"), 1),
    ([BUSY, Unknown("no complete answer within 10 s")],
     Delivery("c", False, error="no complete answer within 10 s: unknown whether delivered, so not retried (a retry "
                                "could post it twice) (after 2 attempts)", maybe_delivered=True), 2),
    ([ValueError("Invalid URL")], Delivery("c", False, error="the post failed (ValueError) (after 1 attempt)"), 1),
])
def test_deliver(outcomes, delivery, attempts):
    t, clock, urls = transport(list(outcomes))
    assert t.deliver("c", fresh_urls(), b"{}", slack_like) == delivery
    assert len(urls) == attempts == len(clock.slept) + 1
    assert urls == [f"https://hook.example/{i}" for i in range(attempts)]  # the URL is asked for each attempt


def test_an_answer_that_cannot_be_read_is_a_failure_never_retried():
    def broken(answer: Answer) -> Refusal | None:
        raise KeyError("errcode")

    t, _, urls = transport([OK])
    assert t.deliver("c", lambda: "u", b"{}", broken) == Delivery(
        "c", False, error="the answer could not be read (KeyError) (after 1 attempt)")
    assert len(urls) == 1


def test_a_retry_that_would_end_past_the_deadline_is_not_made():
    t, clock, urls = transport([BUSY, BUSY], deadline=10.4)  # a backoff of at least 0.5 s and 10 s more
    assert t.deliver("c", lambda: "u", b"{}", slack_like).error == "HTTP 503; out of time to retry (after 1 attempt)"
    assert clock.slept == [] and len(urls) == 1


def test_the_services_own_wait_is_slept_in_full():
    asked = Refusal("rate limited for 30 s (HTTP 429)", retry=True, wait=30.0)
    t, clock, _ = transport([Answer(429, {}, b""), OK])
    assert t.deliver("c", lambda: "u", b"{}", lambda a: asked if a.status == 429 else None).ok
    assert clock.slept == [30.0]


def test_a_post_with_no_time_left_is_not_sent():
    t = Transport(attempt_timeout=10.0, deadline=5.0, clock=lambda: 5.0)
    with pytest.raises(NotSent, match="^no time left in the run to post$"):
        t.post("https://hook.example/never", b"{}")


@pytest.mark.parametrize("chunks,cap,read", [
    ([], 10, (b"", False)),
    ([b"ok"], 10, (b"ok", False)),
    ([b"12345", b"67890"], 10, (b"1234567890", False)),
    ([b"12345", b"678901"], 10, (b"1234567890", True)),
    ([b"x" * 100], 10, (b"x" * 10, True)),
])
def test_an_answer_is_read_up_to_its_cap(chunks, cap, read):
    assert _capped(iter(chunks), cap, lambda: False) == read


def test_an_answer_past_its_deadline_stops_between_chunks():
    seen: list[bytes] = []

    def chunks():
        for chunk in (b"a", b"b", b"c"):
            seen.append(chunk)
            yield chunk

    with pytest.raises(_Late):
        _capped(chunks(), 10, lambda: len(seen) >= 2)
    assert seen == [b"a", b"b"]
