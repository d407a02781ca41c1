#!/usr/bin/env python3
"""shots: plays real scenarios with the real client and server in a private
tmux server, captures the panes with `tmux capture-pane -e -p`, turns them
into HTML with aha, and photographs the HTML with headless Chromium.

Called by make.sh; see there. Scenes:
  conversation.png  two clients talking (alice and bob side by side)
  scrollback.png    alice scrolled back while messages arrive: the unread count
  reconnecting.png  the server is gone: retrying, and a message waiting
  tutorial.png      the client on the tutorial's Python server (plain dialect)
  dashboard.png     the teacher's sockchat-admin next to three students: our
                    client, nc, and the tutorial's client.py
  wire.png          the wire view with --chunk 3:50: the tutorial's server.py
                    answers each piece of one message, ours frames it whole
  single.png        lesson step 2: --mode single serves ada; bo's nc waits
  threads.png       lesson step 3: three students at once, ps -L shows a
                    thread per client
  slow.png          lesson step 5: a student's nc stopped with Ctrl-S is cut
                    off as too slow while the others chat on
  rooms.png         breakout rooms: the teacher splits the class; ada in
                    #lab1 sees #main's unread count and a mention, bo in #lab2
  tls.png           TLS: the teacher's log with the certificate's fingerprint;
                    ada's first connection asks about the same fingerprint, bo
                    said yes and his bar shows the lock
"""

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import harness as h  # noqa: E402

ACKED = r"(✓ \d+ ms|\(ok \d+ ms\))"
CONNECTED = r"^\s*connected \| "

FONT_PX = 15
LINE_PX = 18
CHAR_PX = FONT_PX * 0.6021  # DejaVu Sans Mono advance width
PAD = 14
TITLE_PX = 26
GAP = 16


def client(tm, opts, port, nick, w, ht):
    p = tm.pane([opts.client, "127.0.0.1", str(port), "--nick", nick], w, ht, name=nick)
    p.wait_row(-2, CONNECTED, 15)
    return p


def say(p, text):
    p.line(text)
    shown = text[4:] if text.startswith("/me ") else text
    p.wait(re.escape(shown) + r"[\s\S]*?" + ACKED)


def scene_conversation(tm, opts, srv):
    w, ht = 66, 20
    a = client(tm, opts, srv.port, "alice", w, ht)
    b = client(tm, opts, srv.port, "bob", w, ht)
    a.wait(r"bob")
    say(a, "hi bob! the lab server is up, try nc too")
    b.wait(r"<alice> hi bob")
    say(b, "hello alice, got it: nc says Message received")
    a.wait(r"<bob> hello alice")
    say(a, "/me waves at the class")
    b.wait(r"alice waves")
    b.line("/who")
    b.wait(r"alice")
    carol = h.FramedClient(srv.port, "carol")
    a.wait(r"carol")
    carol.msg("sorry I'm late, café queue")
    a.wait(r"café queue")
    b.wait(r"café queue")
    say(a, "no worries carol")
    b.wait(r"<alice> no worries")
    carol.msg("/msg alice can you share the slides after?")
    a.wait(r"share the slides")
    a.type("sure, sending them tonight")
    return [("alice", a), ("bob", b)], carol


def scene_scrollback(tm, opts, srv):
    w, ht = 80, 18
    a = client(tm, opts, srv.port, "dana", w, ht)
    peer = h.FramedClient(srv.port, "erin")
    for i in range(1, 31):
        peer.msg("question %d: what does recv(1024) return when the peer closes?" % i
                 if i % 7 == 0 else "log line %d from the load test" % i)
    a.wait(r"log line 30")
    a.keys("PPage")
    a.wait_gone(r"log line 30")
    for i in range(1, 5):
        peer.msg("new message %d while you read the history" % i)
    a.wait_row(-2, r"\b4 unread\b")
    return [("dana, scrolled back", a)], peer


