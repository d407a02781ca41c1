#!/usr/bin/env python3
"""Rooms (issue 16, docs/PROTOCOL.md): /join, /part, /rooms, /topic, /who,
/away, ROOM and UNREAD for sockchat/2 clients, and messages that stay in
their room for every dialect.

usage: test_rooms.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import T_SHORT, deadline_in, remaining, run_tests  # noqa: E402
from test_admin import Admin, Tmp, admin_server  # noqa: E402
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
        t0 = time.monotonic()
        b.chat("first")
        b.chat("second")
        b.msg("/me third")
        b.sync()
        got = [(m.f(0), m.f(1)) for m in _types(a.sync(), "UNREAD")]
        # At most one a second: the first at once, the burst after it
        # held back (unless this machine took a second to send it).
        if time.monotonic() - t0 < 0.9:
            assert got == [("#lab", "1")], got
        assert got and got[0] == ("#lab", "1") and len(got) <= 3, got
        assert not _types(v1.sync(), "UNREAD"), "a v1 client got UNREAD"
        # The count held back comes with a message said anywhere once its
        # second is over (what is measured here is that second itself).
        time.sleep(max(0.0, t0 + 1.05 - time.monotonic()))
        v1.chat("in main, a second later")
        got = [(m.f(0), m.f(1)) for m in _types(a.sync(), "UNREAD")]
        assert got[-1:] == [("#lab", "3")], got
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
    """At most 128 rooms. One student who made 127 (with topics and
    history) cannot stop anyone making another: the empty room quiet
    longest makes way. Rooms with people in them do not: then the 129th is
    refused."""
    with ctx.server("--rate", "0") as srv:
        a = _framed(srv, "alice")
        for i in range(127):
            a.msg(f"/join #r{i}")
            a.msg("/topic kept")
            a.msg(f"said in #r{i}")
        a.sync()
        a.close()  # single mode serves one at a time
        b = _framed(srv, "bob")
        lines = _join(b, "#onemore")
        assert _types(lines, "OUT")[0].text.startswith(b"you are in #onemore now"), lines
        rooms = [m.text for m in _types(b.command("/rooms"), "OUT")]
        assert rooms[0] == b"128 rooms:", rooms[0]
        names = {r.split()[0] for r in rooms[1:]}
        assert b"#r0" not in names and b"#r1" in names, "not the quietest went"
        # An existing room can still be joined.
        assert _types(_join(b, "#r3"), "OUT")[0].text.startswith(b"you are in #r3 now")
        if ctx.mode == "single":
            return  # what follows needs 128 people at once
        # Every room with someone in it stays: 128 people, 128 rooms.
        with ctx.server("--rate", "0", "--max-per-addr", "0") as srv2:
            people = []
            for i in range(127):
                p = srv2.framed(f"p{i}")
                p.msg(f"/join #q{i}")
                people.append(p)
            for p in people:
                p.sync()
            c = _framed(srv2, "carol")
            errs = _types(_join(c, "#onemore"), "ERR")
            assert errs and errs[0].f(0) == "full" and \
                errs[0].text == b"too many rooms (128); join one of /rooms", errs


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


# The operator's controls, from the console ----------------------------------


def _who_head(f):
    """/who's first line (after whatever f had not read yet)."""
    heads = [m.text for m in _types(f.command("/who"), "OUT") if re.match(rb"^\d+ in #", m.text)]
    assert len(heads) == 1, heads
    return heads[0]


