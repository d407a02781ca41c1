#!/usr/bin/env python3
"""End-to-end tests of the curses client's rooms, mentions and /ignore
(issue 16): the real sockchat client in a tmux pseudo-terminal against a
scripted server that speaks the rooms contract (docs/PROTOCOL.md, ROOM and
UNREAD of sockchat/2), and, for `real_switch`, against the real server.

Run one case: rooms_test.py CASE --client PATH [--server PATH]
"""

import os
import queue
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import term  # noqa: E402

ST_CONNECTED = r"^\s*connected \| "
T0 = 1764080000  # the server's times of the scripted lines


class RoomsServer:
    """A scripted sockchat/2 server for one client at a time: greets with
    WELCOME and ROOM #main, answers /join and /part with ROOM and the
    room's history, acknowledges every MSG, and keeps every line the client
    sent (self.got) so a test can wait for one. say() writes lines to the
    client now. What a room's history holds is self.history[room]."""

    def __init__(self, nick="alice"):
        self.nick = nick
        self.got = queue.Queue()
        self.lines = []
        self.conn = None
        self.lock = threading.Lock()
        self.room = "#main"
        self.people = {"#main": 3, "#lab1": 2}
        self.topics = {"#lab1": "fractions"}
        self.history = {"#main": [], "#lab1": []}
        self.fake = h.FakeServer(self._script, drain=False)
        self.port = self.fake.port

    def say(self, *lines):
        data = "".join(l + "\n" for l in lines).encode()
        with self.lock:
            h.check(self.conn is not None, "no client connected to the fake server")
            self.conn.sendall(data)

    def _enter(self, room):
        self.room = room
        out = ["ROOM %s %d %s" % (room, self.people.get(room, 1), self.topics.get(room, ""))]
        out += self.history.get(room, [])
        return out

    def _script(self, c, n):
        with self.lock:
            self.conn = c
        self.say("WELCOME %s fake 3 fakesrv" % self.nick, *self._enter("#main"))
        buf = b""
        while True:
            d = c.recv(4096)
            if not d:
                return
            buf += d
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self._on_line(line.decode("utf-8", "replace"))

    def _on_line(self, line):
        self.lines.append(line)
        self.got.put(line)
        m = re.match(r"MSG (\d+) (.*)$", line)
        if not m:
            return
        ident, text = m.groups()
        j = re.match(r"/join #?([a-z0-9_-]+)\s*$", text)
        if j:
            self.say(*self._enter("#" + j.group(1)))
        elif text.strip() == "/part":
            self.say(*self._enter("#main"))
        else:
            self.say("ACK %s" % ident)

    def wait_for(self, pattern, timeout=10):
        """The first line from the client (since the last call) matching."""
        rx = re.compile(pattern)

        def look():
            try:
                line = self.got.get(timeout=0.2)
            except queue.Empty:
                return None
            return line if rx.search(line) else None
        return h.poll_until("the client to send /%s/" % pattern, look, timeout,
                            lambda: "client sent: %r" % self.lines)


def client_argv(opts, port, nick, extra=()):
    return [h.need(opts.client, "sockchat client"), "127.0.0.1", str(port), "--nick", nick] \
        + list(extra)


def bell_tmux():
    """A private tmux whose windows note a bell (monitor-bell), seen in
    #{window_bell_flag}: every pane is its own detached session, so the
    flag is never cleared by a client looking at it."""
    tm = h.Tmux()
    with open(tm.conf, "a") as f:
        f.write("set -g monitor-bell on\nset -g bell-action any\n")
    return tm


def bell_flag(p):
    return p.fmt("#{window_bell_flag}")


