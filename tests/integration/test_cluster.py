#!/usr/bin/env python3
"""Several sockchat-server nodes, one chat, through a Redis of the test's
own (issue 18; docs/PROTOCOL.md, --cluster): order and exactly-once across
nodes for every dialect, nicks, /msg, /who and the operator's moderation
across nodes, a node killed mid-chat, Redis stopped and restarted, and Redis
not there when the nodes start.

Skipped (exit 77) when redis-server is not installed (scripts/deps.sh test
installs it). --mode single runs only the check that a single-mode server
refuses --cluster.

usage: test_cluster.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import re
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chatlib  # noqa: E402
from chatlib import (T_LONG, T_SHORT, YOU_ARE_RE, Framed, Msg, Timeout, deadline_in,  # noqa: E402
                     remaining, run_tests)
from redislib import (RedisServer, cluster, free_port, joined_line, require_redis,  # noqa: E402
                      start_node, stream_count)

PREFIX = "sockchat"
STREAM = PREFIX + ":chat"
UNREACHABLE = r"cluster: Redis unreachable.*messages reach this node only"
BACK = r"cluster: Redis is back"
PLAIN_CHAT = re.compile(rb"^<([^>]+)> (.*)$")


# --------------------------------------------------------------------------
# Clients that keep every line they read, so that a test can look at the
# whole of what each one was sent, in order.


def framed(node, nick, version=2, token=None):
    """A framed client on `node`; with SESSION TOKEN after its WELCOME (as
    sockchat sends it) when a token is given."""
    c = node._track(Framed.connect(node.addr))
    c.hello(nick, version=version)
    c.lines = []
    c.dialect = "framed"
    c.version = version
    if token:
        c.sendline(f"SESSION {token}")
    return c


def plain(node, tag):
    """A plain (nc) client that joined with `/ping TAG`; .nick is the guest
    nick it was told."""
    p = node.plain()
    p.dialect = "plain"
    p.say(f"/ping {tag}")
    want = b"pong " + tag.encode()
    line, skipped = p.read_until(lambda l: l == want, what=repr(want))
    p.lines = skipped
    you = [m.group(1).decode() for m in map(YOU_ARE_RE.match, skipped) if m]
    assert len(you) == 1, f"plain client not told its nick once: {skipped!r}"
    p.nick = you[0]
    return p


def read_into(c, pred, timeout=None, what="a matching line"):
    """The first line that no earlier wait took (c.taken) for which
    pred(line) holds, read into c.lines if it has not come yet: a line read
    on the way by another wait (a chat line while waiting for an ACK) is
    found later. Returns it."""
    if not hasattr(c, "taken"):
        c.taken = set()
    for k, line in enumerate(c.lines):
        if k not in c.taken and pred(line):
            c.taken.add(k)
            return line
    dl = deadline_in(timeout or T_SHORT)
    while True:
        try:
            line = c.readline(deadline=dl)
        except Timeout:
            raise Timeout(f"{getattr(c, 'nick', '?')}: no {what} before the deadline; "
                          f"last lines {c.lines[-8:]!r}")
        assert line is not None, f"{getattr(c, 'nick', '?')}: EOF before {what}; " \
                                 f"last lines {c.lines[-8:]!r}"
        c.lines.append(line)
        if pred(line):
            c.taken.add(len(c.lines) - 1)
            return line


def chat_text(c, line):
    """(nick, text) of a chat line as `c`'s dialect shows it, else None."""
    if c.dialect == "framed":
        if line.startswith(b"CHAT "):
            m = Msg(line)
            return m.nick.encode(), m.text
        return None
    m = PLAIN_CHAT.match(line)
    return (m.group(1), m.group(2)) if m else None


def chats(c):
    """Every chat line `c` read so far, in order: [(nick, text)]."""
    return [t for t in (chat_text(c, line) for line in c.lines) if t]


def texts(c):
    return [t for _, t in chats(c)]


def wait_chat(c, text, timeout=None):
    """Reads until a chat line with exactly `text` arrives."""
    text = text.encode() if isinstance(text, str) else text
    read_into(c, lambda l: (chat_text(c, l) or (None, None))[1] == text, timeout,
              f"chat {text!r}")