def test_split_and_gather(ctx):
    """split deals #main's people round-robin in order of arrival; gather
    brings everyone back."""
    ctx.require_multi()
    with ctx.server(tty=True) as srv:
        s = [_framed(srv, f"s{i}", version=2 if i % 2 else 1) for i in range(1, 6)]
        srv.console("split #a #b #a")
        srv.wait_log(r"^split 5 people into 2 rooms: #a 3, #b 2$", stream="out")
        srv.wait_log(r"operator: moved s5 to #a$", stream="err")
        # s1 (v2): ROOM; s2 (v1): the OUT line.
        m = s[0].wait_type("ROOM", pred=lambda m: m.f(0) == "#a")
        m = s[1].wait_type("OUT", pred=lambda m: m.text.startswith(b"you are in #"))
        assert m.text == b"you are in #b now (1 person)", m
        for i, f in enumerate(s):
            assert _who_head(f) == (b"3 in #a (5 connected):" if i % 2 == 0
                                    else b"2 in #b (5 connected):"), (i, _who_head(f))
        s[0].chat("only #a")
        s[2].wait_type("CHAT", pred=lambda m: m.text == b"only #a")
        assert b"only #a" not in _chats(s[1].sync())
        srv.console("rooms")
        srv.wait_log(r"^3 rooms:$", stream="out")
        srv.wait_log(r"^  #b +2 people$", stream="out")
        srv.console("gather")
        srv.wait_log(r"^gathered 5 people into #main$", stream="out")
        for f in s:
            f.sync()
            assert _who_head(f) == b"5 in #main (5 connected):", _who_head(f)
        srv.console("split")
        srv.wait_log(r"^usage: split #ROOM", stream="out")


def test_move(ctx):
    ctx.require_multi()
    with ctx.server(tty=True) as srv:
        a = _framed(srv, "alice")
        b = _framed(srv, "bob")
        srv.console("move bob #lab")
        srv.wait_log(r"^moved bob to #lab$", stream="out")
        m = b.wait_type("OUT", pred=lambda m: m.text.startswith(b"you are in"))
        assert m.text == b"you are in #lab now (1 person)", m
        m = a.wait_type("LEAVE")
        assert (m.nick, m.f(1), m.text) == ("bob", "1", b"went to #lab"), m
        srv.console("move nobody #lab")
        srv.wait_log(r"^no such nick: nobody$", stream="out")
        srv.console("move bob #lab")
        srv.wait_log(r"^bob is in #lab already$", stream="out")


def test_lock(ctx):
    """A locked room refuses a student's chat, /me and /topic; the
    operator's say to the room goes through."""
    with ctx.server(tty=True) as srv:
        a = _framed(srv, "alice")
        _join(a, "#lab")
        srv.console("lock #lab")
        srv.wait_log(r"^locked #lab$", stream="out")
        m = a.wait_type("NOTICE")
        assert m.text == b"#lab is locked: the teacher speaks, everyone reads", m
        want = b"#lab is locked by the operator: you can read, not write"
        for line in ("may I?", "/me waves", "/topic mine"):
            i = a.msg(line)
            lines = a.sync()
            errs = _types(lines, "ERR")
            assert errs and errs[0].f(0) == "locked" and errs[0].text == want, (line, lines)
            assert not [m for m in _types(lines, "ACK") if m.f(0) == str(i)], lines
        srv.console("say #lab listen up")
        srv.wait_log(r"^notice sent to #lab: listen up$", stream="out")
        m = a.wait_type("NOTICE")
        assert m.text == b"listen up", m
        srv.console("say #nowhere hello")
        srv.wait_log(r"^no room #nowhere", stream="out")
        srv.console("unlock #lab")
        m = a.wait_type("NOTICE")
        assert m.text == b"#lab is open again", m
        a.chat("thanks")


def test_lock_others_still_chat(ctx):
    """Locking one room leaves the others alone."""
    ctx.require_multi()
    with ctx.server(tty=True) as srv:
        a = _framed(srv, "alice")
        b = _framed(srv, "bob")
        _join(b, "#lab")
        srv.console("lock #lab")
        b.wait_type("NOTICE")
        assert not _types(a.sync(), "NOTICE"), "#main was told of #lab's lock"
        c = _framed(srv, "carol")
        a.chat("main is open")
        c.wait_type("CHAT", pred=lambda m: m.text == b"main is open")
        srv.console("say everyone hears this")
        for f in (a, b, c):
            f.wait_type("NOTICE", pred=lambda m: m.text == b"everyone hears this")


