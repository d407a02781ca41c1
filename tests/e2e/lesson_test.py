#!/usr/bin/env python3
"""The lesson plan of docs/TEACHING.md, run (issue 14): every step's
commands, typed into tmux panes as the teacher and the students type them,
and a check of what the step says the class will see. The only changes to
the commands: 127.0.0.1 for the teacher's address and ephemeral ports for
5000. Also the exercises' answers (docs/teaching/) against the real server.

Steps that need the server's --trace check it only when
`sockchat-server --help` lists --trace; until then they print why they skip
that part and check the rest.

Run one case: lesson_test.py CASE --client PATH --server PATH --interop DIR
"""

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ANSWERS = os.path.join(ROOT, "docs", "teaching")
# (capture-pane drops the prompt's trailing blank)
PROMPT = r"Enter a message to send to the server \(or 'exit' to quit\):"
CONNECTED = r"^\s*connected \| "
ACKED = r"(✓ \d+ ms|\(ok \d+ ms\))"


def tutorial(opts, script):
    return h.need(opts.interop and os.path.join(opts.interop, script), "tutorial's " + script)


def server_bin(opts):
    return h.need(opts.server, "sockchat-server")


def client_bin(opts):
    return h.need(opts.client, "sockchat client")


def py(path, *args):
    """A shell command running a Python script unbuffered, as a pane runs it."""
    return " ".join([sys.executable, "-u", path] + [str(a) for a in args])


def teacher_python(tm, script, name="teacher"):
    """A tutorial-style Python server in a pane, on an ephemeral port (its
    PORT 0 addition prints the port); returns (pane, port)."""
    p = tm.pane(py(script, "127.0.0.1", 0), 80, 20, name=name)
    m = p.wait(r"listening on 127\.0\.0\.1:(\d+)")
    return p, int(m.group(1))


def nc(tm, port, name, w=70, ht=12):
    return tm.pane("nc 127.0.0.1 %d" % port, w, ht, name=name)