def send_chat(c, text, timeout=None):
    """A framed client's chat, its ACK awaited (lines on the way kept)."""
    i = c.msg(text)
    read_into(c, lambda l: l == b"ACK %d" % i, timeout, f"ACK {i}")
    return i


def command(c, text):
    """A framed client's /command: the OUT/ERR/... lines before a PING
    round trip (also kept in c.lines)."""
    c.msg(text)
    before = len(c.lines)
    tok = f"cmd{c.next_id}"
    c.next_id += 1
    c.sendline(f"PING {tok}")
    pong = b"PONG " + tok.encode()
    read_into(c, lambda l: l == pong, what=f"PONG {tok}")
    return [Msg(line) for line in c.lines[before:c.lines.index(pong, before)]]


def cluster_lines(c):
    """The CLUSTER lines a framed client read: [(state, text)]."""
    out = []
    for line in c.lines:
        if line.startswith(b"CLUSTER "):
            parts = line.split(b" ", 2)
            out.append((parts[1], parts[2] if len(parts) > 2 else b""))
    return out


def wait_cluster(c, state, timeout=None):
    """Reads until `CLUSTER STATE TEXT`; returns TEXT."""
    line = read_into(c, lambda l: l.startswith(b"CLUSTER %s" % state.encode()), timeout,
                     f"CLUSTER {state}")
    parts = line.split(b" ", 2)
    assert parts[1] == state.encode() and len(parts) == 3 and parts[2], \
        f"not CLUSTER {state} TEXT: {line!r}"
    return parts[2]


def who(c):
    """/who: (the people its heading counts, the set of nicks of its rows).
    Its heading `N in #main (M connected):` counts the whole cluster; this
    node's people follow, then, on a cluster, `K on other nodes:` and
    theirs; rows are indented."""
    rows = [m.text for m in command(c, "/who") if m.type == "OUT"]
    heads = [k for k, r in enumerate(rows) if re.match(rb"^\d+ in #", r)]
    assert heads, f"no /who heading: {rows!r}"
    rows = rows[heads[-1]:]
    counted = int(rows[0].split()[0])
    return counted, {r.split()[0].decode() for r in rows if r.startswith(b"  ")}


def stats_cluster_line(c):
    """The `cluster:` line of /stats (the text of its OUT line)."""
    outs = [m.text for m in command(c, "/stats") if m.type == "OUT"]
    found = [t for t in outs if t.startswith(b"cluster:")]
    assert len(found) == 1, f"/stats has no single 'cluster:' line: {outs!r}"
    return found[0]


def poll(check, what, timeout=None, every=0.25):
    """Calls check() until it returns something true, at most every
    `every` seconds (under --rate's 10 messages/s when check sends one),
    within the deadline; returns that. For what a node learns on its
    keeper's round (once a second: other nodes' people), which no line
    announces: polling the state, as an e2e test polls a screen."""
    dl = deadline_in(timeout or T_SHORT)
    pause = threading.Event()
    while True:
        got = check()
        if got:
            return got
        if remaining(dl) <= 0:
            raise Timeout(f"not within the deadline: {what}")
        pause.wait(min(every, max(0.0, remaining(dl))))


def run_threads(fns):
    """Runs each fn in a thread of its own, at once; raises the first
    exception one of them raised."""
    errors = []

    def wrap(fn):
        try:
            fn()
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(fn,), daemon=True) for fn in fns]
    for t in threads:
        t.start()
    dl = deadline_in(T_LONG)
    for t in threads:
        t.join(max(0.0, remaining(dl)))
        if t.is_alive():
            raise Timeout("a sender thread did not finish")
    if errors:
        raise errors[0]


# --------------------------------------------------------------------------


