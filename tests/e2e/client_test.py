#!/usr/bin/env python3
"""End-to-end tests of the curses client (issue 4): the real sockchat client
in a tmux pseudo-terminal against the real sockchat-server, a raw-socket
peer, and the tutorial's Python servers.

Run one case: client_test.py CASE --client PATH --server PATH [--interop DIR]
"""

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import term  # noqa: E402

# What the client shows (tui/status.c, tui/chatlog.c). One place to adjust.
ST_CONNECTED = r"^\s*connected \| "
ST_RETRY = r"disconnected, retrying in \d+ s"
TOO_SMALL = r"(?i)too small"


def acked(nick, text):
    """An own message, acknowledged: "<me> text ✓ 3 ms" or "(ok 3 ms)"."""
    return r"<%s> %s (✓ \d+ ms|\(ok \d+ ms\))" % (re.escape(nick), re.escape(text))


def pending(nick, text):
    return r"<%s> %s (…|\.\.\.)" % (re.escape(nick), re.escape(text))


def chat(nick, text):
    return r"<%s> %s" % (re.escape(nick), re.escape(text))


def client_argv(opts, port, nick, extra=()):
    return [h.need(opts.client, "sockchat client"), "127.0.0.1", str(port), "--nick", nick] + list(extra)


def server(opts, port=0, args=()):
    return h.Server(h.need(opts.server, "sockchat-server"), port, args)


def client(tm, opts, port, nick, w=80, ht=24, extra=(), env=None):
    p = tm.pane(client_argv(opts, port, nick, extra), w, ht, env=env, name=nick)
    wait_connected(p)
    return p


def wait_connected(p, timeout=10):
    return p.wait_row(-2, ST_CONNECTED, timeout)


def check_layout(p):
    """No row is wider than the pane, the status bar is the row above the
    input line, and nothing raw reached the screen."""
    w, ht = p.size()
    rows = p.rows()
    for i, r in enumerate(rows):
        h.check(term.width(r) <= w, "row %d is %d columns in a %d-column pane: %r"
                % (i, term.width(r), w, r), p.describe)
    scr = p.screen()
    h.check(not term.CONTROL_RX.search(scr), "a control character reached the screen: %r"
            % term.CONTROL_RX.findall(scr), p.describe)


def check_word_wrap(p, first, text):
    """The entry starting with `first` is wrapped at word boundaries: its
    rows, joined with single spaces, hold `text` unbroken."""
    rows = p.rows()
    starts = [i for i, r in enumerate(rows) if first in r]
    h.check(starts, "entry %r not on screen" % first, p.describe)
    i = starts[-1]
    parts = [rows[i]]
    for r in rows[i + 1:]:
        if not r.startswith("      ") or not r.strip():
            break
        parts.append(r)
    joined = " ".join(x.strip() for x in parts)
    h.check(text in joined, "wrapped rows %r do not hold %r unbroken" % (parts, text), p.describe)
    h.check(len(parts) > 1, "the entry did not wrap: %r" % parts, p.describe)


# ---------------------------------------------------------------------------

def t_chat(opts):
    """Send a message and see it acknowledged; the status bar shows the
    server, the nick, the users and the mode."""
    tm = h.Tmux()
    srv = server(opts)
    p = client(tm, opts, srv.port, "alice")
    for want in ("127.0.0.1:%d" % srv.port, "alice", "1 user", srv.mode):
        p.wait_row(-2, r"\| %s( \||$)" % re.escape(want))
    p.line("hello world")
    p.wait(acked("alice", "hello world"))
    peer = h.FramedClient(srv.port, "bob")
    p.wait(r"--> .*bob")
    p.wait_row(-2, r"\b2 users\b")
    peer.msg("ping from bob")
    p.wait(chat("bob", "ping from bob"))
    # the input line is empty again after sending
    h.check("hello world" not in p.rows()[-1], "input line not cleared: %r" % p.rows()[-1])
    check_layout(p)


def t_two_clients(opts):
    """A second (real) client's message appears in the first, and back."""
    tm = h.Tmux()
    srv = server(opts)
    a = client(tm, opts, srv.port, "alice")
    b = client(tm, opts, srv.port, "bob")
    b.line("hi alice, bob here")
    b.wait(acked("bob", "hi alice, bob here"))
    a.wait(chat("bob", "hi alice, bob here"))
    a.line("hi bob")
    b.wait(chat("alice", "hi bob"))
    a.wait(acked("alice", "hi bob"))
    check_layout(a)
    check_layout(b)


def t_unicode(opts):
    """é, 日本 and 👍 round-trip: typed in one client, seen byte-exact by a
    raw peer and drawn in the other client; and the other way."""
    tm = h.Tmux()
    srv = server(opts)
    a = client(tm, opts, srv.port, "alice")
    b = client(tm, opts, srv.port, "bob")
    peer = h.FramedClient(srv.port, "carol")
    text = "café 日本語 👍 ok"
    a.line(text)
    a.wait(acked("alice", text))
    b.wait(chat("alice", text))
    line = peer.wait(r"^CHAT \d+ alice ")
    h.check(line.split(" ", 3)[3] == text, "peer got %r, want %r" % (line, text))
    peer.msg("日本 👍 é back")
    a.wait(chat("carol", "日本 👍 é back"))
    b.wait(chat("carol", "日本 👍 é back"))
    # Editing over wide characters: type, move left over 👍 and 本, delete one.
    b.type("x日本👍y")
    b.keys("Left", "Left", "BSpace", "Enter")  # removes 本: "x日👍y"
    a.wait(chat("bob", "x日👍y"))
    check_layout(a)
    check_layout(b)


def t_resize(opts):
    """Resize to 40x10 and back: the status bar and input line stay in
    place, the log reflows, typing still works; smaller than that shows a
    clear note."""
    tm = h.Tmux()
    srv = server(opts)
    p = client(tm, opts, srv.port, "alice")
    p.line("before the resize, a line long enough to wrap on a forty column terminal")
    p.wait(r"<alice> before the resize[\s\S]*terminal (✓|\(ok) \d+ ms")
    p.resize(40, 10)
    p.wait_size(40, 10)
    wait_connected(p)
    p.wait(r"before the resize")
    check_layout(p)
    check_word_wrap(p, "<alice> before the resize",
                    "before the resize, a line long enough to wrap on a forty column terminal")
    p.line("small 日本")
    p.wait(acked("alice", "small 日本"))
    check_layout(p)
    p.resize(20, 5)
    p.wait_size(20, 5)
    p.wait(TOO_SMALL)
    p.resize(80, 24)
    p.wait_size(80, 24)
    wait_connected(p)
    p.wait(acked("alice", "small 日本"))
    p.wait(r"before the resize,[\s\S]*forty\s+column\s+terminal")
    p.wait_row(-2, r"\| 127\.0\.0\.1:%d \| alice \|" % srv.port)
    p.line("after")
    p.wait(acked("alice", "after"))
    check_layout(p)


def t_reconnect(opts):
    """Stop the server: disconnected/retrying. Type a message: pending.
    Restart on the same port: reconnected, and the pending message is
    delivered (a peer on the new server receives it)."""
    tm = h.Tmux()
    srv = server(opts)
    port = srv.port
    p = client(tm, opts, port, "alice")
    p.line("first")
    p.wait(acked("alice", "first"))
    srv.stop()
    p.wait_row(-2, ST_RETRY, 10)
    p.line("typed while down")
    p.wait(pending("alice", "typed while down"))
    p.wait_row(-2, r"\b1 pending\b")
    for i in (2, 3):
        p.line("down %d" % i)
    p.wait_row(-2, r"\b3 pending\b")
    srv2 = server(opts, port)
    peer = h.FramedClient(srv2.port, "bob")
    wait_connected(p, 40)
    p.wait(acked("alice", "typed while down"), 10)
    # live, or in the history sent to bob if it was delivered first; in order
    peer.wait(r"^CHAT \d+ alice typed while down$")
    peer.wait(r"^CHAT \d+ alice down 2$")
    peer.wait(r"^CHAT \d+ alice down 3$")
    p.wait_gone(r"\d+ pending")
    check_layout(p)


def t_history_once(opts):
    """After a reconnect the server's history repeats what the log shows:
    it is not shown twice, and a note says so. (--transcript keeps the
    history across the server's restart.)"""
    tm = h.Tmux()
    args = ["--transcript", os.path.join(tm.dir, "room.log")]
    srv = server(opts, args=args)
    port = srv.port
    p = client(tm, opts, port, "alice")
    peer = h.FramedClient(srv.port, "bob")
    peer.msg("told before the restart")
    p.wait(chat("bob", "told before the restart"))
    p.line("my own line")
    p.wait(acked("alice", "my own line"))
    srv.stop()
    p.wait_row(-2, ST_RETRY, 10)
    srv2 = server(opts, port, args=args)
    wait_connected(p, 40)
    p.wait(r"2 earlier messages already shown above, not repeated")
    peer2 = h.FramedClient(srv2.port, "bob")
    peer2.msg("after the restart")
    p.wait(chat("bob", "after the restart"))
    scr = "\n".join(p.rows())
    for text in ("told before the restart", "my own line"):
        h.check(scr.count(text) == 1, "%r is on screen %d times" % (text, scr.count(text)),
                p.describe)
    check_layout(p)


def t_suspend(opts):
    """Ctrl-Z under a shell with job control: the client stops and leaves the
    terminal as it found it; `fg` brings the screen back, half-typed input
    included, still connected."""
    tm = h.Tmux()
    srv = server(opts)
    sh = tm.pane(["bash", "--norc", "--noprofile", "-i"], 80, 24, name="shell")
    sh.line("PS1='sh> '")
    sh.wait(r"^sh>\s*$")
    sh.line(" ".join(shlex.quote(a) for a in client_argv(opts, srv.port, "zed")))
    wait_connected(sh)
    sh.type("half typed")
    sh.wait(r"^> half typed")
    sh.keys("C-z")
    sh.wait(r"Stopped")
    m = term.modes(sh)
    left = {k: v for k, v in m.items() if k in ("alternate_on", "mouse_any_flag",
                                                 "mouse_button_flag", "keypad_cursor_flag")
            and v != "0"}
    h.check(not left, "modes left on while stopped: %r" % left, sh.describe)
    sh.line("fg")
    wait_connected(sh)
    sh.wait(r"^> half typed")
    sh.keys("C-u")
    sh.line("/quit")
    sh.wait(r"^sh>\s*$")
    sh.line("echo status=$?")
    sh.wait(r"^status=0\s*$")