def test_pinned_topic(ctx):
    with ctx.server(tty=True) as srv:
        srv.console("topic #lab fractions")
        srv.wait_log(r"^pinned the topic of #lab: fractions$", stream="out")
        p = srv.plain()
        p.say("/join #lab")
        p.expect_you()
        assert p.readline() == b"you are in #lab now (1 person); topic: fractions"
        assert p.readline() == b"*** notice: topic of #lab: fractions"
        lines = _plain_cmd(p, "/topic mine now")
        assert lines == [b"error: the topic of #lab is pinned by the operator"], lines
        lines = _plain_cmd(p, "/rooms")
        assert any(re.match(rb"^  #lab +1 person  \(you are here\)  topic: fractions \(pinned\)$",
                            l) for l in lines), lines
        srv.console("topic #lab")
        srv.wait_log(r"^cleared the topic of #lab$", stream="out")
        p.expect(b"*** notice: the operator cleared the topic of #lab")
        lines = _plain_cmd(p, "/topic mine now")
        assert lines == [b"*** notice: guest1 set the topic of #lab: mine now"] or \
            (len(lines) == 1 and lines[0].endswith(b" set the topic of #lab: mine now")), lines


def test_transcript_keeps_every_room(ctx):
    """--transcript: a restart restores each room's own history and topic
    (the pinned one pinned), and a room's messages stay in that room."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "chat.log")
        with ctx.server("--transcript", path, tty=True) as srv:
            srv.console("topic #lab1 fractions")
            srv.wait_log(r"^pinned the topic of #lab1: fractions$", stream="out")
            a = _framed(srv, "alice", version=2)
            a.chat("in main")
            _join(a, "#lab1")
            a.chat("in lab1")
            _join(a, "#lab2")
            a.command("/topic decimals")
            a.chat("in lab2")
        with ctx.server("--transcript", path) as srv:
            b = srv.framed("bob", version=2)
            assert _chats(b.sync()) == [b"in main"]
            lines = _join(b, "#lab1")
            assert _chats(lines) == [b"in lab1"], lines
            room = _types(lines, "ROOM")
            assert room and room[0].text == b"fractions", lines
            assert _types(b.command("/topic students' topic"), "ERR"), \
                "the pinned topic was not pinned after the restart"
            lines = _join(b, "#lab2")
            assert _chats(lines) == [b"in lab2"], lines
            assert _types(lines, "ROOM")[0].text == b"decimals", lines


def test_admin_socket_rooms(ctx):
    """The admin socket: ROW room=, STATS rooms=, and the same commands."""
    with Tmp() as tmp, admin_server(ctx, tmp) as srv:
        a = Admin.attach(srv.admin_path)
        assert a.command("subscribe stats roster")[1] == "OK subscribed: stats roster"
        f = _framed(srv, "fiona")
        _join(f, "#lab")
        _, rows = a.roster(lambda rows: any(r.get("room") == "#lab" for r in rows), timeout=3.0)
        assert [r["nick"] for r in rows if r.get("room") == "#lab"] == ["fiona"], rows
        a.stats(lambda s: s.get("rooms") == "2", timeout=3.0)
        outs, end = a.command("rooms")
        assert end == "OK" and outs[0] == "2 rooms:", outs
        assert end == "OK" and re.match(r"^  #lab +1 person$", outs[2]), outs
        assert a.command("move fiona #main")[1] == "OK moved fiona to #main"
        f.wait_type("OUT", pred=lambda m: m.text == b"you are in #main now (1 person)")
        outs, end = a.command("rooms")  # #lab was empty, and went
        assert outs == ["1 room:", "  #main    1 person"], outs
        srv.wait_log(r"operator \(admin pid \d+\): moved fiona to #main")


if __name__ == "__main__":
    run_tests(globals())