def test_order_and_exactly_once_every_dialect(ctx):
    """Three nodes, on each a sockchat/2 and a sockchat/1 client, an nc-style
    one and the tutorial's raw one, all sending at once: every framed and
    plain receiver on every node sees every other sender's lines exactly
    once, each sender's in its order, and all of them in the SAME order;
    every sender got its ACK (raw: Message received)."""
    per_sender = chatlib.scaled(15)
    with RedisServer() as redis, cluster(ctx, redis, 3, "--rate", "0") as nodes:
        senders = []    # every client, each with its .dialect
        receivers = []  # those that see others' lines: framed and plain
        for k, node in enumerate(nodes, 1):
            f2 = framed(node, f"new{k}", version=2)
            f1 = framed(node, f"old{k}", version=1)
            p = plain(node, f"p{k}")
            r = node.raw()
            r.dialect = "raw"
            senders += [f2, f1, p, r]
            receivers += [f2, f1, p]
        for c in receivers:
            if c.dialect == "framed":
                read_into(c, lambda l, c=c: l.startswith(b"OUT you are "), what="OUT you are")
        # Who is who: texts are s<index>:<seq>.
        sender_of = {i: c for i, c in enumerate(senders)}

        def send(i, c):
            def go():
                if c.dialect == "framed":
                    ids = []
                    for q in range(1, per_sender + 1):
                        ids.append(c.msg(f"s{i}:{q}"))
                    want = {b"ACK %d" % x for x in ids}
                    read_into(c, lambda l: want.discard(l) or not want, T_LONG,
                              f"ACKs of {ids}")
                elif c.dialect == "plain":
                    for q in range(1, per_sender + 1):
                        c.say(f"s{i}:{q}")
                    got = [0]

                    def acked(line):
                        got[0] += line == b"Message received"
                        return got[0] == per_sender

                    read_into(c, acked, T_LONG, f"{per_sender} 'Message received'")
                else:
                    for q in range(1, per_sender + 1):
                        c.send(f"s{i}:{q}")
                        reply = c.recv_exact_text(b"Message received", T_SHORT)
                        assert reply == b"Message received", f"raw sender {i}: {reply!r}"
            return go

        run_threads([send(i, c) for i, c in sender_of.items()])

        # Two markers from two nodes, after every sender's ACK: a receiver
        # that has both (or the other one, for their senders) has been
        # given everything the stream holds before them, duplicates too.
        markers = [(receivers[0], b"marker from node1"), (receivers[3], b"marker from node2")]
        for c, text in markers:
            send_chat(c, text)
        for c in receivers:
            for who, text in markers:
                if who is not c:
                    wait_chat(c, text, T_LONG)

        expected = {f"s{i}:{q}".encode() for i in sender_of for q in range(1, per_sender + 1)}
        nick_of = {}  # sender index -> nick, as the receivers saw it
        orders = []
        for c in receivers:
            mine = {f"s{senders.index(c)}:{q}".encode() for q in range(1, per_sender + 1)}
            seen = [(n, t) for n, t in chats(c) if re.fullmatch(rb"s\d+:\d+", t)]
            got = [t for _, t in seen]
            dups = sorted({t for t in got if got.count(t) > 1})
            assert not dups, f"{c.nick} ({c.dialect}) got these more than once: {dups[:5]}"
            assert not set(got) & mine, f"{c.nick} got its own messages back"
            missing = sorted(expected - mine - set(got))
            assert not missing, f"{c.nick} ({c.dialect}) never got {missing[:5]} " \
                                f"({len(missing)} missing)"
            for n, t in seen:
                i = int(t[1:].split(b":")[0])
                assert nick_of.setdefault(i, n) == n, \
                    f"sender {i}'s lines under two nicks: {nick_of[i]!r} and {n!r}"
            for i in sender_of:
                seqs = [int(t.split(b":")[1]) for t in got if t.startswith(b"s%d:" % i)]
                assert seqs == sorted(seqs), f"{c.nick}: sender {i}'s lines out of order: {seqs}"
            orders.append((c, got))
        for i, c in sender_of.items():
            if c.dialect != "raw":
                assert nick_of[i] == c.nick.encode(), (i, nick_of[i], c.nick)
        # The same order everywhere: any two receivers agree on the order
        # of the lines both of them got.
        base_c, base = orders[0]
        for c, got in orders[1:]:
            common = set(base) & set(got)
            a = [t for t in base if t in common]
            b = [t for t in got if t in common]
            if a != b:
                k = next(j for j in range(len(a)) if a[j] != b[j])
                raise AssertionError(f"{base_c.nick} and {c.nick} disagree on the order at "
                                     f"line {k}: {a[k - 1:k + 2]!r} vs {b[k - 1:k + 2]!r}")
        # sockchat/2 clients were told they are in the cluster; sockchat/1
        # ones get no CLUSTER line (it is not in their protocol).
        for c in receivers:
            if c.dialect != "framed":
                continue
            states = [s for s, _ in cluster_lines(c)]
            if c.version == 2:
                assert states == [b"cluster"], f"{c.nick}: CLUSTER lines {states!r}"
            else:
                assert states == [], f"sockchat/1 client {c.nick} got CLUSTER {states!r}"
        assert stream_count(redis.port, STREAM, b"s0:1") == 1


