#!/usr/bin/env python3
"""Spoofing (issue 11, items 9, 12 and 14): a nick given up is held for its
owner; nicks that look the same are one nick; padding cannot forge a line
for nc users or in the server's log; --name must be printable; throwaway
SESSION tokens cannot push out another address's entry.

usage: test_spoof.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import (T_SHORT, Framed, Plain, Server, deadline_in, remaining,  # noqa: E402
                     run_tests)

TOKEN = "a11ce0000000f00d"
OTHER = "e5e000000000beef"
LOG_CONT = "          ... "  # server.h: the mark of a log line's further rows


def ours(srv, nick, token, source=None):
    """As sockchat connects: HELLO, then SESSION after the WELCOME."""
    c = srv._track(Framed.connect(srv.addr, source=source))
    c.hello(nick)
    c.sendline(f"SESSION {token}")
    return c


def errors(msgs):
    return [m.text.decode() for m in msgs if m.type == "ERR"]


def test_nick_held_for_its_owner(ctx):
    """alice's connection drops: bob cannot take her nick (or a look-alike)
    and a stranger's HELLO for it ends up a guest, while a private message
    to alice reaches nobody; alice, back with her token, is alice again and
    gets her messages."""
    ctx.require_multi()
    with ctx.server() as srv:
        bob = srv.framed("bob")
        alice = ours(srv, "alice", TOKEN)
        alice.sync()
        bob.wait_type("JOIN", pred=lambda m: m.nick == "alice")
        alice.abort()
        bob.wait_type("LEAVE", pred=lambda m: m.nick == "alice")

        errs = errors(bob.command("/nick alice"))
        assert len(errs) == 1 and re.match(r"alice is held for its owner for 1[12]\d s", errs[0]), \
            errs
        errs = errors(bob.command("/nick ALICE_"))
        assert errs and "held for its owner" in errs[0], errs
        p = srv._track(Plain.connect(srv.addr))
        p.say("/nick aIice")
        p.expect(lambda l: l.startswith(b"error: alice is held for its owner"))

        # A stranger, even with a token of its own: told on trust, then a
        # guest; the room meanwhile hears nothing of an "alice".
        m = ours(srv, "alice", OTHER)
        assert m.welcome.nick == "alice", m.welcome
        nick = m.wait_type("NICK", pred=lambda x: x.f(0) == "alice")
        guest = nick.f(1)
        assert guest.startswith("guest"), nick
        err = m.wait_type("ERR")
        assert "held for its owner" in err.text.decode(), err
        seen = bob.sync()
        assert not [x for x in seen if x.nick == "alice"], seen
        assert [x for x in seen if x.type == "JOIN" and x.nick == guest], seen
        errs = errors(bob.command("/msg alice are you there?"))
        assert errs == ["no such nick: alice"], errs

        # alice comes back: hers again, and a private message reaches her.
        a2 = ours(srv, "alice", TOKEN)
        assert a2.welcome.nick == "alice", a2.welcome
        bob.wait_type("JOIN", pred=lambda x: x.nick == "alice")
        bob.command("/msg alice welcome back")
        got = a2.wait_type("PRIV")
        assert got.f(1) == "bob" and got.f(2) == "alice" and got.text == b"welcome back", got
        m.sync()
        assert not [x for x in m.sync() if x.type == "PRIV"]


def test_look_alikes_are_one_nick(ctx):
    """While alice is here, aIice, ALICE_ and a1ice are hers; a nick starts
    with a letter or digit."""
    ctx.require_multi()
    with ctx.server() as srv:
        srv.framed("alice")
        bob = srv.framed("bob")
        for alike in ("aIice", "ALICE_", "a1ice", "Alice-"):
            errs = errors(bob.command(f"/nick {alike}"))
            assert errs == [f"alice is already taken ({alike} looks the same)"], (alike, errs)
        for bad in ("-x", "--", "_bob"):
            errs = errors(bob.command(f"/nick {bad}"))
            assert len(errs) == 1 and "starting with a letter or digit" in errs[0], (bad, errs)
        c = srv._track(Framed.connect(srv.addr))
        w = c.hello("aIice")
        assert w.nick.startswith("guest"), w


def test_padding_collapsed_for_plain(ctx):
    """Chat padded with blanks to push a forged line to the start of nc's
    next row reaches a plain client collapsed; a framed one gets it as sent
    (our client indents wrapped rows)."""
    ctx.require_multi()
    with ctx.server() as srv:
        p = srv._track(Plain.connect(srv.addr))
        p.say("/nick nc")
        p.expect(lambda l: l.endswith(b"is now known as nc"))
        f = srv.framed("listener")
        eve = srv.framed("eve")
        text = "ok" + " " * 78 + "\u3000" * 4 + "*** alice left (2 online)"
        eve.chat(text)
        p.expect(b"<eve> ok   *** alice left (2 online)")
        got = f.wait_type("CHAT", pred=lambda m: m.nick == "eve")
        assert got.text == text.encode(), got


def test_log_collapses_and_marks(ctx):
    """The log (a pipe here) shows the padded message collapsed; on a
    terminal 100 columns wide, a line wider than that is broken by the
    server into rows no wider, each further one marked, so the forged
    text never starts a row."""
    ctx.require_multi()
    forged = "15:30:02  127.0.0.1:40999        alice      says: give me your password"
    with ctx.server() as srv:
        eve = srv.framed("eve")
        eve.chat("ok" + " " * 300 + forged)
        srv.wait_log(r"says: ok   15:30:02  127\.0\.0\.1:40999   alice   says: give me")
    with ctx.server(err_cols=100) as srv:
        eve = srv.framed("eve")
        eve.chat("ok" + "." * 45 + forged)
        srv.wait_log(r"password")
        with srv.cond:
            rows = list(srv.err)
        start = next(i for i, r in enumerate(rows) if re.search(r"eve +says:", r))
        end = next(i for i, r in enumerate(rows) if "password" in r)
        assert end > start, rows[start:end + 1]
        for r in rows[start:end + 1]:
            assert len(r) <= 99, (len(r), r)
        for r in rows[start + 1:end + 1]:
            assert r.startswith(LOG_CONT), r


def test_name_must_be_printable(ctx):
    """--name with a control character, an escape, invalid UTF-8 or blanks
    at an end is refused at start-up (exit 64), shown safely."""
    ctx.require_mode("threads")  # start-up only: once is enough
    for name in ("class\x1b[2J", "tab\there", "caf\udce9", " lead", "trail "):
        arg = name.encode("utf-8", "surrogateescape")
        srv = Server(ctx.binary, "--name", os.fsdecode(arg), expect_listen=False)
        try:
            rc = srv.wait()
        finally:
            srv.kill()  # a server that took the name must not outlive the test
        assert rc == 64, (name, rc, srv.err)
        assert any("bad --name" in e for e in srv.err), srv.err
        assert not any("\x1b" in e for e in srv.err), srv.err
        assert not srv.out, srv.out
    with ctx.server("--name", "Salle 12 \u2014 r\u00e9seaux") as srv:
        w = srv.framed("alice").welcome
        assert w.text.decode() == "Salle 12 \u2014 r\u00e9seaux", w


def test_token_flood_keeps_others(ctx):
    """A resend whose ACK was lost is not relayed twice, even after more
    throwaway SESSION tokens from another address than the table holds.
    The limits per address are off: they would shrink the flood, and this
    is about the token table's own bound."""
    with ctx.server("--max-per-addr", "0") as srv:
        v = ours(srv, "victim", TOKEN, source="127.0.0.2")
        v.chat("only once")
        v.close()  # as if ACK 1 had been lost with the connection
        dl = deadline_in(T_SHORT * 6)
        for k in range(1100):  # RESUME_SLOTS is 1024
            assert remaining(dl) > 0, f"flood too slow: {k} connections"
            c = Framed.connect(srv.addr)
            c.send(f"HELLO sockchat/1 x\nSESSION flood{k:08d}\nPING f{k}\n".encode())
            # Its PONG (the SESSION was read), or a refusal (a limit on
            # connections per address would only shrink the flood).
            while (line := c.readline()) is not None and not line.startswith((b"PONG", b"ERR")):
                pass
            c.close()
        v2 = ours(srv, "victim", TOKEN, source="127.0.0.2")
        v2.send(b"MSG 1 only once\n")
        v2.wait_type("ACK", pred=lambda m: m.f(0) == "1")
        v2.close()
        n = srv.framed("newcomer")
        got = [m.text for m in n.sync() if m.type == "CHAT"]
        assert got.count(b"only once") == 1, got


if __name__ == "__main__":
    run_tests(globals())