ATTACK = (b"before \x1b]2;PWNED\x07 \x1b[5mblink\x1b[0m \x1b[2J \x1b[?1049l "
          b"\x1b]52;c;UFdORUQ=\x07 \x1bP+q\x1b\\ ctl:\x01\x7f: \xc2\x9b31m after")


def check_harmless(p, marker_rx, alt_before):
    """The line arrived as text, and nothing of the attack took effect."""
    p.wait(marker_rx)
    h.check(term.title(p) != "PWNED", "the title was changed to PWNED", p.describe)
    esc = p.screen(escapes=True)
    h.check(not term.has_sgr(esc, 5), "blink attribute reached the screen: %r" % esc, p.describe)
    h.check(term.modes(p)["alternate_on"] == alt_before, "alternate screen state changed",
            p.describe)
    bufs = p.tmux.run("list-buffers", "-F", "#{buffer_name}: #{buffer_sample}")
    h.check(bufs.strip() == "", "the clipboard was set: %r" % bufs, p.describe)
    check_layout(p)


def t_escape(opts):
    """An escape sequence sent by another client shows as harmless text."""
    tm = h.Tmux()
    srv = server(opts)
    p = client(tm, opts, srv.port, "alice")
    p.record()
    p.line("an earlier line")
    p.wait(acked("alice", "an earlier line"))
    alt = term.modes(p)["alternate_on"]
    peer = h.FramedClient(srv.port, "mallory")
    peer.msg(ATTACK)
    # Visible replacement text: the controls shown as pictures (␁ ␡) or
    # U+FFFD, never executed; the text around them intact.
    check_harmless(p, r"<mallory> before .*blink.*ctl:\S*: .*after", alt)
    row = [r for r in p.rows() if "<mallory>" in r][0]
    h.check(re.search("ctl:[\u2401\ufffd?^]", row), "no visible replacement for \\x01: %r" % row,
            p.describe)
    # the screen was not cleared by \e[2J
    p.wait(acked("alice", "an earlier line"))
    # and a nick change of the peer cannot carry one either
    peer.msg(b"/nick evil\x1b[5m")
    peer.msg(b"still \x1b]0;PWNED\x1b\\ harmless")
    check_harmless(p, r"still .*harmless", alt)
    term.check_output_clean(p)


def _signal_case(opts, how):
    tm = h.Tmux()
    srv = server(opts)
    p, d = term.run_checked(tm, client_argv(opts, srv.port, "alice"), 80, 24)
    wait_connected(p)
    p.line("hello")
    p.wait(acked("alice", "hello"))
    p.type("half-typed")  # leave something in the input line
    p.wait(r"half-typed")
    if how == "C-c":
        p.keys("C-c")
    elif how in ("/quit", "exit", " Exit "):
        p.keys("C-u")
        p.line(how)
    else:
        os.kill(term.program_pid(p), how)
    # 0 (it quits as /quit does) or the signal's conventional 128+N
    ok = (0,) if isinstance(how, str) else (0, 128 + how)
    if how == "C-c":
        ok = (0, 130)
    return term.check_restored(p, d, statuses=ok)


def t_ctrl_c(opts):
    """Ctrl-C leaves the terminal as it was found."""
    _signal_case(opts, "C-c")


def t_sigterm(opts):
    _signal_case(opts, signal.SIGTERM)


def t_sighup(opts):
    _signal_case(opts, signal.SIGHUP)


def t_quit(opts):
    """/quit and exit end the client with status 0 and a clean terminal;
    " Exit " too, since the server closes on it."""
    for how in ("/quit", "exit", " Exit "):
        _signal_case(opts, how)