def test_nicks_msg_who_across_nodes(ctx):
    """A nick is unique cluster-wide (as a reader sees it), /msg reaches a
    nick on another node, /who lists every node's people, and a nick given
    up on one node can be taken on another."""
    with RedisServer() as redis, cluster(ctx, redis, 3, "--rate", "0") as (n1, n2, n3):
        alice = framed(n1, "alice")
        command(alice, "/ping settle")
        twin = framed(n2, "alice")
        assert twin.nick.startswith("guest"), f"alice on node2 too: {twin.welcome!r}"
        skel = framed(n3, "ALlCE")  # the same to a reader: I/l, case
        assert skel.nick.startswith("guest"), f"look-alike of alice on node3: {skel.welcome!r}"
        bob = framed(n3, "bob")
        p = plain(n2, "who")
        renamed = b"*** %s is now known as alice" % p.nick.encode()
        p.say("/nick alice")
        line = read_into(p, lambda l: l.startswith(b"error: ") or l == renamed,
                         what="an answer to /nick alice")
        # As for a nick taken on the same node (the node may be named after it).
        assert line.startswith(b"error: alice is already taken"), line
        # Joins are told on every node (through the stream): once node2 has
        # shown bob's, /msg from node2 reaches him on node3; to nobody, not.
        read_into(twin, lambda l: l.startswith(b"JOIN bob "), what="JOIN bob")
        out = command(twin, "/msg bob hello from node2")
        assert [m.raw for m in out if m.type == "PRIV"], f"no PRIV echo: {out!r}"
        m = Msg(read_into(bob, lambda l: l.startswith(b"PRIV "), what="PRIV"))
        assert (m.f(1), m.f(2), m.text) == (twin.nick, "bob", b"hello from node2"), m
        out = command(twin, "/msg nobody-here hi")
        assert [m.f(0) for m in out if m.type == "ERR"] == ["no-such-nick"], out
        # /who on node1: everyone on the three nodes.
        everyone = {alice.nick, twin.nick, skel.nick, bob.nick, p.nick}
        for nick in everyone - {alice.nick}:
            read_into(alice, lambda l, n=nick: l.startswith(b"JOIN %s " % n.encode()),
                      what=f"JOIN {nick}")
        counted, people = who(alice)
        assert people == everyone, f"/who on node1 lists {sorted(people)}, want " \
                                   f"{sorted(everyone)}"
        assert counted == len(everyone), f"/who on node1 counts {counted}, lists {people}"
        # alice leaves node1: once node2 has told it, her nick can be taken
        # there (her lease is given up as she leaves: asked again, within
        # the deadline, should the lease's release come after the news).
        alice.close()
        read_into(p, lambda l: l.startswith(b"*** alice left"), what="alice's leave")

        def take_alice():
            p.say("/nick alice")
            line = read_into(p, lambda l: l.startswith(b"error: ") or l == renamed,
                             what="an answer to /nick alice")
            assert line == renamed or line.startswith(b"error: alice is already taken"), line
            return line == renamed

        poll(take_alice, "alice's nick free on node2 after she left node1")


def ours(node, nick, token):
    """A framed client with a SESSION token; .refusal is the line before a
    WELCOME that did not come."""
    c = node._track(Framed.connect(node.addr))
    c.lines = []
    c.dialect = "framed"
    return c.arrive(nick, token, version=2)