def stays_absent(what, fn, seconds, describe=None):
    """Watches for seconds that fn() stays false: the step's point is that
    nothing happens (a client waits). A bounded observation, not a sleep
    standing in for a signal: there is no signal for "still nothing"."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        h.check(not fn(), what, describe)
        time.sleep(h.POLL)


def count(p, pattern):
    return len(re.findall(pattern, p.screen(), re.M))


def has_trace(opts):
    """True when the server has --trace (issue 14, branch trace-srv); else
    says which checks wait for it."""
    out = subprocess.run([server_bin(opts), "--help"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=10).stdout.decode(errors="replace")
    if "--trace" in out:
        return True
    print("lesson: sockchat-server --help lists no --trace: the trace checks of this step "
          "are skipped (they run by themselves once --trace exists)")
    return False


def tasks(pid):
    """The thread ids of a process, as ps -L shows them."""
    return {int(t) for t in os.listdir("/proc/%d/task" % pid)}


def admin_roster(path, timeout=10):
    """The ROW lines of `echo roster | nc -U SOCKET` (the lesson's command),
    as dicts."""
    r = subprocess.run(["nc", "-U", path], input=b"roster\n", stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    out = r.stdout.decode(errors="replace")
    h.check(re.search(r"^OK\b", out, re.M), "roster over the admin socket: %r %r"
            % (out, r.stderr))
    rows = []
    for line in out.splitlines():
        if line.startswith("ROW "):
            rows.append(dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv))
    return rows


# ---- step 1: the tutorial's server.py and client.py, as they are ------------

def t_step1_tutorial(opts):
    """python3 server.py, then python3 client.py: the student gets
    "Server response: Message received", the teacher's terminal shows the
    connection and the message. server-multi-threaded.py serves two
    students at once."""
    tm = h.Tmux()
    teacher, port = teacher_python(tm, tutorial(opts, "server.py"))
    ada = tm.pane(py(tutorial(opts, "client.py"), "127.0.0.1", port), 80, 10, name="ada")
    ada.wait(PROMPT)
    ada.line("hello from ada")
    ada.wait(r"Server response: Message received")
    teacher.wait(r"Connection established with \('127\.0\.0\.1', \d+\)")
    teacher.wait(r"Received message: hello from ada")
    # Only the first is answered: the next waits until she leaves.
    cy = tm.pane(py(tutorial(opts, "client.py"), "127.0.0.1", port), 80, 10, name="cy")
    cy.wait(PROMPT)
    cy.line("hello from cy")
    stays_absent("server.py answered a second client while serving the first",
                 lambda: "Server response" in cy.screen(), 1, cy.describe)
    ada.line("exit")
    ada.wait(r"Exiting client\.")
    teacher.wait(r"Client \('127\.0\.0\.1', \d+\) has disconnected\.")
    cy.wait(r"Server response: Message received")
    teacher.wait(r"Received message: hello from cy")

    mt, mport = teacher_python(tm, tutorial(opts, "server-multi-threaded.py"), "teacher-mt")
    students = []
    for name in ("bo", "di"):
        p = tm.pane(py(tutorial(opts, "client.py"), "127.0.0.1", mport), 80, 10, name=name)
        p.wait(PROMPT)
        students.append((name, p))
    for name, p in students:
        p.line("hi from %s" % name)
        p.wait(r"Server response: Message received")
        mt.wait(r"Received message from client \('127\.0\.0\.1', \d+\): hi from %s" % name)
    for name, p in students:
        p.line("exit")
        p.wait(r"Exiting client\.")


# ---- step 2: single mode: the second student waits ----------------------------

def accept_queue(port):
    """Recv-Q of the listening socket (ss -lnt): connections the kernel has
    completed and the server has not accept()ed yet."""
    out = subprocess.run(["ss", "-Hlnt", "sport = :%d" % port], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=10).stdout.decode()
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] == "LISTEN":
            return int(f[1])
    return None


def t_step2_single(opts):
    """sockchat-server --mode single: ada is served; bo's connection is made
    (the kernel completed it: ss shows it in the listen queue) but nobody
    answers him until ada leaves; then he is served, what he typed
    meanwhile included."""
    trace = has_trace(opts)
    tm = h.Tmux()
    admin = os.path.join(tm.dir, "admin.sock")
    srv = h.Server(server_bin(opts), 0, ["--mode", "single", "--admin", admin]
                   + (["--trace"] if trace else []))
    ada = nc(tm, srv.port, "ada")
    ada.line("hello from ada")
    ada.wait(r"^Message received$")
    bo = nc(tm, srv.port, "bo")
    bo.line("hello from bo")
    h.poll_until("bo's connection in the listen queue (ss Recv-Q 1)",
                 lambda: accept_queue(srv.port) == 1, 10, srv.log)
    stays_absent("bo was answered while ada is served",
                 lambda: "Message received" in bo.screen(), 1.5, bo.describe)
    h.check(not re.search(r"\bbo\b", srv.log()) and srv.log().count("joined") == 1,
            "the server log shows more than ada:\n" + srv.log())
    if trace:
        # The issue: in single mode the trace shows the connection waiting
        # in the backlog, and when it is finally accepted.
        h.poll_until("the trace to show a connection waiting in the backlog",
                     lambda: re.search(r"(?i)backlog", srv.log()), 10, srv.log)
    ada.keys("C-c")
    bo.wait(r"^Message received$")
    bo.wait(r"<guest1> hello from ada")
    h.poll_until("the log to show bo's message",
                 lambda: re.search(r"guest2\s+says: hello from bo", srv.log()), 10, srv.log)
    h.check(accept_queue(srv.port) == 0, "the listen queue is not empty once bo is served")
    if trace:
        h.check(re.search(r"(?i)accept", srv.log()), "the trace shows no accept:\n" + srv.log())
    # Stuck (the served student walked away): the operator's kick, here
    # from the shell through the admin socket, serves the next one.
    cy = nc(tm, srv.port, "cy")
    cy.line("hello from cy")
    h.poll_until("cy's connection in the listen queue", lambda: accept_queue(srv.port) == 1,
                 10, srv.log)
    r = subprocess.run(["nc", "-U", admin], input=b"kick guest2\n", stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=10)
    h.check(re.search(rb"^OK", r.stdout, re.M), "kick over the admin socket: %r" % r.stdout)
    bo.wait(r"you were kicked by the operator")
    cy.wait(r"^Message received$")


# ---- step 3: threads mode: everyone at once, a thread each --------------------

def t_step3_threads(opts):
    """sockchat-server (threads): three students are served at once, each
    sees the others; the server has a thread per client (ps -L), and the
    admin socket's roster names each one's thread id (the dashboard's
    worker column). With --trace, the accept lines name the same ids."""
    trace = has_trace(opts)
    tm = h.Tmux()
    admin = os.path.join(tm.dir, "admin.sock")
    srv = h.Server(server_bin(opts), 0, ["--admin", admin] + (["--trace"] if trace else []))
    pid = srv.proc.pid
    idle = len(tasks(pid))
    students = [nc(tm, srv.port, n) for n in ("ada", "bo", "cy")]
    for p in students:
        p.line("/nick %s" % p.name)
        p.line("hello from %s" % p.name)
        p.wait(r"^Message received$")
    for p in students:
        for other in students:
            if other is not p and students.index(other) > students.index(p):
                p.wait(r"<%s> hello from %s" % (other.name, other.name))
    threads = tasks(pid)
    h.check(len(threads) >= idle + 3, "%d threads with 3 clients, %d idle" % (len(threads), idle))
    # The lesson's `ps -L ... -C sockchat-server`, by PID: other servers
    # may run on a test machine.
    ps = subprocess.run(["ps", "-L", "-o", "lwp=", "-p", str(pid)], stdout=subprocess.PIPE,
                        timeout=10).stdout.decode().split()
    rows = admin_roster(admin)
    workers = {r["nick"]: r.get("worker", "") for r in rows}
    h.check(set(workers) == {"ada", "bo", "cy"}, "roster: %r" % rows)
    tids = set()
    for nick, w in workers.items():
        m = re.fullmatch(r"t(\d+)", w)
        h.check(m, "%s's worker is %r, not a thread id" % (nick, w))
        tid = int(m.group(1))
        h.check(tid in threads and str(tid) in ps,
                "%s's thread %d is not in /proc/%d/task %s / ps -L %s"
                % (nick, tid, pid, threads, ps))
        tids.add(tid)
    h.check(len(tids) == 3 and pid not in tids, "not a thread each: %r" % workers)
    if trace:
        for tid in tids:
            h.poll_until("a trace line naming thread %d" % tid,
                         lambda: re.search(r"(?i)accept.*(?<!\d)%d(?!\d)" % tid, srv.log()),
                         10, srv.log)
    # One leaves: its thread ends, the others' stay.
    students[0].keys("C-c")
    gone = int(workers["ada"][1:])
    h.poll_until("ada's thread to end", lambda: gone not in tasks(pid), 10, srv.log)
    h.check(tids - {gone} <= tasks(pid), "the others' threads ended too")


# ---- step 4: TCP is a stream --------------------------------------------------

def wire_reads(p, text):
    rx = re.compile(r"^←\s+\d+\.\d{3}s read\s+(\d+) B  %s" % re.escape(text))
    return [m for m in (rx.match(r) for r in p.rows()) if m]


def small_writes(p):
    rx = re.compile(r"^→\s+\d+\.\d{3}s write\s+(\d+) B  ")
    return [m for m in (rx.match(r) for r in p.rows()) if m and int(m.group(1)) <= 3]


def t_step4_stream(opts):
    """sockchat --wire --chunk 3:50 against the tutorial's server.py: one
    message goes out in 3-byte pieces, server.py prints a "Received
    message" per piece and answers each one (several reads of "Message
    received" in the wire view). Against sockchat-server the same command
    delivers the message whole to the others."""
    tm = h.Tmux()
    teacher, port = teacher_python(tm, tutorial(opts, "server.py"))
    ada = tm.pane([client_bin(opts), "127.0.0.1", str(port), "--nick", "ada", "--wire",
                   "--chunk", "3:50"], 80, 24, name="ada")
    ada.wait_row(-2, r"plain server", 15)
    teacher.wait(r"Connection established")
    ada.line("hello, stream")
    h.poll_until("the message written in 3-byte pieces", lambda: len(small_writes(ada)) >= 4,
                 10, ada.describe)
    h.poll_until("several reads of Message received for one message",
                 lambda: len(wire_reads(ada, "Message received")) >= 3, 10, ada.describe)
    h.poll_until("server.py to print several pieces of one message",
                 lambda: count(teacher, r"^Received message: .{1,3}$") >= 3, 10, teacher.describe)
    h.check("Received message: hello, stream" not in teacher.screen(),
            "server.py got the message whole: no split to show", teacher.describe)

    srv = h.Server(server_bin(opts), 0, [])
    bo = nc(tm, srv.port, "bo")
    bo.line("/nick bo")
    bo.wait(r"known as bo")
    cy = tm.pane([client_bin(opts), "127.0.0.1", str(srv.port), "--nick", "cy", "--wire",
                  "--chunk", "3:50"], 80, 24, name="cy")
    cy.wait_row(-2, CONNECTED, 15)
    cy.line("hello, stream")
    bo.wait(r"^<cy> hello, stream$", 15)
    cy.wait(r"<cy> hello, stream " + ACKED, 15)
    h.check(len(small_writes(cy)) >= 4, "cy's wire view shows no 3-byte writes", cy.describe)
    h.poll_until("the log to show the message whole",
                 lambda: re.search(r"cy\s+says: hello, stream$", srv.log(), re.M), 10, srv.log)


# ---- step 5: a slow reader ----------------------------------------------------

def t_step5_slow(opts):
    """A student's nc stopped with Ctrl-S reads nothing; the teacher floods
    the room (sockchat-bench push); the server cuts the stopped one off as
    "too slow" while the others keep chatting."""
    trace = has_trace(opts)
    tm = h.Tmux()
    srv = h.Server(server_bin(opts), 0, ["--rate", "0", "--quiet"] + (["--trace"] if trace else []))
    slow = nc(tm, srv.port, "slow")
    slow.line("/nick slow")
    slow.wait(r"known as slow")
    ada = nc(tm, srv.port, "ada")
    ada.line("/nick ada")
    ada.wait(r"known as ada")
    bo = tm.pane([client_bin(opts), "127.0.0.1", str(srv.port), "--nick", "bo"], 80, 24, name="bo")
    bo.wait_row(-2, CONNECTED, 15)
    slow.keys("C-s")  # XOFF: the terminal stops nc's output, so nc stops reading
    bench = os.path.join(os.path.dirname(server_bin(opts)), "sockchat-bench")
    h.need(bench, "sockchat-bench")
    flood = tm.pane("%s push -p %d -m 2000 -s 1000 -l flood" % (bench, srv.port), 100, 20,
                    name="flood")
    h.poll_until("the server to cut off the stopped reader",
                 lambda: re.search(r"slow\s+.*too slow", srv.log()), 30, srv.log)
    ada.wait(r"^\*\*\* slow left: too slow", 15)
    flood.wait(r"RESULT workload=push", 30)
    bo.line("still chatting")
    ada.wait(r"^<bo> still chatting$", 15)
    bo.wait(r"<bo> still chatting " + ACKED)
    h.check("too slow" not in bo.screen().split("still chatting")[-1],
            "bo was cut off too", bo.describe)
    if trace:
        # The issue: partial writes and the output queue's depth, per event.
        h.check(re.search(r"(?i)partial", srv.log()) and re.search(r"(?i)queue", srv.log()),
                "the trace shows no partial write or queue depth:\n" + srv.log()[-3000:])
    # Ctrl-Q: the terminal shows nc's output again, what it had received.
    stopped = slow.screen()
    slow.keys("C-q")
    h.poll_until("nc's output to resume after Ctrl-Q", lambda: slow.screen() != stopped, 10,
                 slow.describe)


# ---- step 6: pool mode and the benchmark --------------------------------------

def hold_threads(opts, mode):
    srv = h.Server(server_bin(opts), 0, ["--mode", mode, "--workers", "2", "--rate", "0",
                                         "--quiet", "--max-per-addr", "200"])
    bench = os.path.join(os.path.dirname(server_bin(opts)), "sockchat-bench")
    h.need(bench, "sockchat-bench")
    r = subprocess.run([bench, "hold", "-p", str(srv.port), "-c", "100", "-d", "1",
                        "-P", str(srv.proc.pid)], stdout=subprocess.PIPE, timeout=60)
    out = r.stdout.decode()
    m = re.search(r"^RESULT .*\banswered=(\d+)\b.*\bthreads=(\d+)\b", out, re.M)
    h.check(r.returncode == 0 and m, "sockchat-bench hold (%s) failed:\n%s" % (mode, out))
    srv.stop()
    return int(m.group(1)), int(m.group(2))


def t_step6_pool(opts):
    """100 connections held: threads mode has a thread each (over 100),
    pool mode two workers and a few more; both answer all 100."""
    answered, threads = hold_threads(opts, "threads")
    h.check(answered == 100 and threads > 100, "threads mode: %d answered, %d threads"
            % (answered, threads))
    answered, pool = hold_threads(opts, "pool")
    h.check(answered == 100 and pool <= 6, "pool mode: %d answered, %d threads" % (answered, pool))
    print("threads mode %d threads, pool mode %d, for 100 connections" % (threads, pool))


# ---- step 7: commands as a REPL -----------------------------------------------

def t_step7_repl(opts):
    """/who and /ping from nc and the tutorial's client; the wire view
    timing /ping's round trip."""
    tm = h.Tmux()
    srv = h.Server(server_bin(opts), 0, [])
    ada = nc(tm, srv.port, "ada")
    ada.line("/nick ada")
    ada.wait(r"known as ada")
    bo = tm.pane(py(tutorial(opts, "client.py"), "127.0.0.1", srv.port), 80, 12, name="bo")
    bo.wait(PROMPT)
    bo.line("/who")
    bo.wait(r"Server response: 2 in #main \(2 connected\):")
    bo.wait(r"^\s+ada\s+127\.0\.0\.1:\d+ .*\(plain\)$")
    bo.line("/ping 42")
    bo.wait(r"Server response: pong 42$")
    ada.line("/who")
    ada.wait(r"^\s+ada\s+127\.0\.0\.1:\d+ .*\(plain, you\)$")
    ada.line("/ping 7")
    ada.wait(r"^pong 7$")
    cy = tm.pane([client_bin(opts), "127.0.0.1", str(srv.port), "--nick", "cy", "--wire"],
                 80, 24, name="cy")
    cy.wait_row(-2, CONNECTED, 15)
    cy.line("/ping 99")
    cy.wait(r"pong 99")
    w = cy.wait(r"^→\s+(\d+\.\d{3})s write\s+\d+ B  MSG \d+ /ping 99\\n│")
    r = cy.wait(r"^←\s+(\d+\.\d{3})s read\s+\d+ B  (\S.*\\n│)?PONG 99\\n│")
    rtt = float(r.group(1)) - float(w.group(1))
    h.check(0 <= rtt < 1, "the round trip shown is %.3f s" % rtt, cy.describe)
    print("/ping's round trip on loopback, as the wire view shows it: %.3f s" % rtt)


# ---- step 8: TLS ----------------------------------------------------------------

PASSWORD = "owl-sesame-42"


class Capture:
    """`tcpdump -A -i lo port PORT` as the shell terminal runs it, its
    output kept in a file. Ready once tcpdump says it is listening."""

    def __init__(self, port, path):
        self.port = port
        self.path = path
        self.out = open(path, "wb")
        self.proc = subprocess.Popen(["tcpdump", "-l", "-n", "-A", "-i", "lo", "port", str(port)],
                                     stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.PIPE, preexec_fn=h._pdeathsig)
        h._cleanups.append(self.stop)
        err = b""
        end = time.monotonic() + 10
        while b"listening on" not in err:
            left = end - time.monotonic()
            r = select.select([self.proc.stderr], [], [], max(left, 0))[0] if left > 0 else []
            chunk = os.read(self.proc.stderr.fileno(), 4096) if r else b""
            if not chunk:
                self.stop()
                if re.search(rb"permitted|permission|capabilit", err, re.I):
                    # Root in a container without CAP_NET_RAW.
                    raise h.Skip("tcpdump may not capture here: %s" % err.decode(errors="replace"))
                raise h.Failure("tcpdump did not start listening: %r" % err)
            err += chunk

    def text(self):
        with open(self.path, "rb") as f:
            return f.read()

    def wait_for(self, data, timeout=10):
        h.poll_until("%r in the capture" % data, lambda: data in self.text(), timeout,
                     lambda: self.text()[-2000:].decode(errors="replace"))

    def mark(self, tag):
        """A UDP datagram to the port (nothing listens there): once tcpdump
        has printed it, every packet before it is in the file too."""
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(tag, ("127.0.0.1", self.port))
        s.close()
        self.wait_for(tag)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.out.closed:
            self.out.close()


def client_has_tls(opts):
    out = subprocess.run([client_bin(opts), "--help"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=10).stdout.decode(errors="replace")
    return "--tls" in out


def t_step8_tls(opts):
    """tcpdump -A on the loopback: nc's /auth PASSWORD and its chat line are
    readable in the capture; then the same over TLS (sockchat --tls, or
    openssl s_client until the client has --tls): neither is."""
    if os.geteuid() != 0:
        raise h.Skip("step 8 captures packets with tcpdump, which needs root")
    if not shutil.which("tcpdump"):
        raise h.Skip("tcpdump is not installed (scripts/deps.sh test installs it)")
    srv = h.Server(server_bin(opts), 0, [], env={"SOCKCHAT_PASSWORD": PASSWORD})
    rx = re.compile(r"tls: on \(TLS 1\.2-1\.3\), certificate (\S+) \(made now\), "
                    r"SHA-256 ([0-9A-F:]{95})$", re.M)
    m = h.poll_until("the log's 'tls: on' line", lambda: rx.search(srv.log()), 10, srv.log)
    cert, fp = m.group(1), m.group(2)
    x509 = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert],
                          stdout=subprocess.PIPE, timeout=10).stdout.decode()
    h.check(x509.strip().endswith("=" + fp), "openssl x509 says %r, the log %s" % (x509, fp))
    tm = h.Tmux()

    clear = Capture(srv.port, os.path.join(tm.dir, "clear.txt"))
    ada = nc(tm, srv.port, "ada")
    ada.line("/auth " + PASSWORD)
    ada.wait(r"password accepted")
    said = "meet me at the old oak at noon"
    ada.line(said)
    clear.wait_for(PASSWORD.encode())
    clear.wait_for(said.encode())
    clear.stop()
    print("clear text: the capture shows /auth %s and %r" % (PASSWORD, said))
    ada.keys("C-c")
    h.poll_until("ada to leave", lambda: re.search(r" (disconnected|left) ", srv.log()), 10,
                 srv.log)

    tls = Capture(srv.port, os.path.join(tm.dir, "tls.txt"))
    said = "the answer is forty-two"
    if client_has_tls(opts):
        bo = tm.pane("SOCKCHAT_PASSWORD=%s exec %s --tls 127.0.0.1 %d --nick bo"
                     % (PASSWORD, client_bin(opts), srv.port), 80, 24, name="bo")
        q = bo.wait(r"(yes or no|%s)" % CONNECTED.lstrip("^"), 15)
        if q.group(1) == "yes or no":
            # The fingerprint may wrap: compare without the blanks.
            h.check(fp in re.sub(r"\s+", "", bo.screen()),
                    "the client's question does not show the log's fingerprint", bo.describe)
            bo.line("yes")
        bo.wait_row(-2, CONNECTED, 15)
        bo.wait(r"TLSv1\.[23]")
        bo.line(said)
        bo.wait(ACKED)
        who = "sockchat --tls"
    else:
        print("lesson: the client has no --tls yet: openssl s_client stands in for it")
        bo = tm.pane("openssl s_client -quiet -connect 127.0.0.1:%d" % srv.port, 80, 24,
                     name="bo")
        bo.line("/auth " + PASSWORD)
        bo.wait(r"password accepted")
        bo.line(said)
        bo.line("/ping 77")
        bo.wait(r"^pong 77$")
        who = "openssl s_client"
    tls.mark(b"end-of-the-tls-capture")
    tls.stop()
    text = tls.text()
    packets = len(re.findall(rb"\.%d[ >:].*length [1-9]" % srv.port, text))
    h.check(packets >= 4, "the TLS capture shows %d packets with data" % packets)
    h.check(PASSWORD.encode() not in text, "the password is readable in the TLS capture")
    h.check(said.encode() not in text, "the chat line is readable in the TLS capture")
    print("TLS (%s): %d packets with data, neither the password nor the line readable"
          % (who, packets))


