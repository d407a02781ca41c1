#!/usr/bin/env python3
"""Stress 5, signals under load: SIGTERM and SIGINT while every client is
chatting flat out (clean exit 0 within the flush deadline, every client told
SHUTDOWN, then EOF); SIGKILL under load, then a restart on the same port that
serves at once.

usage: stress_signals.py SERVER_BINARY [--mode M] [--size F]
--size 1 is the full size (200 chatting clients); CI runs the default 0.2."""

import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from chatlib import (SCALE, T_SHORT, TIMEOUT_SCALE, Load, deadline_in, raise_nofile,  # noqa: E402
                     remaining, run_tests)

FULL_CLIENTS = 200
DEFAULT_SIZE = 0.2
PLAIN = 5


def _loaded(srv, n):
    clients = [srv.framed(f"busy{i}") for i in range(n)]
    for c in clients:
        c.sync()
    plain = [srv.plain() for _ in range(PLAIN)]
    for i, p in enumerate(plain):
        p.say(f"/ping p{i}")
        p.expect(f"pong p{i}".encode())
    load = Load(clients, window=8)
    load.start()
    # Under load: wait until messages are flowing (polled, bounded).
    dl = deadline_in(T_SHORT)
    while load.total_acked < 20 * n:
        assert remaining(dl) > 0 and load.is_alive(), "load did not get going"
        time.sleep(0.02)
    return load, plain


def _signal_under_load(ctx, sig):
    ctx.require_multi()
    raise_nofile()
    size = (ctx.size if ctx.size is not None else DEFAULT_SIZE) * SCALE
    n = max(10, int(FULL_CLIENTS * size))
    with ctx.server("--rate", "0", "--quiet", "--max-clients", str(n + 100)) as srv:
        load, plain = _loaded(srv, n)
        acked_before = load.total_acked
        t0 = time.monotonic()
        srv.send_signal(sig)
        rc = srv.wait(T_SHORT)
        exit_s = time.monotonic() - t0
        load.join(T_SHORT)
        assert not load.is_alive(), "some clients never saw EOF"
        if load.error:
            raise load.error
        untold = [i for i in range(n) if not any(l.startswith(b"SHUTDOWN") for l in load.events[i])]
        for p in plain:
            lines = p.expect_eof()
            assert lines, "a plain client got no notice"
        print(f"  {signal.Signals(sig).name} with {n} framed + {PLAIN} plain clients chatting "
              f"({acked_before}+ messages): exit {rc} after {exit_s:.2f}s; "
              f"{n - len(untold)}/{n} told SHUTDOWN")
        assert rc == 0, f"exit code {rc}"
        assert not untold, f"clients {untold[:10]} got EOF without SHUTDOWN"
        assert exit_s < 2.0 + 3.0 * TIMEOUT_SCALE, f"exit took {exit_s:.2f}s (flush limit 2 s)"


def test_sigterm_under_load(ctx):
    _signal_under_load(ctx, signal.SIGTERM)


def test_sigint_under_load(ctx):
    _signal_under_load(ctx, signal.SIGINT)


def test_sigkill_then_restart(ctx):
    """SIGKILL under load: everyone sees the connection end; a new server on
    the same port starts at once (SO_REUSEADDR) and serves."""
    ctx.require_multi()
    size = (ctx.size if ctx.size is not None else DEFAULT_SIZE) * SCALE
    n = max(10, int(FULL_CLIENTS * size))
    srv = ctx.server("--rate", "0", "--quiet", "--max-clients", str(n + 100))
    with srv:
        load, plain = _loaded(srv, n)
        port = srv.port
        srv.send_signal(signal.SIGKILL)
        rc = srv.wait(T_SHORT)
        assert rc == -signal.SIGKILL, rc
        load.join(T_SHORT)
        assert not load.is_alive(), "some clients never saw the connection end"
        for p in plain:
            p.expect_eof()
    # Connections from the killed server are in TIME_WAIT or worse now.
    with ctx.server(port=port) as again:
        assert again.port == port
        c = again.framed("survivor")
        c.chat("the server is back")
        print(f"  SIGKILL with {n} clients chatting ({load.total_acked} messages); "
              f"restarted on port {port} at once")


if __name__ == "__main__":
    run_tests(globals())