def test_moderation_across_nodes(ctx):
    """The operator's kick and mute typed on node1's console hold for
    people on node2 and node3, and on whichever node they come back to."""
    with RedisServer() as redis, \
            cluster(ctx, redis, 3, node_kw={0: {"tty": True}}) as (n1, n2, n3):
        teacher = framed(n1, "teacher")
        bob = ours(n2, "bob", "bobsession42")
        carol = ours(n3, "carol", "carolsession7")
        witness = framed(n2, "witness")
        # node1 has told their joins: it knows them, the console can name them.
        for nick in ("bob", "carol"):
            read_into(teacher, lambda l, n=nick: l.startswith(b"JOIN %s " % n.encode()),
                      what=f"JOIN {nick}")
        n1.console("kick bob 30m spamming the room")
        lines = bob.expect_eof()
        assert b"ERR kicked you were kicked by the operator for 30m00s: spamming the room" \
            in lines, lines
        m = Msg(read_into(witness, lambda l: l.startswith(b"LEAVE bob "), what="LEAVE bob"))
        assert m.text == b"kicked: spamming the room", m
        # Back on another node, by nick and by token.
        again = ours(n3, "bob", "bobsession42")
        assert again.refusal is not None and again.refusal.type == "ERR", again.refusal
        assert re.fullmatch(rb"ERR kicked you are still kicked \((?:30m00|29m[0-5]\d)s left\): "
                            rb"spamming the room", again.refusal.raw), again.refusal
        other = ours(n2, "robert", "bobsession42")
        assert other.welcome is not None
        m, _ = other.next_until(lambda m: m.type == "ERR", what="ERR kicked")
        assert m.f(0) == "kicked" and m.text.startswith(b"you are still kicked ("), m

        n1.console("mute carol 10m let others talk")
        m = Msg(read_into(carol, lambda l: l.startswith(b"NOTICE "), what="NOTICE"))
        assert m.text == b"the operator muted you for 10m00s: you can read, not write: " \
            b"let others talk", m
        carol.msg("hello")
        m = Msg(read_into(carol, lambda l: l.startswith(b"ERR "), what="ERR muted"))
        assert m.f(0) == "muted", m
        carol.close()
        carol = ours(n2, "carol", "carolsession7")
        m = Msg(read_into(carol, lambda l: l.startswith(b"NOTICE "), what="NOTICE"))
        assert m.text.startswith(b"you are still muted ("), m
        carol.msg("from node2")
        m = Msg(read_into(carol, lambda l: l.startswith(b"ERR "), what="ERR muted"))
        assert m.f(0) == "muted", m
        # Nothing of hers reached the teacher.
        command(teacher, "/ping t")
        assert b"hello" not in texts(teacher) and b"from node2" not in texts(teacher)

        # Lifted on node1, lifted everywhere: carol on node2 writes again,
        # bob comes back on node3 (each node applies the lift from the
        # stream: asked again, a round trip apart, within the deadline).
        n1.console("unmute carol")
        n1.console("unban bob")
        read_into(carol, lambda l: l == b"NOTICE the operator unmuted you: you can write again",
                  what="node2 telling carol she is unmuted")
        i = carol.msg("free again")
        m = Msg(read_into(carol, lambda l: l.startswith((b"ACK ", b"ERR ")), what="ACK"))
        assert m.type == "ACK" and m.f(0) == str(i), m
        read_into(teacher, lambda l: l.endswith(b" carol free again"), what="carol's line")
        dl = deadline_in(T_SHORT)
        while True:
            back = ours(n3, "bob", "bobsession42")
            if back.refusal is None:
                break
            assert remaining(dl) > 0, f"bob still refused on node3: {back.refusal.raw!r}"
            command(teacher, "/ping lift")