def scene_reconnecting(tm, opts, srv):
    w, ht = 80, 14
    a = client(tm, opts, srv.port, "frank", w, ht)
    say(a, "saving my work before the demo")
    srv.stop()
    a.wait_row(-2, r"retrying in \d+ s", 15)
    a.line("is the server back?")
    a.wait(r"is the server back\?")
    a.wait_row(-2, r"retrying in \d+ s", 15)
    return [("frank, server down", a)], None


def scene_tutorial(tm, opts, srv):
    """The client against the tutorial's own multi-threaded Python server."""
    script = os.path.join(HERE, "..", "tests", "interop", "server-multi-threaded.py")
    proc = subprocess.Popen([sys.executable, script, "127.0.0.1", "0"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=h._pdeathsig)
    h._cleanups.append(lambda: (proc.kill(), proc.wait()))
    m = re.search(r"listening on \S+:(\d+)", proc.stderr.readline().decode())
    w, ht = 80, 12
    a = tm.pane([opts.client, "127.0.0.1", m.group(1), "--nick", "grace"], w, ht, name="grace")
    a.wait_row(-2, r"plain server", 15)
    for text in ("hello from the curses client", "exit is only a word here"):
        say(a, text)
        a.wait(re.escape(text) + r"[\s\S]*Message received")
    return [("grace, on the tutorial's server-multi-threaded.py", a)], None


def scene_dashboard(tm, opts, srv):
    """The teacher's dashboard, three students of the three dialects beside
    it, one of them kicked from the dashboard."""
    if not opts.admin or not os.path.exists(opts.admin):
        raise h.Skip("sockchat-admin not built")
    env = {"XDG_RUNTIME_DIR": os.environ["XDG_RUNTIME_DIR"]}
    d = tm.pane([opts.admin, str(srv.port)], 100, 30, env=env, name="teacher")
    d.wait_row(-2, r"^\s*attached \| ", 15)
    a = client(tm, opts, srv.port, "alice", 62, 11)
    n = tm.pane(["nc", "127.0.0.1", str(srv.port)], 62, 7, name="nc")
    n.line("hi, I'm on nc")
    n.wait(r"Message received")
    script = os.path.join(HERE, "..", "tests", "interop", "client.py")
    t = tm.pane([sys.executable, script, "127.0.0.1", str(srv.port)], 62, 7, name="tutorial")
    t.wait(r"Enter a message")
    t.line("hello from client.py")
    t.wait(r"Server response: Message received")
    say(a, "good morning! is the lab server up?")
    d.wait(r"alice says: good morning")
    d.wait(r"^guest\d+\s+127\.0\.0\.1:\d+\s+tutorial")
    n.line("can I join the chat from nc?")
    d.wait(r"says: can I join")
    say(a, "/me waves at the class")
    d.wait(r"alice waves")
    d.line("say welcome! kick is one key away ;)")
    d.wait(r"ok\s+notice sent")
    d.wait_row(-2, r"\| 3 clients \|")
    d.keys("Down")
    d.wait(r"\d\d:\d\d:\d\d ")
    return [("teacher: sockchat-admin %d" % srv.port, d),
            [("alice: sockchat", a), ("nc 127.0.0.1 %d" % srv.port, n),
             ("python3 client.py (the tutorial's)", t)]], None


def scene_wire(tm, opts, srv):
    """The lesson of issue 14, side by side: one message written in 3-byte
    pieces (--chunk 3:50) to the tutorial's server.py, which answers every
    recv(1024), and to our server, which frames the line and answers once."""
    script = os.path.join(HERE, "..", "tests", "interop", "server.py")
    proc = subprocess.Popen([sys.executable, script, "127.0.0.1", "0"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=h._pdeathsig)
    h._cleanups.append(lambda: (proc.kill(), proc.wait()))
    m = re.search(r"listening on \S+:(\d+)", proc.stderr.readline().decode())
    w, ht = 66, 22
    knobs = ["--wire", "--chunk", "3:50"]
    a = tm.pane([opts.client, "127.0.0.1", m.group(1), "--nick", "ada"] + knobs, w, ht,
                name="ada")
    a.wait_row(-2, r"plain server", 15)
    b = tm.pane([opts.client, "127.0.0.1", str(srv.port), "--nick", "bo"] + knobs, w, ht,
                name="bo")
    b.wait_row(-2, CONNECTED, 15)
    for p in (a, b):
        p.line("hello, stream")
    a.wait(r"(read\s+16 B  Message received[\s\S]*){5}")
    b.wait(r"<bo> hello, stream " + ACKED)
    b.wait(r"read\s+\d+ B  ACK \d+")
    return [("ada on the tutorial's server.py: one reply per recv()", a),
            ("bo on sockchat-server: the line framed whole", b)], None


def teacher_server(tm, opts, args, w=80, ht=12):
    """sockchat-server in a pane, as the teacher runs it (its console and
    log on the terminal); returns (pane, port)."""
    p = tm.pane([opts.server, "--port", "0"] + args, w, ht, name="server")
    m = p.wait(r"listening on \S+:(\d+) \(mode", 15)
    return p, int(m.group(1))


def nc(tm, port, name, w=56, ht=10):
    return tm.pane("nc 127.0.0.1 %d" % port, w, ht, name=name)


def scene_single(tm, opts, srv):
    """Lesson step 2: one client at a time; the second one's nc waits."""
    teacher, port = teacher_server(tm, opts, ["--mode", "single", "--admin", "none"], 100, 9)
    ada = nc(tm, port, "ada", 49, 8)
    ada.line("/nick ada")
    ada.line("hello, I am in")
    ada.wait(r"^Message received$")
    bo = nc(tm, port, "bo", 49, 8)
    bo.line("hello? anyone?")
    teacher.wait(r"ada\s+says: hello, I am in")
    return [[("teacher: sockchat-server --mode single", teacher)],
            [("ada: nc (served)", ada), ("bo: nc (waiting in the listen queue)", bo)]], None


def scene_threads(tm, opts, srv):
    """Lesson step 3: three students at once, a thread each."""
    teacher, port = teacher_server(tm, opts, ["--admin", "none"], 100, 9)
    pid = teacher.fmt("#{pane_pid}")
    students = []
    for name in ("ada", "bo", "cy"):
        p = nc(tm, port, name, 32, 9)
        p.line("/nick " + name)
        p.wait(r"known as " + name)
        students.append(p)
    for p in students:
        p.line("hi from " + p.name)
        p.wait(r"^Message received$")
    students[0].wait(r"<cy> hi from cy")
    ps = tm.pane("ps -L -o pid,lwp,nlwp,comm -p %s; exec cat" % pid, 100, 8, name="ps")
    ps.wait(r"sockchat-server(\n.*sockchat-server){4}")
    return [[("teacher: sockchat-server (threads)", teacher)],
            [("teacher: ps -L -o pid,lwp,nlwp,comm -p PID", ps)],
            [("%s: nc" % p.name, p) for p in students]], None


def scene_trace(tm, opts, srv):
    """Lesson step 3 with --trace: each accept names the thread that takes
    the connection, the same ids as ps -L; each read its bytes and line
    ends."""
    teacher, port = teacher_server(tm, opts, ["--trace", "--admin", "none"], 124, 18)
    pid = teacher.fmt("#{pane_pid}")
    students = []
    for name in ("ada", "bo"):
        p = nc(tm, port, name, 54, 5)
        p.line("hi, I am " + name)
        p.wait(r"^Message received$")
        students.append(p)
    teacher.wait(r"accepted by thread [\s\S]*accepted by thread [\s\S]*trace: write")
    ps = tm.pane("ps -L -o pid,lwp,nlwp,comm -p %s; exec cat" % pid, 110, 6, name="ps")
    ps.wait(r"sockchat-server(\n.*sockchat-server){3}")
    return [[("teacher: sockchat-server --trace", teacher)],
            [("teacher: ps -L -o pid,lwp,nlwp,comm -p PID", ps)],
            [("%s: nc" % p.name, p) for p in students]], None


def scene_slow(tm, opts, srv):
    """Lesson step 5: Ctrl-S in one nc; a flood; that one is cut off."""
    teacher, port = teacher_server(tm, opts, ["--rate", "0", "--quiet", "--admin", "none"],
                                   100, 9)
    slow = nc(tm, port, "slow", 49, 10)
    slow.line("/nick slow")
    slow.wait(r"known as slow")
    ada = nc(tm, port, "ada", 49, 10)
    ada.line("/nick ada")
    ada.wait(r"known as ada")
    slow.keys("C-s")
    bench = os.path.join(os.path.dirname(opts.server), "sockchat-bench")
    flood = tm.pane("%s push -p %d -m 2000 -s 1000 >/dev/null" % (bench, port), 40, 3,
                    name="flood")
    teacher.wait(r"too slow", 30)
    ada.wait(r"slow left: too slow", 15)
    flood.wait_dead(30)
    ada.line("still chatting")
    ada.wait(r"^Message received$")
    return [[("teacher: sockchat-server --rate 0 --quiet", teacher)],
            [("slow: nc, stopped with Ctrl-S", slow), ("ada: nc", ada)]], None


def scene_rooms(tm, opts, srv):
    """Issue 16: breakout rooms. The teacher pins two topics and splits the
    class from the server's console; ada, in #lab1, sees the unread count
    of #main and a line naming her highlighted; bo, in #lab2, lists the
    rooms."""
    teacher, port = teacher_server(tm, opts, ["--rate", "0", "--admin", "none"], 126, 9)
    ada = client(tm, opts, port, "ada", 62, 17)
    bo = client(tm, opts, port, "bo", 62, 17)
    cy = h.FramedClient(port, "cy")
    dee = h.FramedClient(port, "dee")
    ada.wait(r"dee joined")
    say(ada, "good morning! which exercise is ours?")
    teacher.line("topic #lab1 fractions: exercise 3")
    teacher.line("topic #lab2 decimals: exercise 5")
    teacher.line("split #lab1 #lab2")
    teacher.wait(r"split 4 people into 2 rooms")
    ada.wait(r"now in #lab1")
    bo.wait(r"now in #lab2")
    teacher.line("move dee #main")
    teacher.wait(r"moved dee to #main")
    for text in ("I stayed in #main to ask the teacher", "is the homework due friday?"):
        dee.msg(text)
    ada.wait_row(-2, r"#main \(2\)")
    cy.msg("ada, can you share your screen with me?")
    ada.wait(r"share your screen")
    say(ada, "sure, one minute")
    bo.line("/rooms")
    bo.wait(r"#lab2 .*you are here")
    bo.wait_row(-2, r"#main \(2\)")
    ada.type("3/4 + 1/8 = ")
    return [[("teacher: sockchat-server (split #lab1 #lab2)", teacher)],
            [("ada: sockchat, in #lab1", ada), ("bo: sockchat, in #lab2", bo)]], (cy, dee)


def scene_tls(tm, opts, srv):
    """Issue 19: the fingerprint on the teacher's screen, the same one in
    the question ada's client asks on first use; bo trusted it already."""
    teacher, port = teacher_server(tm, opts, ["--admin", "none"], 124, 7)
    teacher.wait(r"encrypted, with the fingerprint above")
    bo = tm.pane([opts.client, "--tls", "127.0.0.1", str(port), "--nick", "bo"], 61, 12,
                 name="bo")
    bo.wait(r"Type yes or no", 15)
    bo.type("yes")
    bo.keys("Enter")
    bo.wait_row(-2, CONNECTED + r".*TLSv1\.3", 15)
    say(bo, "can anyone read this on the wire?")
    # Another student's machine: a known_servers of her own, still empty.
    home = tempfile.mkdtemp(prefix="sockchat-shots-ada-")
    h._cleanups.append(lambda: shutil.rmtree(home, ignore_errors=True))
    ada = tm.pane([opts.client, "--tls", "127.0.0.1", str(port), "--nick", "ada"], 61, 12,
                  env={"XDG_DATA_HOME": home}, name="ada")
    ada.wait(r"Type yes or no", 15)
    teacher.wait(r"bo\s+joined \(sockchat client, TLSv1\.3")
    return [[("teacher: sockchat-server (TLS on by default)", teacher)],
            [("ada: sockchat --tls, first connection", ada),
             ("bo: sockchat --tls, after yes", bo)]], None


SCENES = [("conversation", scene_conversation), ("scrollback", scene_scrollback),
          ("reconnecting", scene_reconnecting), ("tutorial", scene_tutorial),
          ("wire", scene_wire), ("dashboard", scene_dashboard), ("single", scene_single),
          ("threads", scene_threads), ("trace", scene_trace), ("slow", scene_slow),
          ("rooms", scene_rooms), ("tls", scene_tls)]

_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
DEFAULT_FG, DEFAULT_BG = "38;5;252", "48;5;16"


def _bg_of(fg):
    """The background form of a foreground colour code."""
    if fg.startswith("38;"):
        return "48;" + fg[3:]
    n = int(fg)
    return str(n + 10)


def _fg_of(bg):
    if bg.startswith("48;"):
        return "38;" + bg[3:]
    return str(int(bg) - 10)


def normalize(ans):
    """Rewrites every SGR sequence as a reset plus explicit attributes, with
    reverse video resolved into swapped colours: aha mishandles reverse
    combined with default-colour codes (39/49)."""
    st = {"fg": None, "bg": None, "bold": False, "ul": False, "rev": False, "it": False}

    def apply(params):
        ps = params.replace(":", ";").split(";") if params else ["0"]
        i = 0
        while i < len(ps):
            p = int(ps[i] or 0)
            if p in (38, 48) and i + 1 < len(ps):
                k = 3 if ps[i + 1] == "5" else 5
                code = ";".join(ps[i:i + k])
                st["fg" if p == 38 else "bg"] = code
                i += k
                continue
            if p == 0:
                st.update(fg=None, bg=None, bold=False, ul=False, rev=False, it=False)
            elif p == 1:
                st["bold"] = True
            elif p == 3:
                st["it"] = True
            elif p == 4:
                st["ul"] = True
            elif p == 7:
                st["rev"] = True
            elif p == 22:
                st["bold"] = False
            elif p == 23:
                st["it"] = False
            elif p == 24:
                st["ul"] = False
            elif p == 27:
                st["rev"] = False
            elif 30 <= p <= 37 or 90 <= p <= 97:
                st["fg"] = str(p)
            elif p == 39:
                st["fg"] = None
            elif 40 <= p <= 47 or 100 <= p <= 107:
                st["bg"] = str(p)
            elif p == 49:
                st["bg"] = None
            i += 1

    def emit():
        fg = st["fg"] or DEFAULT_FG
        bg = st["bg"] or DEFAULT_BG
        if st["rev"]:
            fg, bg = _fg_of(bg), _bg_of(fg)
        codes = ["0"] + (["1"] if st["bold"] else []) + (["4"] if st["ul"] else [])
        if fg != DEFAULT_FG:
            codes.append(fg)
        if bg != DEFAULT_BG:
            codes.append(bg)
        return "\x1b[%sm" % ";".join(codes)

    def sub(m):
        apply(m.group(1))
        return emit()
    return _SGR.sub(sub, ans)


PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>
html, body {{ margin: 0; padding: 0; background: #15171c; overflow: hidden; }}
.row {{ display: flex; gap: {gap}px; padding: {pad}px; align-items: flex-start; }}
.col {{ display: flex; flex-direction: column; gap: {gap}px; }}
.term {{ background: #000; border-radius: 6px; box-shadow: 0 2px 10px #000a; }}
.title {{ height: {title}px; line-height: {title}px; color: #9aa0aa; background: #2a2d34;
  font: 13px 'DejaVu Sans', sans-serif; text-align: center; border-radius: 6px 6px 0 0; }}
pre {{ margin: 0; padding: 8px 10px; color: #d0d0d0; background: #000;
  font-family: 'DejaVu Sans Mono', 'Liberation Mono', monospace, 'Noto Color Emoji'; font-size: {font}px;
  line-height: {line}px; overflow: hidden; }}
</style></head><body>{panes}</body></html>
"""


def _block(name, i, title, p, work):
    """One pane as HTML: its title bar and its screen; with its size in px."""
    cols, rows = p.size()
    ans_path = os.path.join(work, "%s-%d.ans" % (name, i))
    with open(ans_path, "w") as f:
        # -N keeps trailing spaces: a status bar drawn across the whole
        # row keeps its full width.
        f.write(normalize(p.tmux.run("capture-pane", "-p", "-e", "-N", "-t", p.target)))
    frag = subprocess.run(["aha", "-n", "-b", "-f", ans_path], check=True,
                          stdout=subprocess.PIPE).stdout.decode("utf-8")
    pw, ph = int(cols * CHAR_PX + 2), rows * LINE_PX
    html_ = ('<div class="term"><div class="title">%s</div>'
             '<pre style="width:%dpx;height:%dpx">%s</pre></div>'
             % (html.escape(title), pw, ph, frag.rstrip("\n")))
    return html_, pw + 20, TITLE_PX + ph + 16


def render(name, panes, out, work, chromium):
    """panes: one row of entries side by side, or a list of such rows one
    above the other (when its first item is a list). An entry is a
    (title, pane), or a list of them: a column, stacked."""
    rows = panes if isinstance(panes[0], list) else [panes]
    html_rows = []
    total_w = 0
    total_h = 0
    n = 0
    for row in rows:
        blocks = []
        row_w = PAD * 2 + GAP * (len(row) - 1)
        row_h = 0
        for entry in row:
            column = entry if isinstance(entry, list) else [entry]
            parts, w, hgt = [], 0, GAP * (len(column) - 1)
            for title, p in column:
                b, bw, bh = _block(name, n, title, p, work)
                n += 1
                parts.append(b)
                w = max(w, bw)
                hgt += bh
            blocks.append('<div class="col">%s</div>' % "\n".join(parts) if len(column) > 1
                          else parts[0])
            row_w += w
            row_h = max(row_h, hgt + 2 * PAD)
        html_rows.append('<div class="row">%s</div>' % "\n".join(blocks))
        total_w = max(total_w, row_w)
        total_h += row_h
    page = PAGE.format(gap=GAP, pad=PAD, title=TITLE_PX, font=FONT_PX, line=LINE_PX,
                       panes="\n".join(html_rows))
    page_path = os.path.join(work, name + ".html")
    with open(page_path, "w") as f:
        f.write(page)
    png = os.path.join(out, name + ".png")
    profile = tempfile.mkdtemp(dir=work)
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--hide-scrollbars",
                    "--user-data-dir=" + profile, "--screenshot=" + png,
                    "--window-size=%d,%d" % (total_w, total_h),
                    "file://" + page_path], check=True, timeout=120,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("wrote %s (%dx%d)" % (png, total_w, total_h))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--client", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--admin", help="sockchat-admin, for the dashboard scene")
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    ap.add_argument("scenes", nargs="*", help="only these scenes")
    opts = ap.parse_args()
    work = tempfile.mkdtemp(prefix="sockchat-shots-")
    # The servers' admin sockets, private to this run (sockchat-admin PORT
    # finds them by the same rule).
    os.environ["XDG_RUNTIME_DIR"] = work
    try:
        for name, fn in SCENES:
            if opts.scenes and name not in opts.scenes:
                continue
            tm = h.Tmux()
            srv = h.Server(opts.server, 0, ["--rate", "0"])
            panes, _peer = fn(tm, opts, srv)
            render(name, panes, opts.out, work, opts.chromium)
            srv.kill()
            tm.close()
    finally:
        h.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
