"""`ecmahost.drain.Drain`: the lame-duck policy on its own, with the clock given."""

from __future__ import annotations

from dataclasses import dataclass

from ecmahost.drain import REPEAT_SECONDS, Drain


@dataclass
class App:
    draining: bool = False


def test_no_drain_stops_at_the_first_signal() -> None:
    app = App()
    drain = Drain(0, app)
    assert drain.signal(now=10.0) is True
    assert app.draining is False
    assert drain.tick(now=10.1) is False


def test_the_first_signal_drains_and_the_stop_comes_when_the_seconds_are_over() -> None:
    app = App()
    drain = Drain(5, app)
    assert drain.signal(now=10.0) is False
    assert app.draining is True
    assert drain.tick(now=14.9) is False
    assert drain.tick(now=15.0) is True


def test_a_second_signal_ends_the_drain_at_once() -> None:
    drain = Drain(30, App())
    drain.signal(now=10.0)
    assert drain.signal(now=10.0 + REPEAT_SECONDS + 0.1) is True
    assert drain.tick(now=11.2) is True


def test_the_same_stop_delivered_twice_at_once_is_one_signal() -> None:
    """systemd's control-group kill and the supervisor both send SIGTERM to a worker."""
    drain = Drain(30, App())
    drain.signal(now=10.0)
    assert drain.signal(now=10.01) is False
    assert drain.tick(now=10.5) is False
