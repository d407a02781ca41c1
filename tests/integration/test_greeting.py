#!/usr/bin/env python3
"""A greeting written in pieces (issue 14's framing bug): the server decides
a connection's dialect from its first bytes, and a sockchat client on a slow
link (or `sockchat --chunk 3`) may send "HEL" first. While all that arrived
is a proper prefix of "HELLO " the server waits for more (GREET_WAIT_MS,
500 ms); the tutorial's client, which sends whole messages, is answered
after that wait if its message happens to be such a prefix.

The pauses between writes below are what the test is about (separate
reads on the server), not synchronisation.

usage: test_greeting.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import Framed, T_SHORT, run_tests  # noqa: E402

PAUSE = 0.1  # seconds between pieces: each reaches the server as its own read


def greet_in_pieces(srv, pieces):
    c = srv._track(Framed.connect(srv.addr))
    for i, p in enumerate(pieces):
        if i:
            time.sleep(PAUSE)
        c.send(p)
    m, skipped = c.next_until(lambda m: m.type in ("WELCOME", "ERR"), T_SHORT, "WELCOME")
    assert not skipped, skipped
    assert m.type == "WELCOME", m
    return c, m


def test_greeting_in_two_pieces(ctx):
    """HEL, then LO sockchat/1 alice: a WELCOME for alice, and she can chat."""
    with ctx.server() as srv:
        c, m = greet_in_pieces(srv, [b"HEL", b"LO sockchat/1 alice\n"])
        assert m.f(0) == "alice", m
        c.chat("after a split greeting")
        # No tutorial client's message made of the pieces reached the log.
        assert not any(re.search(r"\bHEL\b|\bLO sockchat", l) for l in srv.err), srv.err


def test_greeting_byte_by_byte_start(ctx):
    """H, E, L, LO: each a read of its own; still one framed greeting."""
    with ctx.server() as srv:
        _, m = greet_in_pieces(srv, [b"H", b"E", b"L", b"LO sockchat/1 bob\n"])
        assert m.f(0) == "bob", m


def test_prefix_alone_is_a_tutorial_message(ctx):
    """A tutorial client whose whole message is "HE": not lost, answered as a
    raw message once the wait is over."""
    with ctx.server() as srv:
        c = srv.raw()
        t0 = time.monotonic()
        c.send(b"HE")
        assert c.recv_exact_text(b"Message received") == b"Message received"
        waited = time.monotonic() - t0
        assert waited >= 0.4, f"answered after {waited:.3f} s, before the greeting wait"
        c.send(b"exit")
        assert c.recv_exact_text(b"Message received") == b"Message received"
        c.expect_eof()


def test_prefix_then_eof_is_answered(ctx):
    """"HELLO" and then the sending side closed: answered at once, as raw."""
    with ctx.server() as srv:
        c = srv.raw()
        c.send(b"HELLO")
        c.shutdown_write()
        assert c.recv_exact_text(b"Message received") == b"Message received"


if __name__ == "__main__":
    run_tests(globals())