def _interop(opts, script):
    """The tutorial's server: connects, shows the raw Message received
    replies, and the status bar says it is a plain server."""
    path = os.path.join(opts.interop or "", script)
    h.need(opts.interop and path, "tutorial server " + script)
    tm = h.Tmux()
    proc = subprocess.Popen([sys.executable, path, "127.0.0.1", "0"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=h._pdeathsig)
    h._cleanups.append(lambda: (proc.kill(), proc.wait()))
    line = proc.stderr.readline().decode()  # bounded by the test's alarm
    m = re.search(r"listening on \S+:(\d+)", line)
    h.check(m, "tutorial server did not say its port: %r" % line)
    p = tm.pane(client_argv(opts, int(m.group(1)), "alice"), 80, 24, name="alice")
    wait_connected(p)
    p.wait_row(-2, r"plain server")
    for text in ("hello tutorial", "second message"):
        p.line(text)
        # the reply, as a response entry, after the (acknowledged) message
        p.wait(acked("alice", text) + r"\n\S+ > Message received$")
    p.wait_row(-2, r"plain server")
    check_layout(p)


def t_interop_single(opts):
    _interop(opts, "server.py")


def t_interop_threads(opts):
    _interop(opts, "server-multi-threaded.py")


def t_scrollback(opts):
    """PgUp while messages arrive: the view does not move, the status bar
    counts unread entries; End returns to the bottom and clears it."""
    tm = h.Tmux()
    srv = server(opts, args=["--rate", "0"])
    p = client(tm, opts, srv.port, "alice", 80, 24)
    peer = h.FramedClient(srv.port, "bob")
    for i in range(60):
        peer.msg("line %02d" % i)
    p.wait(chat("bob", "line 59"))
    p.keys("PPage")
    p.wait_gone(chat("bob", "line 59"))
    view = p.settled_rows()[:-2]
    for i in range(3):
        peer.msg("late %d" % i)
    p.wait_row(-2, r"\b3 unread\b")
    h.check(p.settled_rows()[:-2] == view, "the view moved while scrolled back", p.describe)
    p.keys("End")
    p.wait(chat("bob", "late 2"))
    p.wait_gone(r"\d+ unread")
    check_layout(p)
    # vt100's terminfo has no PgUp, Home, End or Delete, but terminals send
    # them anyway: they must still work there.
    v = tm.pane(client_argv(opts, srv.port, "vt"), 80, 24, env={"TERM": "vt100"}, name="vt")
    wait_connected(v)
    for i in range(40):
        peer.msg("more %02d" % i)
    v.wait(chat("bob", "more 39"))
    v.keys("PPage")
    v.wait_gone(chat("bob", "more 39"))
    v.keys("End")
    v.wait(chat("bob", "more 39"))
    v.type("abc def")
    v.keys("Home", "DC")
    v.wait(r"^> bc def")


def t_no_color(opts):
    """NO_COLOR and --no-color: no colour on screen; each kind still tells
    itself apart by its prefix. TERM=vt100 works."""
    tm = h.Tmux()
    srv = server(opts)
    cases = [("nc1", (), {"NO_COLOR": "1"}), ("nc2", ("--no-color",), {}),
             ("vt", (), {"TERM": "vt100"})]
    panes = [client(tm, opts, srv.port, n, 80, 24, extra, env) for n, extra, env in cases]
    peer = h.FramedClient(srv.port, "bob")
    peer.msg("colourless")
    for p in panes:
        p.wait(chat("bob", "colourless"))
        esc = p.screen(escapes=True)
        colours = {a for a in term.sgr_attrs(esc)
                   if a in ("38", "48") or re.fullmatch(r"(3|4|9|10)[0-7]", a)}
        h.check(not colours, "%s: colour codes %r on screen" % (p.name, colours), p.describe)
        p.line("mine")
        p.wait(acked(p.name, "mine"))


def t_paste(opts):
    """A bracketed paste of several lines becomes several messages, never a
    surprise command; more than 5 lines asks first."""
    tm = h.Tmux()
    srv = server(opts, args=["--rate", "0"])
    p = client(tm, opts, srv.port, "alice")
    peer = h.FramedClient(srv.port, "bob")
    p.paste("one\ntwo\n/quit\nexit\nthree")
    for t in ("one", "two", "/quit", "three"):
        p.wait(acked("alice", t))
        peer.wait(r"^CHAT \d+ alice %s$" % re.escape(t))
    p.wait(r'pasted "exit" line was not sent')
    h.check(p.dead() is None, "a pasted /quit or exit ended the client", p.describe)
    # Refused: nothing of it is sent (the next thing bob gets is the sentinel).
    p.paste("\n".join("no %d" % i for i in range(1, 8)))
    p.wait(r"(?i)7 pasted lines\?")
    p.type("n")
    p.wait_gone(r"(?i)pasted lines\?")
    p.line("sentinel")
    got = peer.wait(r"^CHAT \d+ alice ")
    h.check(got.endswith(" alice sentinel"), "a refused paste was sent: %r" % got)
    p.paste("\n".join("line %d" % i for i in range(1, 8)))
    p.wait(r"(?i)7 pasted lines\?")
    h.check("line 1" not in "\n".join(p.rows()[:-1]), "a big paste was sent before asking",
            p.describe)
    p.type("y")
    for i in range(1, 8):
        peer.wait(r"^CHAT \d+ alice line %d$" % i)
    p.wait(acked("alice", "line 7"))
    check_layout(p)


def t_plain(opts):
    """--plain: a line client like the tutorial's, with its prompt and
    Server response: lines, in a terminal too."""
    tm = h.Tmux()
    srv = server(opts)
    p = tm.pane(client_argv(opts, srv.port, "pat", ["--plain"]), 80, 24)
    p.wait(r"Enter a message to send to the server \(or 'exit' to quit\):\s*$")
    p.line("hello plain")
    p.wait(r"^Server response: Message received$")
    p.line("exit")
    p.wait_dead()


def t_env(opts):
    """SOCKCHAT_HOST, SOCKCHAT_PORT and SOCKCHAT_NICK are the defaults."""
    tm = h.Tmux()
    srv = server(opts)
    p = tm.pane([h.need(opts.client, "sockchat client")], 80, 24,
                env={"SOCKCHAT_HOST": "127.0.0.1", "SOCKCHAT_PORT": str(srv.port),
                     "SOCKCHAT_NICK": "envnick"})
    wait_connected(p)
    p.wait_row(-2, r"\| envnick \|")
    p.line("from env")
    p.wait(acked("envnick", "from env"))


def input_row(p):
    return p.rows()[-1]


def t_editing(opts):
    """The input line's keys, checked by what a peer receives: Ctrl-W,
    Ctrl-A/E, Backspace, Alt-B, Delete, Ctrl-K, history, Tab completion of
    nicks and commands, wide characters."""
    tm = h.Tmux()
    srv = server(opts, args=["--rate", "0"])
    p = client(tm, opts, srv.port, "alice")
    peer = h.FramedClient(srv.port, "bobby")
    p.wait(r"bobby")

    def sent(text):
        p.keys("Enter")
        peer.wait(r"^CHAT \d+ alice %s$" % re.escape(text))
        p.wait(acked("alice", text))

    p.type("hello world foo")
    p.keys("C-w")               # "hello world "
    p.keys("C-a")
    p.type("X")                 # "Xhello world "
    p.keys("C-e", "BSpace")     # "Xhello world"
    p.keys("M-b")
    p.type("big ")              # "Xhello big world"
    p.keys("C-a", "C-f", "DC")  # "Xello big world"
    sent("Xello big world")
    p.keys("Up")
    p.wait_row(-1, r"Xello big world")
    p.keys("C-a", "C-k")
    p.wait_row(-1, r"^\S*\s*$")
    p.type("bob")
    p.keys("Tab")
    p.wait_row(-1, r"bobby")
    p.type("hi 日本👍")
    p.keys("Left", "BSpace")    # removes 本
    line = input_row(p)
    text = line[line.index("bobby"):]
    sent(text)
    h.check(text.startswith("bobby") and text.endswith("hi 日👍"), "completed line %r" % text)
    p.type("/wh")
    p.keys("Tab")
    p.wait_row(-1, r"/who\b")
    p.keys("Enter")
    p.wait(r"\|.*bobby")
    p.keys("Up", "Up")
    p.wait_row(-1, re.escape(text))
    p.keys("Down")
    p.wait_row(-1, r"/who")
    p.keys("Down")
    p.wait_row(-1, r"^\S*\s*$")
    check_layout(p)


MOUSE_ON = (b"\x1b[?9h", b"\x1b[?1000h", b"\x1b[?1001h", b"\x1b[?1002h", b"\x1b[?1003h",
            b"\x1b[?1005h", b"\x1b[?1006h", b"\x1b[?1015h")


def t_mouse_off(opts):
    """By default the client asks for no mouse reports (issue 10): a plain
    drag selects text to copy, as in any terminal. PgUp/PgDn still scroll."""
    tm = h.Tmux()
    srv = server(opts, args=["--rate", "0"])
    p, d = term.run_checked(tm, client_argv(opts, srv.port, "alice"), 80, 24, record=True)
    wait_connected(p)
    peer = h.FramedClient(srv.port, "bob")
    for i in range(40):
        peer.msg("line %02d" % i)
    p.wait(chat("bob", "line 39"))
    m = term.modes(p)
    on = {k: v for k, v in m.items() if k.startswith("mouse_") and v != "0"}
    h.check(not on, "mouse tracking is on by default: %r" % on, p.describe)
    raw = p.recorded()
    h.check(b"\x1b[?2004h" in raw, "the recording missed the client's start: %r" % raw[:200])
    sent = [s for s in MOUSE_ON if s in raw]
    h.check(not sent, "the client asked for mouse reports: %r" % sent)
    p.keys("PPage")
    p.wait_gone(chat("bob", "line 39"))
    p.keys("NPage")
    p.wait(chat("bob", "line 39"))
    p.keys("C-c")
    term.check_restored(p, d, statuses=(0, 130))


def t_mouse(opts):
    """With --mouse the wheel scrolls the log where the terminal reports it."""
    tm = h.Tmux()
    srv = server(opts, args=["--rate", "0"])
    p = client(tm, opts, srv.port, "alice", extra=["--mouse"])
    peer = h.FramedClient(srv.port, "bob")
    for i in range(60):
        peer.msg("line %02d" % i)
    p.wait(chat("bob", "line 59"))
    h.check(term.modes(p)["mouse_any_flag"] == "1" or term.modes(p)["mouse_standard_flag"] == "1",
            "the client did not ask for mouse reports", p.describe)
    # X10 encoding: ESC [ M, button+32 (64 = wheel up, 65 = down), col+33, row+33
    up, down = ("\x1b[M" + chr(32 + b) + chr(33 + 10) + chr(33 + 5) for b in (64, 65))
    p.type(up + up)
    p.wait_gone(chat("bob", "line 59"))
    for _ in range(10):
        p.type(down)
    p.wait(chat("bob", "line 59"))


def t_addresses(opts):
    """HOST may be an IPv6 address or a name, and may carry the port."""
    import socket
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError as e:
        raise h.Skip("no IPv6 loopback here: %s" % e)
    tm = h.Tmux()
    srv = server(opts, args=["--bind", "::"])
    for host, nick in (("::1", "six"), ("localhost", "loc")):
        p = tm.pane([h.need(opts.client, "sockchat client"), host, str(srv.port), "--nick", nick],
                    80, 24, name=nick)
        wait_connected(p)
        p.line("via " + host)
        p.wait(acked(nick, "via " + host))
    # HOST:PORT and [V6]:PORT, as the server's log prints "others connect to".
    for host, nick in (("127.0.0.1:%d" % srv.port, "colon"), ("[::1]:%d" % srv.port, "brack")):
        p = tm.pane([h.need(opts.client, "sockchat client"), host, "--nick", nick], 80, 24,
                    name=nick)
        wait_connected(p)
        p.line("via " + host)
        p.wait(acked(nick, "via " + host))


def t_backoff(opts):
    """Started before its server: connection refused, retried with a
    growing delay (1, 2, 4 s ...) said in the status bar; connects as soon
    as the server is there."""
    tm = h.Tmux()
    port = h.free_port()
    p = tm.pane(client_argv(opts, port, "early"), 80, 24, name="early")
    seen = set()

    def delays():
        m = re.search(r"retrying in (\d+) s", p.rows()[-2])
        if m:
            seen.add(int(m.group(1)))
        return {1, 2, 4} <= seen
    h.poll_until("retry delays 1, 2 and 4 s (saw %r)" % seen, delays, 15, p.describe)
    p.wait(r"(?i)refused")
    p.line("typed before the server was up")
    p.wait(pending("early", "typed before the server was up"))
    srv = server(opts, port)
    peer = h.FramedClient(srv.port, "bob")
    wait_connected(p, 15)
    p.wait(acked("early", "typed before the server was up"))
    peer.wait(r"^CHAT \d+ early typed before the server was up$")


def t_modes(opts):
    """The client works with each server mode, and shows it."""
    tm = h.Tmux()
    for mode in ("single", "pool"):
        srv = server(opts, args=["--mode", mode])
        p = client(tm, opts, srv.port, "m" + mode)
        p.wait_row(-2, r"\| %s\b" % mode)
        p.line("in %s mode" % mode)
        p.wait(acked("m" + mode, "in %s mode" % mode))
        srv.stop()


def t_single_queue(opts):
    """The teaching demo of --mode single: a second client waits in the
    listen queue (no greeting) and says so honestly (issue 10 item 7): not
    "plain server", not "connected", what it types stays pending, not
    "sent", since nobody has read it. When the first leaves and it is
    served, it becomes a sockchat client after all: what it typed meanwhile
    is delivered, no protocol errors shown."""
    tm = h.Tmux()
    srv = server(opts, args=["--mode", "single"])
    first = client(tm, opts, srv.port, "first")
    second = tm.pane(client_argv(opts, srv.port, "second"), 80, 24, name="second")
    second.wait_row(-2, r"^\s*waiting: no greeting yet \|", 15)
    second.wait(r"no greeting in 3 s: the server may be busy with someone else")
    second.line("am I in?")
    second.wait(pending("second", "am I in?"))
    second.wait_row(-2, r"\b1 pending\b")
    scr = second.screen()
    h.check("plain server" not in scr and "sent" not in scr,
            "a waiting client claims a plain server or a sent message", second.describe)
    first.line("/quit")
    second.wait(r"greeted after all", 15)
    second.wait_row(-2, r"\| single\b")
    second.wait(acked("second", "am I in?"))
    second.line("/who")
    second.wait(r"\|\s+second\s")
    h.check("ERR" not in second.screen() and "protocol" not in second.screen(),
            "a protocol error reached the screen", second.describe)


def t_reconnect_now(opts):
    """At "retrying in N s" the user need not wait out the backoff (issue 10
    item 6): typing a message tries at once, and so does /reconnect."""
    tm = h.Tmux()
    port = h.free_port()
    p = tm.pane(client_argv(opts, port, "early"), 80, 24, name="early")
    p.wait_row(-2, r"retrying in 8 s", 15)  # refused after 1, 2 and 4 s
    p.line("typed while waiting")
    p.wait(pending("early", "typed while waiting"))
    # tried, and refused, at once: long before the 8 s were up
    p.wait(r"refused; retrying in 16 s$", 3)
    srv = server(opts, port)
    p.wait_row(-2, ST_RETRY)
    p.line("/reconnect")
    p.wait(r"connecting to 127\.0\.0\.1:%d again" % port)
    wait_connected(p, 3)  # the next retry was 16 s away
    p.wait(acked("early", "typed while waiting"))
    peer = h.FramedClient(srv.port, "bob")
    peer.wait(r"^CHAT \d+ early typed while waiting$")



# --- several servers (issue 18): HOST1:PORT1,HOST2:PORT2 -----------------

def _list_pane(tm, opts, ports, nick, extra=()):
    spec = ",".join("127.0.0.1:%d" % port for port in ports)
    return tm.pane([h.need(opts.client, "sockchat client"), spec, "--nick", nick] + list(extra),
                   80, 24, name=nick)


def _bar_server(port):
    """The status bar naming the address connected to."""
    return ST_CONNECTED + r"127\.0\.0\.1:%d \|" % port


def _sigkill(srv):
    os.kill(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait()


def t_failover(opts):
    """Two servers: SIGKILL the first mid-chat. The client says which
    connection was lost and where it goes, is on the second at once (the
    status bar names it), and chats on there: its message reaches a peer
    of the second server, the peer's reaches it, nothing is shown twice."""
    tm = h.Tmux()
    s1, s2 = server(opts), server(opts)
    p = _list_pane(tm, opts, (s1.port, s2.port), "alice")
    p.wait_row(-2, _bar_server(s1.port))
    p.line("on the first")
    p.wait(acked("alice", "on the first"))
    peer = h.FramedClient(s2.port, "bob")
    _sigkill(s1)
    p.wait(r"connection to 127\.0\.0\.1:%d lost;\s+trying\s+127\.0\.0\.1:%d"
           % (s1.port, s2.port))
    p.wait_row(-2, _bar_server(s2.port), 5)  # no back-off: at once
    h.check(not re.search(r"retrying in", p.screen()),
            "a back-off before trying the second server", p.describe)
    p.line("on the second")
    p.wait(acked("alice", "on the second"))
    peer.wait(r"^CHAT \d+ alice on the second$")
    peer.msg("welcome over")
    p.wait(chat("bob", "welcome over"))
    for text in ("on the first", "on the second"):
        n = len(re.findall(re.escape(text), p.screen()))
        h.check(n == 1, "%r shown %d times" % (text, n), p.describe)
    check_layout(p)


def t_failover_pending(opts):
    """The first server SIGKILLed while the second is not up yet: a whole
    round refused, so the client backs off and says so. A message typed
    then is pending; once the second server is up the client gets there
    by itself and delivers it, exactly once."""
    tm = h.Tmux()
    s1 = server(opts)
    port2 = h.free_port()
    p = _list_pane(tm, opts, (s1.port, port2), "carol")
    p.wait_row(-2, _bar_server(s1.port))
    _sigkill(s1)
    p.wait(r"all 2 addresses failed,\s+retrying in \d+ s")
    p.wait_row(-2, ST_RETRY)
    p.line("typed while down")
    p.wait(pending("carol", "typed while down"))
    s2 = server(opts, port2)
    wait_connected(p, 40)
    p.wait_row(-2, _bar_server(port2))
    p.wait(acked("carol", "typed while down"))
    p.line("after the move")
    p.wait(acked("carol", "after the move"))
    peer = h.FramedClient(s2.port, "dave")  # the history holds both
    peer.wait(r"^CHAT \d+ carol after the move$")
    got = [l for l in peer.lines if re.search(r"^CHAT \d+ carol typed while down$", l)]
    h.check(len(got) == 1, "the server has %d copies of the pending message" % len(got),
            p.describe)
    n = len(re.findall(r"typed while down", p.screen()))
    h.check(n == 1, "the pending message shown %d times" % n, p.describe)


def t_failover_refused(opts):
    """The first address refuses (nobody listens there): the second is
    tried at once and works, given as arguments or in SOCKCHAT_HOST (an
    IPv6 literal first); so does --plain, which tries the list in order
    when it starts."""
    tm = h.Tmux()
    closed = h.free_port()
    srv = server(opts)
    p = _list_pane(tm, opts, (closed, srv.port), "erin")
    p.wait(r"127\.0\.0\.1:%d: connect: Connection refused;\s+trying\s+127\.0\.0\.1:%d"
           % (closed, srv.port))
    p.wait_row(-2, _bar_server(srv.port), 5)
    p.line("second time lucky")
    p.wait(acked("erin", "second time lucky"))
    # The list from SOCKCHAT_HOST, an IPv6 literal first (nobody listens
    # there; without IPv6 the attempt fails at once all the same).
    e = tm.pane([h.need(opts.client, "sockchat client")], 80, 24, name="envlist",
                env={"SOCKCHAT_HOST": "[::1]:%d,127.0.0.1:%d" % (closed, srv.port),
                     "SOCKCHAT_NICK": "envlist"})
    e.wait(r"\[::1\]:%d: .*;\s+trying\s+127\.0\.0\.1:%d" % (closed, srv.port))
    e.wait_row(-2, _bar_server(srv.port), 5)
    e.line("from the env list")
    e.wait(acked("envlist", "from the env list"))
    q = _list_pane(tm, opts, (closed, srv.port), "frank", ["--plain"])
    # stderr, wrapped by the terminal wherever the 80th column falls
    q.wait(r"sockchat: connect to 127\.0\.0\.1:%d: connect: Connection refused; trying"
           % closed)
    q.wait(r"\(or 'exit' to quit\):")
    q.line("plain via the list")
    q.wait(r"^Server response: Message received$")
    q.line("exit")
    q.wait_dead()


def t_failover_bad_list(opts):
    """A bad list is refused before anything starts (exit 64), saying what
    is wrong, in either front end."""
    cl = h.need(opts.client, "sockchat client")
    for spec, why in (("127.0.0.1:5000,,127.0.0.1:5001", "an empty address"),
                      ("127.0.0.1:5000,", "an empty address"),
                      ("127.0.0.1:5000,127.0.0.1:0", "bad port 0 in 127.0.0.1:0"),
                      ("127.0.0.1:5000,[::1", "bad address [::1"),
                      (",".join(["127.0.0.1:5000"] * 17), "more than 16 addresses")):
        for extra in ([], ["--plain"]):
            r = subprocess.run([cl, spec] + extra, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
            err = r.stderr.decode()
            h.check(r.returncode == 64, "%s: exit %d, want 64" % (spec, r.returncode))
            h.check(err.startswith("sockchat: bad address list ") and why in err,
                    "%s: unclear error %r" % (spec, err))


def t_failover_auth_wait(opts):
    """A server of the list that says it will not judge a password from
    us for 3 s (ERR auth-wait) and closes: the client waits that long and
    comes back to it, rather than dodge its lock-out by hopping to the
    next address at once."""
    tm = h.Tmux()

    def locked_then_open(c, n):
        if n == 0:
            c.sendall(b"ERR auth-wait a wrong password was tried from your address; "
                      b"try again in 3 s\n")
            # The harness's drain thread may be in recv() on c: a close()
            # alone then sends no FIN until that returns (about 1 run in 10
            # under ASan, the client waiting forever). shutdown() sends it now.
            c.shutdown(socket.SHUT_RDWR)
            c.close()
            return
        c.sendall(b"WELCOME gina fake 1 fakesrv\n")
        while c.recv(4096):
            pass
    a = h.FakeServer(locked_then_open)
    b = h.FakeServer(lambda c, n: c.sendall(b"WELCOME gina fake 1 other\n"))
    p = _list_pane(tm, opts, (a.port, b.port), "gina")
    p.wait_row(-2, r"retrying in 3 s")
    h.poll_until("the client back at the first server", lambda: a.count >= 2, 10, p.describe)
    p.wait_row(-2, _bar_server(a.port))
    h.check(b.count == 0, "the client went to the second server during the lock-out",
            p.describe)
    h.check("trying 127.0.0.1:%d" % b.port not in p.screen(), "hopped to the second server",
            p.describe)


class _SshLike:
    """A listening socket that answers like an SSH server: its banner, and
    after the client's line a complaint and a close. Counts connections."""

    def __init__(self):
        import socket
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self.count = 0
        h._cleanups.append(self.lsock.close)
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            self.count += 1
            try:
                c.settimeout(10)
                c.sendall(b"SSH-2.0-OpenSSH_9.2p1\r\n")
                c.recv(4096)
                c.sendall(b"Invalid SSH identification string.\r\n")
            except OSError:
                pass
            c.close()


def t_not_chat_server(opts):
    """A port that answers like SSH or HTTP is named once, and not retried
    for ever (issue 10 item 6); /reconnect tries again, /connect goes on.
    The tutorial's servers and nc stay plain servers (interop tests)."""
    import http.server
    ssh = _SshLike()
    web = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    h._cleanups.append(web.server_close)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    h._cleanups.append(web.shutdown)
    tm = h.Tmux()
    p = tm.pane(client_argv(opts, ssh.port, "alice"), 100, 24, name="alice")
    said = r'127\.0\.0\.1:%d is not a chat server: it said "SSH-2\.0-OpenSSH_9\.2p1"' % ssh.port
    p.wait(said)
    p.wait_row(-2, r"failed: not a chat server")
    p.wait(r"not reconnecting; /reconnect tries again")
    # Not retried: the backoff would have come back after 1 s, then 2 s.
    end = time.monotonic() + 3.5
    while time.monotonic() < end:
        h.check(ssh.count == 1, "the client connected %d times to an SSH server" % ssh.count,
                p.describe)
        time.sleep(h.POLL)
    # A message waits, and says how to go on, without a retry.
    p.line("anyone?")
    p.wait(pending("alice", "anyone?"))
    p.wait(r"not connected \(not a chat server\); /reconnect tries again")
    h.check(ssh.count == 1, "typing retried a server that is no chat server", p.describe)
    p.line("/reconnect")
    h.poll_until("a second connection", lambda: ssh.count == 2, 5, p.describe)
    p.wait(r"(?s)%s.*%s" % (said, said))
    p.line("/connect 127.0.0.1 %d" % web.server_address[1])
    # Python's server, like most, answers a request line without an HTTP
    # version with the error page alone, as HTTP/0.9 did.
    p.wait(r'127\.0\.0\.1:%d is not a chat server: it (said "HTTP/1\.[01] 400 |sent a web page)'
           % web.server_address[1])
    p.wait_row(-2, r"failed: not a chat server")
    check_layout(p)


def t_no_locale(opts):
    """With no locale variable at all (LANG, LC_ALL, LC_CTYPE unset, as over
    ssh or after su -) é and 中文 show as themselves, not '?' (issue 10)."""
    probe = subprocess.run([sys.executable, "-c",
                            "import locale; locale.setlocale(locale.LC_CTYPE, 'C.UTF-8')"],
                           stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        raise h.Skip("this system has no C.UTF-8 locale")
    tm = h.Tmux()
    srv = server(opts)
    argv = ["env", "-u", "LANG", "-u", "LC_ALL", "-u", "LC_CTYPE"] + client_argv(opts, srv.port,
                                                                                 "alice")
    p = tm.pane(argv, 80, 24, name="alice")
    wait_connected(p)
    peer = h.FramedClient(srv.port, "bob")
    peer.msg("café 中文")
    p.wait(chat("bob", "café 中文"))
    p.line("é 中文 back")
    p.wait(r"<alice> é 中文 back ✓ \d+ ms")
    peer.wait(r"^CHAT \d+ alice é 中文 back$")
    check_layout(p)


PROMPT_RX = r"Enter a message to send to the server \(or 'exit' to quit\):"


def t_plain_chat(opts):
    """--plain keeps the tutorial's "Server response: ..." for replies to
    one's own lines, prints other people's lines as chat, on a line of
    their own, and prints the prompt again after them (issue 10). What was
    typed before they came stays visible above, and is sent on Enter."""
    tm = h.Tmux()
    srv = server(opts)
    p = tm.pane(client_argv(opts, srv.port, "pat", ["--plain"]), 100, 30, name="pat")
    p.wait(PROMPT_RX + r"\s*$")
    p.line("hello")
    p.wait(r"^Server response: Message received\n%s\s*$" % PROMPT_RX)
    peer = h.FramedClient(srv.port, "bob")
    p.wait(r"^\*\*\* bob joined \(2 online\)\n%s\s*$" % PROMPT_RX)
    peer.msg("hi pat")
    p.wait(r"^<bob> hi pat\n%s\s*$" % PROMPT_RX)
    peer.msg("/me waves")
    p.wait(r"^\* bob waves\n%s\s*$" % PROMPT_RX)
    # Typing, not entered yet, when a line arrives.
    p.type("half")
    p.wait(PROMPT_RX + r" half$")
    peer.msg("interrupting")
    p.wait(r"%s half\n<bob> interrupting\n%s\s*$" % (PROMPT_RX, PROMPT_RX))
    p.line(" done")
    peer.wait(r"^CHAT \d+ pat half done$")
    p.wait(r"^Server response: Message received\n%s\s*$" % PROMPT_RX)
    scr = p.screen()
    h.check("Server response: <" not in scr and "Server response: *" not in scr,
            "others' lines shown as a response to ours", p.describe)
    p.line("exit")
    p.wait_dead()


def t_kick(opts):
    """The operator's kick (typed at the server's console, here a tmux pane):
    the client says why and stays out instead of reconnecting at once;
    /connect is refused while the kick lasts, with the time left, and works
    again once the operator says unban."""
    tm = h.Tmux()
    srvp = tm.pane([h.need(opts.server, "sockchat-server"), "--bind", "127.0.0.1", "--port", "0"],
                   120, 30, name="server")
    port = int(srvp.wait(r"listening on 127\.0\.0\.1:(\d+)").group(1))
    p = client(tm, opts, port, "bob")
    srvp.line("kick bob stop that")
    p.wait(r"you were kicked by the operator for 5m00s: stop that")
    p.wait(r"not reconnecting")
    p.wait_row(-2, r"failed: you were kicked by the operator")
    p.line("/connect 127.0.0.1 %d" % port)
    p.wait(r"you are still kicked \((5m00|4m[0-5]\d)s left\): stop that")
    srvp.line("unban bob")
    srvp.wait(r"unbanned bob")
    p.line("/connect 127.0.0.1 %d" % port)
    wait_connected(p)
    srvp.line("quit")


def t_connect(opts):
    """/connect HOST PORT switches servers."""
    tm = h.Tmux()
    srv = server(opts)
    other = server(opts, args=["--name", "otherserver"])
    p = client(tm, opts, srv.port, "alice")
    peer = h.FramedClient(other.port, "bob")
    p.line("/connect 127.0.0.1 %d" % other.port)
    p.wait(r"connected to otherserver as alice")
    p.wait_row(-2, r"127\.0\.0\.1:%d\b" % other.port)
    p.line("on the other one")
    peer.wait(r"^CHAT \d+ alice on the other one$")


def t_pipe(opts):
    """With stdout not a terminal, or TERM=dumb, the client runs in plain
    mode by itself, and leaves the terminal settings alone."""
    tm = h.Tmux()
    srv = server(opts)
    cmd = " ".join(map(shlex.quote, client_argv(opts, srv.port, "piped"))) + " | cat"
    p, d = term.run_checked(tm, ["sh", "-c", cmd], 80, 24)
    p.wait(r"\(or 'exit' to quit\):")
    p.line("hi from a pipe")
    p.wait(r"^Server response: Message received$")
    p.line("exit")
    term.check_restored(p, d, statuses=(0,))
    # A terminal that cannot place the cursor gets the line client too
    # (curses would draw every row on one line).
    cmd = " ".join(map(shlex.quote, client_argv(opts, srv.port, "dumb")))
    p, d = term.run_checked(tm, ["sh", "-c", "TERM=dumb " + cmd], 80, 24)
    p.wait(r"\(or 'exit' to quit\):")
    p.line("hi from a dumb terminal")
    p.wait(r"^Server response: Message received$")
    p.line("exit")
    term.check_restored(p, d, statuses=(0,))


def t_plain_password(opts):
    """--plain with a password: accepted, refused (77), and, right after
    someone at the same address guessed wrong, told to try again (75, not
    77: its own password was never judged). Cut off by the server before
    it was done (a full server): 69."""
    srv = server(opts, args=["--password", "s3cret"])

    def run(pw, lines="hello\nexit\n"):
        r = subprocess.run(client_argv(opts, srv.port, "plainpw", ["--plain"]),
                           input=lines.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30,
                           env=dict(os.environ, SOCKCHAT_PASSWORD=pw))
        return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

    rc, out, err = run("s3cret")
    h.check(rc == 0 and "Server response: Message received" in out,
            "right password: rc %d, %r, %r" % (rc, out, err))
    for i in range(5):  # the server closing after /quit is the end asked for (was a race)
        rc, out, err = run("s3cret", lines="hello\n/quit\n")
        h.check(rc == 0 and "Server response: bye" in out, "/quit: rc %d, %r" % (rc, err))
    rc, out, err = run("guess")
    h.check(rc == 77 and "refused the password" in err, "wrong password: rc %d, %r" % (rc, err))
    # The wrong one just now locked the address for 1 s.
    rc, out, err = run("s3cret")
    print("right password during the lockout: rc %d" % rc)
    h.check(rc in (75, 0), "rc %d (77 would blame our password): %r" % (rc, err))
    if rc == 75:
        h.check("try again" in err, "no advice: %r" % err)
    # Refused before it was done (a full server): not 0, so scripts can tell.
    import socket
    full = server(opts, args=["--max-clients", "1"])
    with socket.create_connection(("127.0.0.1", full.port), timeout=10) as hold:
        hold.sendall(b"holding the only place\n")
        hold.recv(100)
        r = subprocess.run(client_argv(opts, full.port, "late", ["--plain"]),
                           input=b"hello\nexit\n", stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
    out = r.stdout.decode(errors="replace")
    h.check(r.returncode == 69 and "full" in out, "full server: rc %d, %r" % (r.returncode, out))


def t_plain_exit(opts):
    """--plain leaves on the exit word exactly as the server closes on it
    (proto's cmd_is_exit): "exit" in any ASCII case with blanks around it.
    So " exit " ends the client with 0 and "Exiting client.", not with "the
    server closed the connection" (69) as when it tested for "exit" alone.
    A line that only starts with the word is chat."""
    srv = server(opts)

    def run(nick, lines):
        # A nick per run: the last run's is held for it for a while.
        r = subprocess.run(client_argv(opts, srv.port, nick, ["--plain"]),
                           input=lines.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

    for i, word in enumerate(["exit", " exit ", "EXIT\t", "\t Exit  "]):
        rc, out, err = run("leaver%d" % i, "hello\n%s\n" % word)
        h.check(rc == 0 and "Exiting client." in out and "closed the connection" not in err,
                "%r: rc %d, %r, %r" % (word, rc, out, err))
    rc, out, err = run("stayer", "hello\nexits\n")
    h.check(rc == 0 and out.count("Server response: Message received") == 2
            and "Exiting client." not in out,
            "'exits' is chat: rc %d, %r, %r" % (rc, out, err))


def t_paste_long(opts):
    """A one-line paste longer than the input line's limit (4000 bytes) is
    kept whole (offered as several messages, as a long line inside a
    multi-line paste is sent in pieces) or refused with a visible note;
    never dropped in silence."""
    tm = h.Tmux()
    srv = server(opts, args=["--rate", "0"])
    p = client(tm, opts, srv.port, "alice")
    peer = h.FramedClient(srv.port, "bob")
    p.paste("y" * 5000)
    m = p.wait(r"(?i)(\? \(y/n\))|(too long|not pasted)|^\S*\s*y{20,}", 5)
    if m.group(2):
        return  # refused, and said so
    p.keys("y" if m.group(1) else "Enter")
    got = 0
    while got < 5000:
        got += len(peer.wait(r"^CHAT \d+ alice y+$").split(" ", 3)[3])
    h.check(got == 5000, "bob got %d of 5000 pasted characters" % got)


def t_too_small(opts):
    """Below 40x10 the screen shows the "too small" note and nothing stale:
    no leftover log rows, no status bar from the previous size. The note
    fits whole, down to 10x3 (it was cut to "need 40x10, have 20x")."""
    tm = h.Tmux()
    srv = server(opts)
    p = client(tm, opts, srv.port, "alice")
    for w, ht in ((39, 10), (30, 20), (40, 9), (20, 5), (10, 3)):
        p.resize(w, ht)
        p.wait_size(w, ht)
        p.wait(TOO_SMALL)
        p.wait(r"need 40x10\b")
        p.wait(r"have %dx%d\s*$" % (w, ht))
        h.check(not re.search(r"connected \||<alice>|sockchat 0", p.screen()),
                "stale rows under the too-small note at %dx%d" % (w, ht), p.describe)
        p.resize(80, 24)
        p.wait_size(80, 24)
        wait_connected(p)


def t_nick_colour(opts):
    """A nick has the same colour on every line and in every client."""
    tm = h.Tmux()
    srv = server(opts)
    a = client(tm, opts, srv.port, "alice")
    b = client(tm, opts, srv.port, "bob")
    peer = h.FramedClient(srv.port, "carol")
    peer.msg("first from carol")
    peer.msg("second from carol")
    styles = []
    for p in (a, b):
        p.wait(chat("carol", "second from carol"))
        esc = p.screen(escapes=True)
        found = re.findall(r"<((?:\x1b\[[0-9;:]*m)*)carol(?:\x1b\[[0-9;:]*m)*> \w+ from carol", esc)
        h.check(len(found) == 2, "%s: carol's lines not found: %r" % (p.name, esc))
        styles += [term.sgr_attrs(f) for f in found]
    h.check(all(s == styles[0] for s in styles), "carol's nick style differs: %r" % styles)
    h.check(styles[0] - {"0", "1", "22"}, "carol's nick has no colour: %r" % styles[0])


KINDS = [  # what the server sends, how the client shows it (by its prefix)
    (b"CHAT 1 bob chat text", r"<bob> chat text"),
    (b"ACTION 1 bob acts", r"\* bob acts"),
    # to us: marked as a mention (issue 16), "»" or ">>"
    (b"PRIV 1 bob alice secret", r"(?:» |>> )?\[bob -> alice\] secret"),
    (b"JOIN carol 3", r"--> carol joined"),
    (b"LEAVE carol 2 quit bye", r"<-- carol left"),
    (b"OUT output line", r"\| output line"),
    (b"ERR usage bad usage", r"! bad usage"),
    (b"NOTICE notice text", r"-!- notice text"),
    (b"FROB from a newer server", r"(\| )?FROB from a newer server"),
]


def t_kinds(opts):
    """Each kind of entry tells itself apart: by its prefix without colour
    (--no-color, TERM=vt100), and by colour with it. Unknown types from a
    newer peer are shown as text."""
    def script(c, n):
        c.sendall(b"WELCOME alice fake 2 fakesrv\n")
        for line, _ in KINDS:
            c.sendall(line + b"\n")
        threading.Event().wait(60)
    fake = h.FakeServer(script)
    tm = h.Tmux()
    styles = {}
    for name, extra, env in (("colour", [], {}), ("mono", ["--no-color"], {}),
                             ("vt100", [], {"TERM": "vt100"})):
        p = tm.pane(client_argv(opts, fake.port, "alice", extra), 80, 24, env=env, name=name)
        for _, shown in KINDS:
            p.wait(r"^\d\d:\d\d %s" % shown)
        if name == "colour":
            esc = p.screen(escapes=True).split("\n")
            for line, shown in KINDS[:-1]:
                row = [r for r in esc if re.search(shown, re.sub(r"\x1b\[[0-9;:]*m", "", r))][0]
                # the style in force after the time stamp
                after_time = re.split(r"\d\d:\d\d ", row, maxsplit=1)[1]
                lead = re.match(r"((?:\x1b\[[0-9;:]*m)*)", after_time).group(1)
                styles[line.split()[0]] = frozenset(term.sgr_attrs(lead) - {"0", "39", "49"})
    distinct = set(styles.values())
    h.check(len(distinct) >= 5, "entry kinds share too few colours: %r" % styles)
    # Chat kinds colour the nick inside the tag; the others the marker.
    loud = (b"ERR", b"NOTICE", b"JOIN", b"LEAVE", b"OUT")
    h.check(all(styles[k] for k in loud) and len({styles[k] for k in loud}) == len(loud),
            "errors, notices, joins, leaves and command output must each have a style of "
            "their own: %r" % styles)


def t_local_commands(opts):
    """/help lists the client's keys, then the server's commands; /clear
    empties the log; /nick renames (status bar too)."""
    tm = h.Tmux()
    srv = server(opts)
    p = client(tm, opts, srv.port, "alice", 100, 50)
    p.line("/help")
    p.wait(r"(?i)keys[\s\S]*PgUp[\s\S]*/who\b")
    p.line("/clear")
    p.wait_gone(r"PgUp")
    p.wait_gone(r"/who\b")
    p.line("/nick alicia")
    p.wait_row(-2, r"\| alicia \|")
    p.line("renamed")
    p.wait(acked("alicia", "renamed"))


def t_password(opts):
    """A server started with --password: the client's password comes from
    SOCKCHAT_PASSWORD or --password-file (never argv); a wrong one fails
    the connection, said in the status bar, without retrying."""
    tm = h.Tmux()
    srv = server(opts, args=["--password", "s3cret"])
    ok = client(tm, opts, srv.port, "envpw", env={"SOCKCHAT_PASSWORD": "s3cret"})
    ok.line("in with the env")
    ok.wait(acked("envpw", "in with the env"))
    pwfile = os.path.join(tm.dir, "pw")
    with open(pwfile, "w") as f:
        f.write("s3cret\n")
    viafile = client(tm, opts, srv.port, "filepw", extra=["--password-file", pwfile])
    viafile.line("in with a file")
    viafile.wait(acked("filepw", "in with a file"))
    bad = tm.pane(client_argv(opts, srv.port, "badpw"), 80, 24, name="badpw",
                  env={"SOCKCHAT_PASSWORD": "guess"})
    bad.wait_row(-2, r"failed: .*wrong password", 15)
    attempts = len(re.findall(r"wrong password", bad.screen()))
    # no retry: the count of refusals stays put while the backoff would
    # have tried again (1 s)
    h.check(not re.search(r"retrying", bad.rows()[-2]), "retrying after a refused password",
            bad.describe)
    none = tm.pane(client_argv(opts, srv.port, "nopw"), 80, 24, name="nopw")
    none.wait_row(-2, r"failed: .*(needs a password|wrong password)", 15)
    bad.wait_row(-2, r"failed: .*wrong password")
    h.check(len(re.findall(r"wrong password", bad.screen())) == attempts,
            "the client tried the wrong password again", bad.describe)


def _prompt_row(port):
    return r"^Password for 127\.0\.0\.1:%d: ?(\**)$" % port


def t_password_prompt(opts):
    """Issue 11 item 11: a server that wants a password the client was not
    given: a prompt appears on the input line, typed characters show as
    stars, a wrong password says so and asks again, the right one joins
    the room (after the lock-out the wrong one caused, as long as the
    server says). The password never reaches the screen, nor the terminal
    at all, nor the input history. Esc and Ctrl-C cancel (the client stays,
    disconnected, and says how to retry); /connect asks again."""
    tm = h.Tmux()
    srv = server(opts, args=["--password", "s3cret"])
    p, d = term.run_checked(tm, client_argv(opts, srv.port, "alice"), 80, 24, record=True)
    p.wait_row(-1, _prompt_row(srv.port), 15)
    p.wait(r"a password is needed for 127\.0\.0\.1:%d: type it below" % srv.port)
    p.wait_row(-2, r"failed: the server needs a password")
    p.type("wrongpw")
    m = p.wait_row(-1, _prompt_row(srv.port))
    h.poll_until("7 stars", lambda: p.rows()[-1].endswith(": *******"), 5, p.describe)
    p.keys("BSpace")
    h.poll_until("6 stars", lambda: p.rows()[-1].endswith(": ******"), 5, p.describe)
    p.type("w")
    p.keys("Enter")
    p.wait(r"wrong password for 127\.0\.0\.1:%d: type it below" % srv.port, 15)
    m = p.wait_row(-1, _prompt_row(srv.port))
    h.check(m.group(1) == "", "the new prompt is not empty: %r" % p.rows()[-1], p.describe)
    p.wait_row(-2, r"failed: wrong password")
    p.type("s3cret")
    p.keys("Enter")
    # The wrong one locked our address for a second: the client waits it
    # out (ERR auth-wait says how long) and gets in.
    wait_connected(p, 20)
    p.wait(r"connected to sockchat as alice")
    # No history yet: Up brings back nothing, certainly not the password.
    p.keys("Up")
    p.wait_row(-1, r"^>$")
    p.line("hello room")
    p.wait(acked("alice", "hello room"))
    p.keys("Up", "Up", "Up")
    p.wait_row(-1, r"^> hello room$")
    p.keys("C-u")
    scr = p.screen()
    h.check("s3cret" not in scr and "wrongp" not in scr, "a password is on the screen",
            p.describe)
    raw = p.recorded()
    h.check(b"s3cret" not in raw and b"wrongp" not in raw,
            "a password was written to the terminal")

    # Esc and Ctrl-C at the prompt cancel; /connect asks again.
    bob = tm.pane(client_argv(opts, srv.port, "bob"), 80, 24, name="bob")
    bob.wait_row(-1, _prompt_row(srv.port), 15)
    bob.type("abc")
    bob.keys("Escape")
    bob.wait(r"no password given: not connected \(/connect 127\.0\.0\.1 %d tries again\)"
             % srv.port)
    bob.wait_row(-1, r"^>$")
    bob.wait_row(-2, r"failed: the server needs a password")
    bob.line("/connect 127.0.0.1 %d" % srv.port)
    bob.wait_row(-1, _prompt_row(srv.port), 15)
    bob.type("xyz")
    bob.keys("C-c")
    bob.wait_row(-1, r"^>$")
    h.check(bob.dead() is None, "Ctrl-C at the prompt quit the client", bob.describe)
    h.check(len(re.findall(r"no password given", bob.screen())) == 2, "no second note",
            bob.describe)
    bob.line("/connect 127.0.0.1 %d" % srv.port)
    bob.wait_row(-1, _prompt_row(srv.port), 15)
    # Pasted, as from a password manager: it goes to the prompt, as stars.
    bob.paste("s3cret")
    h.poll_until("6 stars", lambda: bob.rows()[-1].endswith(": ******"), 5, bob.describe)
    bob.keys("Enter")
    wait_connected(bob, 20)
    bob.line("in at last")
    p.wait(chat("bob", "in at last"))
    p.keys("C-c")
    term.check_restored(p, d, statuses=(0, 130))


def t_plain_prompt(opts):
    """Issue 11 item 11, the line client (--plain): on a terminal, a server
    that needs a password it was not given makes it ask, with the echo off;
    a wrong one says so and asks again; the right one gets in (after the
    lock-out the wrong one caused) and the line the server refused (/nick)
    is sent again. The password never reaches the terminal. Ctrl-C at the
    prompt leaves the terminal as it was found. Without a terminal it does
    not ask: the refusal is printed, as before."""
    tm = h.Tmux()
    srv = server(opts, args=["--password", "s3cret"])
    prompt = r"^Password for 127\.0\.0\.1:%d:" % srv.port
    p, d = term.run_checked(tm, client_argv(opts, srv.port, "plainy", ["--plain"]), 80, 24,
                            record=True)
    p.wait(r"^Server response: error: this server needs a password", 10)
    p.wait(prompt)
    p.line("wrongpw")
    p.wait(r"^sockchat: wrong password$", 10)
    h.poll_until("a second prompt", lambda: len(re.findall(prompt, p.screen(), re.M)) == 2, 10,
                 p.describe)
    p.line("s3cret")
    p.wait(r"^Server response: password accepted", 15)
    p.wait(r"^(Server response: |\*\*\* ).*\bplainy\b", 10)  # the /nick, sent again
    p.wait(r"\(or 'exit' to quit\):")
    p.line("hello")
    p.wait(r"^Server response: Message received$")
    p.line("exit")
    term.check_restored(p, d, statuses=(0,))
    scr = p.screen()
    h.check("s3cret" not in scr and "wrongpw" not in scr, "a password is on the screen",
            p.describe)
    raw = p.recorded()
    h.check(b"s3cret" not in raw and b"wrongpw" not in raw,
            "a password was written to the terminal")

    # Ctrl-C at the prompt: the program ends as Ctrl-C ends it, echo on.
    q, dq = term.run_checked(tm, client_argv(opts, srv.port, "quitter", ["--plain"]), 80, 24,
                             record=True)
    q.wait(prompt, 10)
    q.type("abc")
    q.keys("C-c")
    term.check_restored(q, dq, statuses=(130,))

    # No terminal: no prompt, and the server's refusal is shown as before.
    r = subprocess.run(client_argv(opts, srv.port, "piped", ["--plain"]),
                       input=b"hello\nexit\n", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    h.check("Password for" not in out and "needs a password" in out and r.returncode == 0,
            "without a terminal: rc %d, %r" % (r.returncode, out))


class Recorder:
    """A listener on 127.0.0.1 that answers nothing and keeps every byte
    each connection sent."""

    def __init__(self):
        self.data = b""
        self.lock = threading.Lock()
        self.port = h.Listener(self._read).port

    def _read(self, c, _n):
        with c:
            while True:
                try:
                    d = c.recv(65536)
                except OSError:
                    return
                if not d:
                    return
                with self.lock:
                    self.data += d

    def got(self):
        with self.lock:
            return self.data


def t_connect_password(opts):
    """Issue 11 item 10: the password from SOCKCHAT_PASSWORD goes to the
    host and port it was given for, never to another server after /connect
    (a raw listener records what it gets), again to the same host and port,
    and not to "localhost" for "127.0.0.1" (nothing is resolved): that one
    asks."""
    tm = h.Tmux()
    srv = server(opts, args=["--password", "s3cret"])
    rec = Recorder()
    p = client(tm, opts, srv.port, "alice", env={"SOCKCHAT_PASSWORD": "s3cret"})
    p.line("/connect 127.0.0.1 %d" % rec.port)
    h.poll_until("the HELLO at the other server", lambda: b"HELLO" in rec.got(), 10,
                 p.describe)
    # Silent to our HELLO: "no greeting yet" after 3 s; what it got
    # until then is all the client will send it unasked.
    p.wait(r"no greeting in 3 s", 10)
    got = rec.got()
    print("the other server got: %r" % got)
    h.check(b"s3cret" not in got, "the password went to another server: %r" % got)
    h.check(got.startswith(b"HELLO sockchat/2 alice\n"), "unexpected: %r" % got)
    # The same host and port again: it goes, and we are in.
    p.line("/connect 127.0.0.1 %d" % srv.port)
    p.wait(r"connected to sockchat as alice", 10)
    wait_connected(p)
    # The same server by another name is another server: asked, not sent.
    p.line("/connect localhost %d" % srv.port)
    # Debian's /etc/hosts gives localhost ::1 too: a name with several
    # addresses is shown with the one in use.
    p.wait_row(-1, r"^Password for localhost:%d( \(127\.0\.0\.1\))?:$" % srv.port, 15)
    p.keys("Escape")
    p.wait_row(-1, r"^>$")
    h.check(b"s3cret" not in rec.got(), "the password went to another server later")


def t_status_narrow(opts):
    """At 40x10 the status bar still shows what matters most: the state,
    and while scrolled back the unread count; while down, the state (the
    pending message shows in the log)."""
    tm = h.Tmux()
    srv = server(opts, args=["--rate", "0"])
    p = client(tm, opts, srv.port, "alice", 40, 10)
    peer = h.FramedClient(srv.port, "bob")
    for i in range(30):
        peer.msg("m %d" % i)
    p.wait(chat("bob", "m 29"))
    p.keys("PPage")
    p.wait_gone(chat("bob", "m 29"))
    for i in range(3):
        peer.msg("late %d" % i)
    p.wait_row(-2, r"\b3 unread\b")
    p.keys("End")
    srv.stop()
    p.wait_row(-2, ST_RETRY)
    p.line("down")
    p.wait(pending("alice", "down"))
    p.wait_row(-2, ST_RETRY)
    check_layout(p)


def _gone(pid):
    """True when pid has exited (a zombie counts: it runs no more)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def t_terminal_gone(opts):
    """The terminal disappears (ssh dropped, tmux killed): the client exits
    rather than spinning on the hung-up tty, even when SIGHUP does not reach
    it (here the wrapper shell, the session leader, traps it)."""
    tm = h.Tmux()
    srv = server(opts)
    p, _ = term.run_checked(tm, client_argv(opts, srv.port, "alice"), 80, 24)
    wait_connected(p)
    pid = term.program_pid(p)
    shell = int(p.fmt("#{pane_pid}"))
    tmux_pid = int(tm.run("display-message", "-p", "#{pid}").strip())
    os.kill(tmux_pid, signal.SIGKILL)
    try:
        h.poll_until("the client (pid %d) to exit after its terminal went away" % pid,
                     lambda: _gone(pid), 10)
    finally:
        # With tmux gone, Tmux.close() can no longer list the panes: end
        # what this test started (the wrapper's process group) itself.
        try:
            os.killpg(shell, signal.SIGKILL)
        except OSError:
            pass


def _proc_state(pid):
    """R, S, T (stopped)... from /proc/PID/stat; None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def t_background(opts):
    """The server started as a background job of an interactive shell
    (`sockchat-server ... &`): the shell is used meanwhile, and the chat goes
    on (the server used to read the terminal, got SIGTTIN and froze
    everyone); SIGTERM ends it with status 0."""
    binary = h.need(opts.server, "sockchat-server")
    tm = h.Tmux()
    sh = tm.pane(["bash", "--norc", "--noprofile", "-i"], 100, 30, name="shell")
    sh.line("PS1='sh> '")
    sh.wait(r"^sh>\s*$")
    out, err = os.path.join(tm.dir, "server.out"), os.path.join(tm.dir, "server.err")
    sh.line("%s --bind 127.0.0.1 --port 0 >%s 2>%s & echo pid=$!"
            % (shlex.quote(binary), shlex.quote(out), shlex.quote(err)))
    pid = int(sh.wait(r"^pid=(\d+)").group(1))
    h._cleanups.append(lambda: _proc_state(pid) and os.kill(pid, signal.SIGKILL))

    def listening():
        with open(out) as f:
            return re.search(r"listening on 127\.0\.0\.1:(\d+)", f.read())
    port = int(h.poll_until("the server's listening line", listening, 10).group(1))
    peer = h.FramedClient(port, "bob")
    p = client(tm, opts, port, "alice")
    for i in range(4):
        sh.line("echo marker%d" % i)
        sh.wait(r"^marker%d\s*$" % i)
        p.line("from alice %d" % i)
        p.wait(acked("alice", "from alice %d" % i))
        peer.wait(r"^CHAT \d+ alice from alice %d$" % i)
        n = peer.msg("from bob %d" % i)
        peer.wait(r"^ACK %d\b" % n)
        p.wait(chat("bob", "from bob %d" % i))
        state = _proc_state(pid)
        h.check(state not in ("T", "t", None), "the server is in state %r" % state, sh.describe)
    sh.line("wait %d; echo status=$?" % pid)
    os.kill(pid, signal.SIGTERM)
    sh.wait(r"^status=0\s*$")
    with open(err) as f:
        log = f.read()
    h.check(re.search(r"stopped \(SIGTERM\)$", log, re.M), "no 'stopped (SIGTERM)' in:\n" + log)


# ---- the wire view and the demo knobs (issue 14) ----------------------------

WIRE_TITLE = r"wire: \d+ calls"


def wire_row(arrow, kind, count, text):
    """A row of the wire view: "→  1.234s write   17 B  MSG 1 hi\\n│"."""
    return r"^%s\s+\d+\.\d{3}s %s\s+%s B  %s" % (arrow, kind, count, text)


def wire_rows(p, arrow, kind):
    """The wire rows of one direction on the screen, top to bottom."""
    rx = re.compile(r"^%s\s+\d+\.\d{3}s %s\s+(\d+) B  (.*)$" % (arrow, kind))
    return [m for m in (rx.match(r) for r in p.rows()) if m]


def _start_tutorial(opts, script):
    """The tutorial's server on an ephemeral port (its PORT 0 addition);
    returns the port."""
    path = os.path.join(opts.interop or "", script)
    h.need(opts.interop and path, "tutorial server " + script)
    proc = subprocess.Popen([sys.executable, path, "127.0.0.1", "0"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=h._pdeathsig)
    h._cleanups.append(lambda: (proc.kill(), proc.wait()))
    line = proc.stderr.readline().decode()  # bounded by the test's alarm
    m = re.search(r"listening on \S+:(\d+)", line)
    h.check(m, "tutorial server did not say its port: %r" % line)
    return int(m.group(1))


def t_wire_view(opts):
    """F2 opens the wire view under the chat at 80x24: a row per system
    call, our write and the server's reply with their byte counts and the
    line boundary marked; F2 closes it, /wire opens and closes it too; F1
    shows the help naming both; Ctrl-O gives PgUp to the pane. With
    NO_COLOR the pane has no colour."""
    tm = h.Tmux()
    srv = server(opts)
    for name, env in (("alice", None), ("nc", {"NO_COLOR": "1"})):
        p = client(tm, opts, srv.port, name, 80, 24, env=env)
        h.check(not re.search(WIRE_TITLE, p.screen()), "the wire view is on by default",
                p.describe)
        p.keys("F2")
        p.wait(WIRE_TITLE)
        text = "hello wire from %s" % name
        p.line(text)
        p.wait(acked(name, text))
        # MSG ID TEXT LF is the write; ACK ID LF the read that answers it.
        p.wait(wire_row("→", "write", r"\d+", r"MSG \d+ %s\\n│" % text))
        p.wait(wire_row("←", "read", r"\d+", r"(\S.*\\n│)?ACK \d+\\n│"))
        check_layout(p)
        rows = p.rows()
        title = [i for i, r in enumerate(rows) if re.search(WIRE_TITLE, r)][0]
        h.check(8 <= title <= 14, "the wire pane's title is on row %d of 24" % title, p.describe)
        h.check(re.search(acked(name, text), "\n".join(rows[:title])),
                "the chat is not above the wire pane", p.describe)
        if env:
            colours = {a for a in term.sgr_attrs(p.screen(escapes=True))
                       if a in ("38", "48") or re.fullmatch(r"(3|4|9|10)[0-7]", a)}
            h.check(not colours, "colour codes %r with NO_COLOR" % colours, p.describe)
        p.keys("F2")
        p.wait_gone(WIRE_TITLE)
        p.line("/wire")
        p.wait(WIRE_TITLE)
        p.line("/wire")
        p.wait_gone(WIRE_TITLE)
    # F1: the help names the wire view's keys.
    p.keys("F1")
    p.wait(r"F2 or /wire")
    p.wait(r"Ctrl-O")
    # Enough calls to scroll: Ctrl-O, then PgUp moves the pane, not the chat.
    p.keys("F2")
    p.wait(WIRE_TITLE)
    for i in range(12):
        p.line("row %d" % i)
        p.wait(acked("nc", "row %d" % i))
    p.keys("C-o")
    p.wait(r"wire: \d+ calls, 0 back")
    p.keys("PPage")
    p.wait(r"wire: \d+ calls, [1-9]\d* back")
    p.keys("End")
    p.wait(r"wire: \d+ calls, 0 back")
    p.keys("C-o")
    p.wait(r"wire: \d+ calls ─ F2 close")
    check_layout(p)
    # At the smallest size the pane still has rows, and nothing overflows.
    p.resize(40, 10)
    p.wait_size(40, 10)
    p.line("small")
    p.wait(acked("nc", "small"))
    p.wait(r"^→\s+\d+\.\d{3}s write\s+\d+ B  MSG \d+ sm")
    check_layout(p)
    p.resize(80, 24)
    p.wait_size(80, 24)
    p.wait(wire_row("→", "write", r"\d+", r"MSG \d+ small\\n│"))
    check_layout(p)


def t_wire_chunk_tutorial(opts):
    """The lesson: the tutorial's server.py treats one recv(1024) as one
    message. With --chunk 3:50 one message reaches it in pieces, and it
    answers each piece: the wire view shows several reads of its reply
    for the one message we wrote."""
    port = _start_tutorial(opts, "server.py")
    tm = h.Tmux()
    p = tm.pane(client_argv(opts, port, "alice", ["--wire", "--chunk", "3:50"]), 80, 24,
                name="alice")
    wait_connected(p)
    p.wait_row(-2, r"plain server")
    p.wait(WIRE_TITLE)
    p.wait(r"^•\s+0\.000s connected$")
    before = len(wire_rows(p, "←", "read"))
    text = "one message"
    p.line(text)
    # Written in pieces of at most 3 bytes ...
    h.poll_until("the message written in pieces",
                 lambda: sum(1 for m in wire_rows(p, "→", "write") if int(m.group(1)) <= 3) >= 4,
                 10, p.describe)
    # ... and answered piece by piece: several reads for one message.
    h.poll_until("several reads of Message received",
                 lambda: len([m for m in wire_rows(p, "←", "read")
                              if m.group(2).startswith("Message received")]) - before >= 3,
                 10, p.describe)
    check_layout(p)


def t_wire_chunk_framing(opts):
    """Against our server a message written with --chunk 3:50 still arrives
    whole at another client: the server frames lines, it does not take a
    read for a message."""
    tm = h.Tmux()
    srv = server(opts)
    a = client(tm, opts, srv.port, "alice", 80, 24, extra=["--wire", "--chunk", "3:50",
                                                            "--nodelay", "on"])
    b = client(tm, opts, srv.port, "bob", 80, 24)
    peer = h.FramedClient(srv.port, "carol")
    text = "sent in pieces of three bytes"
    a.line(text)
    got = peer.wait(r"^CHAT \d+ alice ")
    h.check(got.split(" ", 3)[3] == text, "carol got %r, want %r" % (got, text))
    b.wait(chat("alice", text))
    a.wait(acked("alice", text))
    pieces = [m for m in wire_rows(a, "→", "write") if int(m.group(1)) <= 3]
    h.check(len(pieces) >= 5, "alice's wire view shows %d small writes" % len(pieces), a.describe)
    # While the pieces go out (40 pieces, 50 ms apart: 2 s) the client
    # waits in poll(): it answers keys, and it does not spin.
    pid = _client_pid(a)
    cpu0, t0 = _cpu_seconds(pid), time.monotonic()
    long_text = "x" * 118
    a.line(long_text)
    a.type("typed meanwhile")
    a.wait_row(-1, r"typed meanwhile", 1.5)
    h.check(time.monotonic() - t0 < 1.9, "the typing showed only after the pieces' 2 s")
    got = peer.wait(r"^CHAT \d+ alice x", 15)
    cpu, wall = _cpu_seconds(pid) - cpu0, time.monotonic() - t0
    h.check(got.endswith(" " + long_text), "carol got %r" % got)
    h.check(wall >= 1.5, "the pieces took %.2f s, not 40 x 50 ms" % wall)
    h.check(cpu < 0.5 * wall, "the client used %.2f s of CPU in %.2f s of pacing: it spins"
            % (cpu, wall), a.describe)
    check_layout(a)


def _client_pid(p):
    """The client's PID: the pane's process, or the one child of its shell."""
    pid = int(p.fmt("#{pane_pid}"))
    with open("/proc/%d/comm" % pid) as f:
        if f.read().strip() == "sockchat":
            return pid
    return term.program_pid(p)


def _cpu_seconds(pid):
    """User plus system CPU time of a process, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def t_plain_wire(opts):
    """--plain --wire: the same rows as lines on stderr, in order with the
    replies; bad demo knob values are usage errors (64)."""
    cl = h.need(opts.client, "sockchat client")
    srv = server(opts)
    r = subprocess.run([cl, "127.0.0.1", str(srv.port), "--plain", "--wire"],
                       input=b"hello plain wire\nexit\n", stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=20)
    out, err = r.stdout.decode(), r.stderr.decode()
    h.check(r.returncode == 0, "exit %d; stderr:\n%s" % (r.returncode, err))
    h.check("Server response: Message received" in out, "stdout:\n" + out)
    lines = err.splitlines()
    want = [r"^•\s+0\.000s connected$",
            wire_row("→", "write", "17", r"hello plain wire\\n│$"),
            # the server's greeting may share the read: two lines, one read
            wire_row("←", "read", r"\d+", r"(.*\\n│)?Message received\\n│$"),
            wire_row("→", "write", "5", r"exit\\n│$")]
    at = 0
    for w in want:
        found = [i for i, l in enumerate(lines) if i >= at and re.search(w, l)]
        h.check(found, "no line /%s/ (in order) on stderr:\n%s" % (w, err))
        at = found[0] + 1
    r = subprocess.run([cl, "127.0.0.1", str(srv.port), "--plain"], input=b"no wire\nexit\n",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    h.check(r.returncode == 0 and r.stderr == b"", "without --wire stderr has %r" % r.stderr)
    for bad in (["--chunk", "0"], ["--chunk", "3:x"], ["--chunk"], ["--nodelay", "yes"]):
        r = subprocess.run([cl, "127.0.0.1", str(srv.port), "--plain"] + bad,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=20)
        h.check(r.returncode == 64, "%s: exit %d, want 64" % (bad, r.returncode))
        h.check(re.search(r"sockchat: (bad )?%s" % re.escape(bad[0]), r.stderr.decode()),
                "%s: unclear error %r" % (bad, r.stderr))


TESTS = {
    "chat": t_chat, "two_clients": t_two_clients, "unicode": t_unicode, "resize": t_resize,
    "reconnect": t_reconnect, "escape": t_escape, "ctrl_c": t_ctrl_c, "sigterm": t_sigterm,
    "sighup": t_sighup, "quit": t_quit, "interop_single": t_interop_single,
    "interop_threads": t_interop_threads, "scrollback": t_scrollback, "no_color": t_no_color,
    "paste": t_paste, "plain": t_plain, "env": t_env, "editing": t_editing, "mouse": t_mouse,
    "status_narrow": t_status_narrow, "addresses": t_addresses, "backoff": t_backoff,
    "modes": t_modes, "connect": t_connect, "pipe": t_pipe, "paste_long": t_paste_long,
    "too_small": t_too_small, "nick_colour": t_nick_colour,
    "kinds": t_kinds, "local_commands": t_local_commands,
    "password": t_password, "terminal_gone": t_terminal_gone, "history_once": t_history_once,
    "suspend": t_suspend, "single_queue": t_single_queue, "kick": t_kick,
    "plain_password": t_plain_password, "password_prompt": t_password_prompt,
    "connect_password": t_connect_password, "plain_prompt": t_plain_prompt,
    "reconnect_now": t_reconnect_now, "not_chat_server": t_not_chat_server,
    "mouse_off": t_mouse_off, "no_locale": t_no_locale, "plain_chat": t_plain_chat,
    "background": t_background, "plain_exit": t_plain_exit,
    "wire_view": t_wire_view, "wire_chunk_tutorial": t_wire_chunk_tutorial,
    "wire_chunk_framing": t_wire_chunk_framing, "plain_wire": t_plain_wire,
    "failover": t_failover, "failover_pending": t_failover_pending,
    "failover_refused": t_failover_refused, "failover_bad_list": t_failover_bad_list,
    "failover_auth_wait": t_failover_auth_wait,
}

if __name__ == "__main__":
    sys.exit(h.main(TESTS))
