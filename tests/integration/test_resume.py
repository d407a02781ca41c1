#!/usr/bin/env python3
"""A message resent after a reconnect (its ACK lost with the connection) is
acknowledged again but relayed and kept once: SESSION TOKEN after HELLO
names the client process (docs/PROTOCOL.md).

usage: test_resume.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import T_SHORT, Framed, deadline_in, remaining, run_tests  # noqa: E402

TOKEN = "5e55104c0ffee123"


def greet(srv, nick, token=TOKEN):
    c = srv._track(Framed.connect(srv.addr))
    c.hello(nick)
    if token:
        c.sendline(f"SESSION {token}")
    return c


def resend(c, i, text):
    c.send(b"MSG %d %s\n" % (i, text.encode()))
    c.wait_type("ACK", pred=lambda m: m.f(0) == str(i))


def chats_seen_by_newcomer(srv, nick):
    """The chat texts a newcomer gets as history."""
    n = srv.framed(nick)
    got = [m.text for m in n.sync() if m.type == "CHAT"]
    n.close()
    return got


def test_resend_after_lost_ack_kept_once(ctx):
    """Relayed, connection reset before the client saw the ACK, resent on a
    new connection with the same id: ACK again, history holds it once."""
    with ctx.server("--history", "20") as srv:
        a = greet(srv, "alice")
        a.chat("only once")
        a.abort()  # as if the ACK had been lost with the connection
        a2 = greet(srv, "alice")
        resend(a2, 1, "only once")
        resend(a2, 2, "the next one")
        a2.sync()
        a2.close()
        got = chats_seen_by_newcomer(srv, "carol")
        assert got.count(b"only once") == 1, got
        assert got.count(b"the next one") == 1, got


def test_live_listener_sees_it_once(ctx):
    """Whether the server read the first copy before the reset or not, a
    listener gets the message exactly once."""
    ctx.require_multi()
    with ctx.server() as srv:
        bob = srv.framed("bob")
        for k in range(20):
            a = greet(srv, f"alice{k}", token=f"{TOKEN}{k:02d}")
            a.msg(f"race {k}")  # sent, then reset at once: maybe read, maybe not
            a.abort()
            a2 = greet(srv, f"alice{k}", token=f"{TOKEN}{k:02d}")
            resend(a2, 1, f"race {k}")
            a2.close()
        # A copy the old connection's thread still holds may be relayed
        # just after the resend was ACKed: wait (bounded) until each is
        # there, then one more round trip for any second copy.
        want = {f"race {k}".encode() for k in range(20)}
        seen = []
        dl = deadline_in(T_SHORT)
        while not want <= set(seen):
            assert remaining(dl) > 0, f"missing: {sorted(want - set(seen))}"
            seen += [m.text for m in bob.sync() if m.type == "CHAT"]
        seen += [m.text for m in bob.sync() if m.type == "CHAT"]
        for k in range(20):
            assert seen.count(f"race {k}".encode()) == 1, (k, seen)


def test_other_session_not_confused(ctx):
    """Another client's ids are its own: MSG 1 from a second process is new."""
    with ctx.server("--history", "20") as srv:
        a = greet(srv, "alice")
        a.chat("from alice")
        a.close()
        b = greet(srv, "bert", token="0ther5e55104c0ff")
        resend(b, 1, "from bert")
        b.close()
        got = chats_seen_by_newcomer(srv, "carol")
        assert b"from alice" in got and b"from bert" in got, got


if __name__ == "__main__":
    run_tests(globals())