def test_sigkill_node_clients_move(ctx):
    """SIGKILL a node mid-chat: its clients reconnect to other nodes with
    their SESSION tokens and resend what they had not seen ACKed; what was
    ACKed before the kill is seen by everyone exactly once, a resend is
    ACKed again and not relayed twice."""
    with RedisServer() as redis, \
            cluster(ctx, redis, 3, "--history", "50", "--rate", "0") as (n1, n2, n3):
        w1 = framed(n1, "watch1")
        w3 = framed(n3, "watch3")
        p1 = plain(n1, "p1")
        vic = framed(n2, "vic", token="victimtoken01")
        vic2 = framed(n2, "vic2", version=1, token="victimtoken02")
        vp = plain(n2, "vp")
        send_chat(vic, "acked before the kill")
        send_chat(vic2, "vic2 acked before the kill")
        for c in (w1, w3, p1):
            wait_chat(c, "vic2 acked before the kill")
        vic.msg("in flight at the kill")  # id 2: ACKed or not, we shall see
        n2.send_signal(signal.SIGKILL)
        n2.wait()
        for c in (vic, vic2, vp):
            try:
                c.expect_eof()
            except Timeout:
                raise AssertionError(f"{c.nick}: connection open after its node was killed")
        # Their clients move: vic to node3, vic2 to node1, and resend.
        vic_b = framed(n3, "vic", token="victimtoken01")
        send_chat(vic_b, "acked before the kill")           # id 1, ACKed before
        send_chat(vic_b, "in flight at the kill")           # id 2, maybe ACKed
        send_chat(vic_b, "after the move")                  # id 3, new
        vic2_b = framed(n1, "vic2", version=1, token="victimtoken02")
        send_chat(vic2_b, "vic2 acked before the kill")     # id 1 again
        # Their nicks came with their tokens (PROTOCOL.md section 14: a
        # dead node's lease is taken at once for the same token).
        assert (vic_b.nick, vic2_b.nick) == ("vic", "vic2"), (vic_b.welcome, vic2_b.welcome)
        # Markers from node1 and node3, after every resend's ACK.
        send_chat(w1, "marker one")
        send_chat(w3, "marker three")
        for c, wait in ((w1, ["marker three"]), (w3, ["marker one"]),
                        (p1, ["marker one", "marker three"]),
                        (vic_b, ["marker one", "marker three"]),
                        (vic2_b, ["marker one", "marker three"])):
            for t in wait:
                wait_chat(c, t, T_LONG)
        for c in (w1, w3, p1):
            seen = texts(c)
            for t in (b"acked before the kill", b"vic2 acked before the kill",
                      b"in flight at the kill", b"after the move"):
                assert seen.count(t) == 1, f"{c.nick} saw {t!r} {seen.count(t)} times: {seen}"
        # The movers: their own earlier lines at most once (history).
        for c in (vic_b, vic2_b):
            seen = texts(c)
            for t in (b"acked before the kill", b"vic2 acked before the kill",
                      b"in flight at the kill"):
                assert seen.count(t) <= 1, f"{c.nick} saw {t!r} {seen.count(t)} times: {seen}"
        # A newcomer's history, and the stream: once each.
        late = framed(n1, "late")
        command(late, "/ping late")
        hist = texts(late)
        for t in (b"acked before the kill", b"vic2 acked before the kill",
                  b"in flight at the kill", b"after the move"):
            assert hist.count(t) == 1, f"newcomer's history has {t!r} {hist.count(t)} times"
            assert stream_count(redis.port, STREAM, t) == 1, f"stream holds {t!r} " \
                f"{stream_count(redis.port, STREAM, t)} times"


def test_redis_stop_and_restart(ctx):
    """Redis stops: the nodes say so (log, CLUSTER local to sockchat/2, a
    NOTICE to plain and sockchat/1, /stats), chat goes on within a node;
    Redis restarts on its port: the nodes say so, chat crosses nodes again,
    and nothing ACKed before the stop is lost."""
    with RedisServer(appendonly=True) as redis, \
            cluster(ctx, redis, 2, "--history", "50") as (n1, n2):
        ann = framed(n1, "ann")
        ben = framed(n2, "ben")
        old = framed(n2, "oldie", version=1)
        pl = plain(n1, "pl")
        for c in (ann, ben):
            assert wait_cluster(c, "cluster")
        send_chat(ann, "before the stop")
        for c in (ben, old, pl):
            wait_chat(c, "before the stop")
        line = stats_cluster_line(ann)
        assert re.search(rb"\bok\b", line) and b"degraded" not in line, line

        redis.stop()
        for n in (n1, n2):
            n.wait_log(UNREACHABLE, stream="err")
        # Each node says it in its own words (it may name itself): its
        # plain and sockchat/1 clients get the same text as a notice.
        text1 = wait_cluster(ann, "local")
        text2 = wait_cluster(ben, "local")
        read_into(pl, lambda l: l == b"*** notice: " + text1, what=f"notice {text1!r}")
        read_into(old, lambda l: l == b"NOTICE " + text2, what=f"NOTICE {text2!r}")
        assert b"degraded" in stats_cluster_line(ben)
        # Chat within a node still works.
        send_chat(ann, "while redis is down")
        wait_chat(pl, "while redis is down")

        redis.start()
        for n in (n1, n2):
            n.wait_log(BACK, stream="err", timeout=T_LONG)
        back1 = wait_cluster(ann, "cluster", T_LONG)
        back2 = wait_cluster(ben, "cluster", T_LONG)
        read_into(pl, lambda l: l == b"*** notice: " + back1, what=f"notice {back1!r}")
        read_into(old, lambda l: l == b"NOTICE " + back2, what=f"NOTICE {back2!r}")
        line = stats_cluster_line(ann)
        assert re.search(rb"\bok\b", line), line
        send_chat(ann, "after the heal")
        wait_chat(ben, "after the heal", T_LONG)
        send_chat(ben, "and back")
        wait_chat(ann, "and back", T_LONG)
        wait_chat(pl, "and back", T_LONG)
        # ben saw what was ACKed before the stop once, and a newcomer's
        # history and the stream have it.
        assert texts(ben).count(b"before the stop") == 1, texts(ben)
        late = framed(n2, "late")
        command(late, "/ping late")
        assert texts(late).count(b"before the stop") == 1, texts(late)
        assert stream_count(redis.port, STREAM, b"before the stop") == 1