# ---- the exercises' answers ---------------------------------------------------

def t_answer_server(opts):
    """docs/teaching/server_framed.py (exercise 1): server.py with framing.
    sockchat --chunk 3:50 writes a message in pieces; it answers once per
    line and prints the message whole; two lines in one write get two
    answers."""
    tm = h.Tmux()
    teacher, port = teacher_python(tm, os.path.join(ANSWERS, "server_framed.py"))
    ada = tm.pane([client_bin(opts), "127.0.0.1", str(port), "--nick", "ada", "--wire",
                   "--chunk", "3:50"], 80, 24, name="ada")
    ada.wait_row(-2, r"plain server", 15)
    for text in ("hello, stream", "and again"):
        ada.line(text)
        teacher.wait(r"^Received message: %s$" % re.escape(text), 15)
    # Its first line is our client's HELLO (how it asks for sockchat's
    # dialect; a plain server's answer tells it there is none).
    got = re.findall(r"^Received message: (.*)$", teacher.screen(), re.M)
    h.check(got == ["HELLO sockchat/2 ada", "hello, stream", "and again"],
            "server_framed.py printed %r" % got, teacher.describe)
    h.poll_until("the answers in the wire view",
                 lambda: len(wire_reads(ada, "Message received\\n│")) >= 2, 10, ada.describe)
    reads = [r for r in ada.rows() if re.match(r"^←\s+\d+\.\d{3}s read ", r)]
    h.check(all(r.endswith("B  Message received\\n│") for r in reads),
            "a read that is not one whole answer: %r" % reads, ada.describe)
    h.check(len(small_writes(ada)) >= 8, "no 3-byte pieces written", ada.describe)
    # One client at a time, as server.py: the next is served once ada leaves.
    ada.line("/quit")
    teacher.wait(r"has disconnected\.")
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    h._cleanups.append(s.close)
    s.sendall(b"one\ntwo\nthr")
    s.sendall(b"ee\n")
    got = b""
    end = time.monotonic() + 10
    while got.count(b"\n") < 3 and time.monotonic() < end:
        got += s.recv(4096)
    h.check(got == b"Message received\n" * 3, "three lines got %r" % got)
    teacher.wait(r"^Received message: three$")


