#!/usr/bin/env python3
"""Rooms (issue 16, docs/PROTOCOL.md): /join, /part, /rooms, /topic, /who,
/away, ROOM and UNREAD for sockchat/2 clients, and messages that stay in
their room for every dialect.

usage: test_rooms.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import T_SHORT, deadline_in, remaining, run_tests  # noqa: E402
from test_interop import PROMPT, REPLY, TutorialClient  # noqa: E402

BAD_NAME = b"room names are # and 1-24 of a-z 0-9 _ -"


def _types(lines, typ):
    return [m for m in lines if m.type == typ]


def _chats(lines):
    return [m.text for m in lines if m.type in ("CHAT", "ACTION")]


def _framed(srv, nick, version=1):
    """A framed client, with what its join sent (the history, its 'you
    are' line) read."""
    f = srv.framed(nick, version=version)
    f.sync()
    return f


def _join(f, room):
    """f (framed) goes to room; returns what it was told up to a sync."""
    return f.command(f"/join {room}")


def _plain_cmd(p, text):
    """A plain client's command; returns the lines up to its /ping's pong."""
    p.say(text)
    p.say("/ping roomsync")
    lines, _ = [], None
    dl = deadline_in(T_SHORT)
    while True:
        line = p.readline(deadline=dl)
        assert line is not None, f"no pong after {text!r}: {lines!r}"
        if line == b"pong roomsync":
            return lines
        lines.append(line)


def _raw_cmd(r, text):
    """A raw (tutorial) message and its one reply."""
    r.send(text.encode())
    dl = deadline_in(T_SHORT)
    while True:
        r._fill(dl)
        if r.buf:
            break
    # The reply is whatever one read brings; the tutorial reads one recv().
    got, r.buf = r.buf, b""
    return got


def test_welcome_then_room_for_v2(ctx):
    """A sockchat/2 client hears ROOM #main right after WELCOME, before the
    history; a sockchat/1 client never gets ROOM."""
    with ctx.server() as srv:
        a = srv.framed("alice", version=2)
        m = a.next()
        assert m.type == "ROOM" and m.fields == [b"#main", b"1"] and m.text == b"", m
        a.chat("kept in history")
        a.close()
        b = srv.framed("bob", version=2)
        m = b.next()
        assert m.type == "ROOM" and m.f(0) == "#main", m
        m = b.next()
        assert m.type == "CHAT" and m.text == b"kept in history", m
        b.close()  # single mode serves one at a time
        c = srv.framed("carol")  # v1
        lines = c.sync()
        assert not _types(lines, "ROOM"), lines


def test_messages_stay_in_their_room(ctx):
    """Chat and /me from framed v1, framed v2, plain and raw reach only
    the members of the sender's room."""
    ctx.require_multi()
    with ctx.server() as srv:
        v1 = _framed(srv, "v1")
        v2 = _framed(srv, "v2", version=2)
        p = srv.plain()
        p.say("/nick pl")
        p.expect_you()
        r = srv.raw()
        got = _raw_cmd(r, "/nick raw")
        assert b"raw" in got, got
        _join(v2, "#lab")
        _plain_cmd(p, "/join #lab")
        v1.sync()
        # #lab: v2, pl.  #main: v1, raw.
        v2.chat("lab from v2")
        p.say("lab from plain")
        p.expect(b"<v2> lab from v2")
        p.expect(b"Message received")
        v2.wait_type("CHAT", pred=lambda m: m.text == b"lab from plain")
        v2.msg("/me waves in lab")
        v2.sync()
        p.expect(b"* v2 waves in lab")
        v1.chat("main from v1")
        assert _raw_cmd(r, "main from raw") == b"Message received"
        v1.wait_type("CHAT", pred=lambda m: m.text == b"main from raw")
        # The raw client moves to #lab; its chat goes there now.
        got = _raw_cmd(r, "/join #lab")
        assert got.startswith(b"you are in #lab now (3 people)"), got
        assert _raw_cmd(r, "lab from raw") == b"Message received"
        v2.wait_type("CHAT", pred=lambda m: m.text == b"lab from raw")
        p.expect(lambda l: l.endswith(b"> lab from raw"))
        seen_v1 = _chats(v1.sync())
        assert seen_v1 == [], f"#main heard #lab: {seen_v1}"
        seen_v2 = _chats(v2.sync())
        assert b"main from v1" not in seen_v2 and b"main from raw" not in seen_v2, seen_v2
        lines = _plain_cmd(p, "/ping x")
        assert not any(b"main from" in l for l in lines), lines


def test_join_leave_only_in_the_room(ctx):
    ctx.require_multi()
    with ctx.server() as srv:
        a = _framed(srv, "alice")
        c = _framed(srv, "carol")
        _join(c, "#lab")
        a.sync()
        b = _framed(srv, "bob")
        m = a.wait_type("JOIN", pred=lambda m: m.nick == "bob")
        assert m.f(1) == "2", m  # #main's count: alice and bob
        assert not _types(c.sync(), "JOIN"), "#lab heard a JOIN to #main"
        _join(b, "#lab")
        m = a.wait_type("LEAVE", pred=lambda m: m.nick == "bob")
        assert m.f(1) == "1" and m.text == b"went to #lab", m
        m = c.wait_type("JOIN", pred=lambda m: m.nick == "bob")
        assert m.f(1) == "2", m
        b.close()
        m = c.wait_type("LEAVE", pred=lambda m: m.nick == "bob")
        assert m.f(1) == "1", m
        assert not _types(a.sync(), "LEAVE"), "#main heard a LEAVE from #lab"


def test_msg_across_rooms(ctx):
    ctx.require_multi()
    with ctx.server() as srv:
        a = _framed(srv, "alice")
        b = _framed(srv, "bob")
        outs = _types(_join(b, "#lab"), "OUT")
        assert outs and outs[0].text == b"you are in #lab now (1 person)", outs
        lines = a.command("/msg bob hello from main")
        assert _types(lines, "PRIV"), lines
        m = b.wait_type("PRIV")
        assert (m.f(1), m.f(2), m.text) == ("alice", "bob", b"hello from main"), m


def test_who_and_who_star(ctx):
    ctx.require_multi()
    with ctx.server() as srv:
        a = _framed(srv, "alice")
        b = _framed(srv, "bob")
        _framed(srv, "carol")
        _join(b, "#lab")
        outs = [m.text for m in _types(b.command("/who"), "OUT")]
        assert outs[0] == b"1 in #lab (3 connected):", outs
        assert len(outs) == 2 and re.match(rb"^  bob  +127\.0\.0\.1:\d+  on .*\(sockchat, you\)$",
                                           outs[1]), outs
        outs = [m.text for m in _types(a.command("/who"), "OUT")]
        assert outs[0] == b"2 in #main (3 connected):", outs
        assert [o.split()[0] for o in outs[1:]] == [b"alice", b"carol"], outs
        outs = [m.text for m in _types(a.command("/who *"), "OUT")]
        assert outs[0] == b"3 connected (3 in 2 rooms):", outs
        rows = {o.split()[0]: o.split()[1] for o in outs[1:]}
        assert rows == {b"alice": b"#main", b"bob": b"#lab", b"carol": b"#main"}, outs
        errs = _types(a.command("/who everyone"), "ERR")
        assert errs and errs[0].f(0) == "usage", errs


def test_rooms_rows(ctx):
    with ctx.server() as srv:
        a = _framed(srv, "alice")
        _join(a, "#lab")
        a.command("/topic fractions")
        outs = [m.text.decode() for m in _types(a.command("/rooms"), "OUT")]
        assert outs[0] == "2 rooms:", outs
        assert re.match(r"^  #main +0 people$", outs[1]), outs
        assert re.match(r"^  #lab +1 person  \(you are here\)  topic: fractions$", outs[2]), outs


def test_topic_set_shown_on_join(ctx):
    ctx.require_multi()
    with ctx.server() as srv:
        a = _framed(srv, "alice", version=2)
        v1 = _framed(srv, "victor")
        _join(a, "#lab")
        _join(v1, "#lab")
        outs = _types(a.command("/topic"), "OUT")
        assert outs[0].text == b"#lab has no topic", outs
        lines = a.command("/topic  fractions, chapter 3")
        notes = _types(lines, "NOTICE")
        assert notes and notes[0].text == b"alice set the topic of #lab: fractions, chapter 3", lines
        rooms = _types(lines, "ROOM")
        assert rooms and rooms[0].fields == [b"#lab", b"2"] and \
            rooms[0].text == b"fractions, chapter 3", lines
        m = v1.wait_type("NOTICE")
        assert m.text == b"alice set the topic of #lab: fractions, chapter 3", m
        assert not _types(v1.sync(), "ROOM"), "a v1 client got ROOM"
        a.chat("before you came")
        # A newcomer: the OUT line, the history, then the topic.
        p = srv.plain()
        p.say("/join lab")
        assert p.expect_you().startswith("guest")
        assert p.readline() == b"you are in #lab now (3 people); topic: fractions, chapter 3"
        assert p.readline() == b"<alice> before you came"
        assert p.readline() == b"*** notice: topic of #lab: fractions, chapter 3"
        outs = _types(v1.command("/topic"), "OUT")
        assert outs[0].text == b"topic of #lab: fractions, chapter 3", outs


def test_room_change_v2_and_v1(ctx):
    """/join: ROOM, the history, then the topic for v2; an OUT line instead
    of ROOM for v1; /part goes back to #main."""
    with ctx.server() as srv:
        a = _framed(srv, "alice", version=2)
        _join(a, "#lab")
        a.chat("one")
        a.chat("two")
        lines = _join(a, "#main")
        assert lines[0].type == "ROOM" and lines[0].fields == [b"#main", b"1"], lines
        lines = _join(a, "#LAB")
        assert [(m.type, m.text) for m in lines] == [("ROOM", b""), ("CHAT", b"one"),
                                                     ("CHAT", b"two")], lines
        assert lines[0].fields == [b"#lab", b"1"], lines
        outs = _types(_join(a, "#lab"), "OUT")
        assert outs[0].text == b"you are already in #lab", outs
        lines = a.command("/part")
        assert lines[0].type == "ROOM" and lines[0].f(0) == "#main", lines
        outs = _types(a.command("/part"), "OUT")
        assert outs[0].text == b"you are in #main, where everyone starts", outs
        a.close()
        v = _framed(srv, "victor")
        lines = _join(v, "#lab")
        assert [(m.type, m.text) for m in lines] == [
            ("OUT", b"you are in #lab now (1 person)"), ("CHAT", b"one"), ("CHAT", b"two")], lines


def test_unread_counts(ctx):
    ctx.require_multi()
    with ctx.server() as srv:
        a = _framed(srv, "alice", version=2)
        v1 = _framed(srv, "victor")
        b = _framed(srv, "bob")
        for f in (a, v1, b):
            _join(f, "#lab")
        a.command("/part")
        v1.command("/part")
        b.chat("first")
        b.chat("second")
        b.msg("/me third")
        b.sync()
        got = [(m.f(0), m.f(1)) for m in _types(a.sync(), "UNREAD")]
        assert got == [("#lab", "1"), ("#lab", "2"), ("#lab", "3")], got
        assert not _types(v1.sync(), "UNREAD"), "a v1 client got UNREAD"
        # Back in #lab: the count starts again, and no UNREAD while there.
        _join(a, "#lab")
        b.chat("while alice is here")
        a.wait_type("CHAT", pred=lambda m: m.text == b"while alice is here")
        assert not _types(a.sync(), "UNREAD")
        a.command("/part")
        b.chat("after")
        got = [(m.f(0), m.f(1)) for m in _types(a.sync(), "UNREAD")]
        assert got == [("#lab", "1")], got


def test_away(ctx):
    ctx.require_multi()
    with ctx.server() as srv:
        a = _framed(srv, "alice")
        b = _framed(srv, "bob")
        _join(b, "#lab")
        outs = _types(b.command("/away  at lunch"), "OUT")
        assert outs[0].text == b"you are away: at lunch", outs
        rows = [m.text for m in _types(a.command("/who *"), "OUT")]
        bob = [r for r in rows if r.startswith(b"  bob")]
        assert bob and bob[0].endswith(b"(sockchat) away: at lunch"), rows
        lines = a.command("/msg bob are you there")
        assert _types(lines, "PRIV"), lines
        outs = _types(lines, "OUT")
        assert [o.text for o in outs] == [b"bob is away: at lunch"], lines
        lines = a.command("/msg bob still?")
        assert _types(lines, "PRIV") and not _types(lines, "OUT"), "told twice"
        got = [m.text for m in _types(b.sync(), "PRIV")]
        assert got == [b"are you there", b"still?"], got
        outs = _types(b.command("/away"), "OUT")
        assert outs[0].text == b"you are back", outs
        outs = _types(b.command("/away"), "OUT")
        assert outs[0].text == b"you are away: away", outs
        lines = a.command("/msg bob again")
        assert [o.text for o in _types(lines, "OUT")] == [b"bob is away: away"], lines


def test_bad_room_names(ctx):
    with ctx.server() as srv:
        a = _framed(srv, "alice")
        for bad in ("#", "#a.b", "#" + "x" * 25, "##lab", "#lab extra"):
            errs = _types(_join(a, bad), "ERR")
            assert errs and errs[0].f(0) == "usage" and errs[0].text == BAD_NAME, (bad, errs)
        errs = _types(_join(a, ""), "ERR")
        assert errs and errs[0].text == b"usage: /join #ROOM", errs
        outs = _types(_join(a, "Lab_1-x"), "OUT")
        assert outs[0].text == b"you are in #lab_1-x now (1 person)", outs
        outs = _types(_join(a, "#" + "y" * 24), "OUT")
        assert outs[0].text.startswith(b"you are in #yyyy"), outs


def test_rooms_max(ctx):
    """At most 128 rooms: a room kept by its topic counts; the 129th is refused."""
    with ctx.server("--rate", "0") as srv:
        a = _framed(srv, "alice")
        for i in range(127):
            a.msg(f"/join #r{i}")
            a.msg("/topic kept")
        a.sync()
        errs = _types(_join(a, "#onemore"), "ERR")
        assert errs and errs[0].f(0) == "full" and \
            errs[0].text == b"too many rooms (128); join one of /rooms", errs
        outs = _types(a.command("/rooms"), "OUT")
        assert outs[0].text == b"128 rooms:", outs[0]
        # An existing room can still be joined.
        assert _types(_join(a, "#r3"), "OUT")[0].text.startswith(b"you are in #r3 now")


def test_tutorial_client_unaffected(ctx):
    """The tutorial's client: one reply per message, also to /join, and its
    chat goes to its room."""
    ctx.require_multi()
    with ctx.server() as srv:
        host, port = srv.addr
        watcher = _framed(srv, "watcher")
        _join(watcher, "#lab")
        c = TutorialClient(host, port)
        try:
            rc = c.session(["hello main", "/join #lab", "hello lab", "exit"])
        finally:
            c.kill()
        assert rc == 0
        parts = c.out.split(PROMPT)
        assert parts[1] == REPLY, parts
        assert parts[2] == b"Server response: you are in #lab now (2 people)\n", parts
        assert parts[3] == REPLY and parts[4] == REPLY + b"Exiting client.\n", parts
        # Its reply came after the chat was queued for the room.
        chats = _chats(watcher.sync())
        assert chats == [b"hello lab"], chats


if __name__ == "__main__":
    run_tests(globals())