def t_mention_bell(opts):
    """A live line naming us is highlighted (reverse video, and a "»"
    mark that reads without colour) and rings the bell; a private message
    to us too; the history replayed after ROOM does neither ring nor fail
    to be marked; --bell off highlights without ringing."""
    tm = bell_tmux()
    for name, extra in (("loud", []), ("quiet", ["--bell", "off"])):
        srv = RoomsServer()
        srv.history["#main"] = ["CHAT %d bob alice: said before you came" % T0]
        p = tm.pane(client_argv(opts, srv.port, "alice", extra), 80, 24, name=name)
        p.wait(r"now in #main \(3 people\)")
        p.wait(r"(»|>>) <bob> alice: said before you came")
        # A later line, after the history's draw (and any bell) went out.
        srv.say("CHAT %d carol nothing for you" % (T0 + 1))
        p.wait(r"<carol> nothing for you")
        h.check(bell_flag(p) == "0", "%s: the history rang the bell" % name, p.describe)
        # Live for sure: a line that is no history ends it (tui/replay.c).
        srv.say("JOIN dave 4", "CHAT %d bob hey Alice, look here" % (T0 + 2))
        p.wait(r"(»|>>) <bob> hey Alice, look here")
        row = [r for r in p.screen(escapes=True).split("\n") if "look here" in r][0]
        h.check(term.has_sgr(row, 7), "%s: the mention is not in reverse video: %r"
                % (name, row))
        h.check("nothing for you" not in row, "rows mixed up")
        if name == "loud":
            h.poll_until("the bell", lambda: bell_flag(p) == "1", 10, p.describe)
        else:
            srv.say("PRIV %d bob alice psst" % (T0 + 3), "CHAT %d carol after" % (T0 + 4))
            p.wait(r"(»|>>) \[bob -> alice\] psst")
            p.wait(r"<carol> after")
            h.check(bell_flag(p) == "0", "--bell off rang the bell", p.describe)
    # A private message rings too (a fresh pane: the flag stays once set).
    srv = RoomsServer()
    p = tm.pane(client_argv(opts, srv.port, "alice"), 80, 24, name="priv")
    p.wait(r"now in #main")
    srv.say("PRIV %d bob alice psst" % T0)  # a PRIV is never history
    p.wait(r"(»|>>) \[bob -> alice\] psst")
    h.poll_until("the bell for a PRIV", lambda: bell_flag(p) == "1", 10, p.describe)


def t_ignore(opts):
    """/ignore bob hides bob's chat, actions, private messages, joins and
    leaves, also under his new nick; the server never hears of it;
    /unignore shows him again; /ignore lists."""
    srv = RoomsServer()
    tm = h.Tmux()
    p = tm.pane(client_argv(opts, srv.port, "alice"), 100, 30, name="alice")
    p.wait(r"now in #main")
    p.line("/ignore bob")
    p.wait(r"ignoring bob: their chat")
    srv.say("CHAT %d bob spam one" % T0, "ACTION %d bob spams" % T0,
            "PRIV %d bob alice spam two" % T0, "LEAVE bob 2 quit", "JOIN bob 3",
            "NICK bob robert", "CHAT %d robert spam three" % T0,
            "CHAT %d carol the marker" % (T0 + 1))
    p.wait(r"<carol> the marker")
    p.wait(r"bob is now known as robert")
    screen = p.screen()
    h.check("spam" not in screen and "bob joined" not in screen and "bob left" not in screen,
            "an ignored line is shown", p.describe)
    p.line("/ignore")
    p.wait(r"ignoring 1: robert")
    p.line("/unignore robert")
    p.wait(r"no longer ignoring robert")
    srv.say("CHAT %d robert visible again" % (T0 + 2))
    p.wait(r"<robert> visible again")
    h.check(not any("ignore" in l for l in srv.lines),
            "the server heard of /ignore: %r" % srv.lines)


def t_switch(opts):
    """/join with Tab, the room in the status bar, the change marked in
    the log, unread counts of the room left (#main (3)), Alt-1 back, the
    count cleared, Alt-1..9 in the F1 help."""
    srv = RoomsServer()
    srv.history["#lab1"] = ["CHAT %d dave lab talk" % T0]
    srv.history["#main"] = ["CHAT %d bob main talk" % T0]
    tm = h.Tmux()
    p = tm.pane(client_argv(opts, srv.port, "alice"), 100, 30, name="alice")
    p.wait_row(-2, r"\| \[#main\] \|")
    # A /rooms answer lists #lab1: Tab completes it.
    srv.say("OUT 2 rooms:", "OUT   #lab1     2 people  topic: fractions",
            "OUT   #main     3 people (you are here)")
    p.wait(r"#lab1     2 people")
    p.type("/join #l")
    p.keys("Tab")
    p.wait_row(-1, r"^> /join #lab1\s*$")
    p.keys("Enter")
    srv.wait_for(r"^MSG \d+ /join #lab1\s*$")
    p.wait(r"── now in #lab1 \(2 people\), topic: fractions ──")
    p.wait(r"<dave> lab talk")
    p.wait_row(-2, r"\| #main \[#lab1\] \|")
    srv.say("UNREAD #main 1", "UNREAD #main 2", "UNREAD #main 3")
    p.wait_row(-2, r"\| #main \(3\) \[#lab1\] \|")
    p.keys("M-1")
    srv.wait_for(r"^MSG \d+ /join #main$")
    p.wait_row(-2, r"\| \[#main\] #lab1 \|")
    # #main's history again: shown once, with the lines of #lab1 between.
    p.wait(r"now in #main \(3 people\) ──\s*$")
    h.check(len(re.findall(r"<bob> main talk", p.screen())) == 1,
            "the history of #main shown twice", p.describe)
    p.keys("F1")
    p.wait(r"Alt-1\.\.9 joins the Nth room")