def chunk_relay(tm, port, name):
    """docs/teaching/chunk_relay.py in a pane, in front of port: the
    server's replies pass in 3-byte pieces; returns the port to connect to."""
    p = tm.pane(py(os.path.join(ANSWERS, "chunk_relay.py"), "127.0.0.1", port, 0), 80, 5,
                name=name)
    return int(p.wait(r"relaying 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:%d in 3-byte pieces"
                      % port).group(1))


def t_answer_client(opts):
    """docs/teaching/client_framed.py (exercise 2): replies cut into 3-byte
    pieces on their way (a relay in front of server_framed.py) reach it
    whole, one "Server response" per reply; the tutorial's client.py,
    through the same kind of relay in front of server.py, prints pieces."""
    tm = h.Tmux()
    _, port = teacher_python(tm, tutorial(opts, "server.py"))
    relay = chunk_relay(tm, port, "relay")
    bo = tm.pane(py(tutorial(opts, "client.py"), "127.0.0.1", relay), 80, 12, name="bo")
    bo.wait(PROMPT)
    bo.line("hello")
    bo.wait(r"Server response: Mes$")
    # The next reply it prints is what arrived of the first one since.
    bo.line("again")
    bo.wait(r"Server response: sag")
    h.check("Server response: Message received" not in bo.screen(),
            "the tutorial's client got the reply whole through the relay", bo.describe)
    framed, fport = teacher_python(tm, os.path.join(ANSWERS, "server_framed.py"), "framed")
    relay = chunk_relay(tm, fport, "relay2")
    ada = tm.pane(py(os.path.join(ANSWERS, "client_framed.py"), "127.0.0.1", relay),
                  80, 12, name="ada")
    for text in ("hello", "a longer message, in many pieces"):
        ada.wait(PROMPT + "$")
        ada.line(text)
        framed.wait(r"^Received message: %s$" % re.escape(text))
        ada.wait(r"^Server response: Message received\n" + PROMPT + "$", 15)
    ada.line("exit")
    ada.wait(r"Exiting client\.", 15)
    h.check(count(ada, r"^Server response: Message received$") == 3
            and not re.search(r"Server response: .{1,3}$", ada.screen(), re.M),
            "client_framed.py printed pieces", ada.describe)