def test_redis_absent_at_start(ctx):
    """Nodes started before Redis serve their own people (CLUSTER local),
    and join when it comes up on the URL's port."""
    ctx.require_mode("threads", "pool")
    require_redis()
    port = free_port()
    url = f"redis://127.0.0.1:{port}/{PREFIX}"
    with start_node(ctx, url, "node1", wait_joined=False) as n1, \
            start_node(ctx, url, "node2", wait_joined=False) as n2:
        for n in (n1, n2):
            n.wait_log(UNREACHABLE, stream="err")
        a = framed(n1, "ann")
        assert wait_cluster(a, "local")
        b = framed(n2, "ben")
        assert wait_cluster(b, "local")
        p = plain(n1, "pl")
        send_chat(a, "local only")
        wait_chat(p, "local only")
        with RedisServer(port=port):
            for n, name in ((n1, "node1"), (n2, "node2")):
                n.wait_log(BACK + "|" + joined_line(name, url), stream="err", timeout=T_LONG)
            wait_cluster(a, "cluster", T_LONG)
            wait_cluster(b, "cluster", T_LONG)
            send_chat(a, "now everywhere")
            wait_chat(b, "now everywhere", T_LONG)


def test_without_cluster_nothing_new(ctx):
    """A server without --cluster sends no CLUSTER line, and /stats does not
    call it a cluster (no line, or one that says it is alone)."""
    with ctx.server() as srv:
        c = framed(srv, "solo")
        outs = [m.text for m in command(c, "/stats") if m.type == "OUT"]
        for t in outs:
            if t.startswith(b"cluster:"):
                assert b"none" in t and b"ok" not in t and b"degraded" not in t, outs
        assert not [line for line in c.lines if line.startswith(b"CLUSTER")], c.lines


def run_refused(ctx, *args):
    """Runs the server with ARGS, expecting it to refuse: (code, stderr)."""
    p = subprocess.run([ctx.binary, "--bind", "127.0.0.1", "--port", "0", *args],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=T_SHORT)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def test_bad_cluster_arguments(ctx):
    """--mode single --cluster, and a URL that is not redis://HOST:PORT,
    are refused at start with EX_USAGE (64) and a message naming them."""
    # The first line says what is wrong (a usage text may follow, and it
    # names every option and mode, so only the first line counts).
    rc, err = run_refused(ctx, "--mode", "single", "--cluster", "redis://127.0.0.1:1/x")
    first = err.splitlines()[0] if err else ""
    assert rc == 64 and "--cluster" in first and "single" in first, (rc, err)
    if ctx.mode == "single":
        return
    for bad in ("http://127.0.0.1:6379", "redis://", "redis://127.0.0.1:notaport/x"):
        rc, err = run_refused(ctx, "--mode", ctx.mode, "--cluster", bad)
        first = err.splitlines()[0] if err else ""
        assert rc == 64 and bad in first, (bad, rc, err)


if __name__ == "__main__":
    run_tests(globals())