def t_real_switch(opts):
    """Against the real server: alice goes to #lab1, bob says three
    things in #main at once: alice's bar shows #main (1) (UNREAD comes at
    most once a second), and #main (4) with bob's next line a second
    later; Alt-1 takes her back, the count is cleared, each line shown
    once."""
    srv = h.Server(h.need(opts.server, "sockchat-server"))
    tm = h.Tmux()
    a = tm.pane(client_argv(opts, srv.port, "alice"), 100, 30, name="alice")
    a.wait_row(-2, r"\| \[#main\] \|")
    bob = h.FramedClient(srv.port, "bob")
    a.line("/join #lab1")
    a.wait(r"now in #lab1 \(1 person\)")
    a.wait_row(-2, r"\| #main \[#lab1\] \|")
    t0 = time.monotonic()
    for i in range(3):
        bob.msg("in main %d" % i)
    a.wait_row(-2, r"\| #main \(\d\) \[#lab1\] \|")
    # The server's one-a-second window itself, not a synchronisation.
    time.sleep(max(0.0, t0 + 1.05 - time.monotonic()))
    bob.msg("in main 3")
    a.wait_row(-2, r"\| #main \(4\) \[#lab1\] \|")
    a.keys("M-1")
    a.wait_row(-2, r"\| \[#main\] #lab1 \|")
    a.wait(r"<bob> in main 3")
    h.check(len(re.findall(r"<bob> in main \d", a.screen())) == 4,
            "bob's lines not shown once each", a.describe)
    bob.close()


def t_cluster_local(opts):
    """CLUSTER (issue 18): a server that says its cluster is out of reach
    gets "local only" in the status bar, right after the state and drawn
    as a warning (red) at 80 columns; its text goes to the log as a
    notice; chat shown meanwhile, received and own, is marked
    "[local only]". When the cluster is back the marker goes, new lines
    are not marked, the old keep their mark."""
    tm = h.Tmux()
    srv = RoomsServer()
    p = tm.pane(client_argv(opts, srv.port, "alice"), 80, 24, name="alice")
    p.wait(r"now in #main \(3 people\)")
    srv.say("CLUSTER cluster this server is one of a cluster")
    p.wait(r"-!- this server is one of a cluster")
    p.wait_row(-2, r"^\s*connected \| 127\.0\.0\.1:%d \| alice \|" % srv.port)
    srv.say("CHAT %d bob heard by all" % T0)
    p.wait(r"<bob> heard by all$")
    srv.say("CLUSTER local Redis is unreachable: messages reach this server only")
    p.wait(r"-!- Redis is unreachable: messages reach this server only")
    p.wait_row(-2, r"^\s*connected \| local only \| 127\.0\.0\.1:%d \| alice \|" % srv.port)
    rows = p.screen(escapes=True).split("\n")
    bar = [r for r in rows if "local only" in r and "connected" in r]
    h.check(bar and term.has_sgr(bar[0], 31), "local only is not drawn red: %r" % bar, p.describe)
    srv.say("CHAT %d bob heard here only" % (T0 + 1))
    p.wait(r"<bob> heard here only \[local only\]$")
    p.line("mine, local")
    srv.wait_for(r"^MSG \d+ mine, local$")
    p.wait(r"<alice> mine, local (✓ \d+ ms|\(ok \d+ ms\)) \[local only\]$")
    for r in p.rows():
        h.check(term.width(r) <= 80, "a row wider than 80 columns: %r" % r, p.describe)
    srv.say("CLUSTER cluster Redis is back")
    p.wait(r"-!- Redis is back")
    p.wait_row(-2, r"^\s*connected \| 127\.0\.0\.1:%d \| alice \|" % srv.port)
    srv.say("CHAT %d bob heard by all again" % (T0 + 2))
    p.wait(r"<bob> heard by all again$")
    p.wait(r"<bob> heard here only \[local only\]$")
    h.check(not re.search(r"heard by all( again)? \[local", p.screen()),
            "a line said with the cluster up is marked local", p.describe)


TESTS = {
    "mention_bell": t_mention_bell,
    "ignore": t_ignore,
    "switch": t_switch,
    "real_switch": t_real_switch,
    "cluster_local": t_cluster_local,
}

if __name__ == "__main__":
    sys.exit(h.main(TESTS))