def t_answer_bot(opts):
    """docs/teaching/ping_bot.py (exercise 3): a student's private /ping
    gets a pong with the bot's own round trip to the server."""
    srv = h.Server(server_bin(opts), 0, [])
    bot = subprocess.Popen([sys.executable, "-u", os.path.join(ANSWERS, "ping_bot.py"),
                            "127.0.0.1", str(srv.port)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           preexec_fn=h._pdeathsig)
    h._cleanups.append(lambda: (bot.kill(), bot.wait()))
    h.poll_until("the bot to join", lambda: re.search(r"is now known as pingbot", srv.log()),
                 10, srv.log)
    ada = h.FramedClient(srv.port, "ada")
    ada.msg("/msg pingbot /ping")
    ada.wait(r"^PRIV \d+ pingbot ada pong ada: \d+\.\d ms from me to the server and back$", 10)
    tm = h.Tmux()
    cy = nc(tm, srv.port, "cy")
    cy.line("/msg pingbot /ping")
    cy.wait(r"pingbot -> guest\d+: pong guest\d+: \d+\.\d ms", 10)
    cy.line("/msg pingbot hello")
    cy.wait(r"pingbot -> guest\d+: I only answer /ping", 10)


TESTS = {
    "step1_tutorial": t_step1_tutorial, "step2_single": t_step2_single,
    "step3_threads": t_step3_threads, "step4_stream": t_step4_stream,
    "step5_slow": t_step5_slow, "step6_pool": t_step6_pool, "step7_repl": t_step7_repl,
    "step8_tls": t_step8_tls,
    "answer_server": t_answer_server, "answer_client": t_answer_client,
    "answer_bot": t_answer_bot,
}

if __name__ == "__main__":
    sys.exit(h.main(TESTS))
