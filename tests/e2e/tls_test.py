#!/usr/bin/env python3
"""End-to-end tests of the client's TLS (issue 19): the real sockchat
client in a tmux pseudo-terminal against the real server (TLS on, with its
own certificate or one a test CA signed), and against small fakes for what
the real server never does (a changed certificate, a server answering TLS
in clear text). Every case has its own XDG_DATA_HOME in a temp dir, so
known_servers is never the user's.

Run one case: tls_test.py CASE --client PATH [--server PATH]
"""

import os
import re
import shutil
import ssl
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import term  # noqa: E402

FP_RX = r"SHA-256 ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})"


def need_openssl():
    if not shutil.which("openssl"):
        raise h.Skip("the openssl command is not installed (scripts/deps.sh test)")


def tmpdir():
    d = tempfile.mkdtemp(prefix="sockchat-tls-")
    h._cleanups.append(lambda: shutil.rmtree(d, ignore_errors=True))
    return d


def known_path(xdg):
    return os.path.join(xdg, "sockchat", "known_servers")


def tls_server(opts, args=()):
    """The real server, TLS on with a certificate made in a temp dir;
    returns it and its fingerprint as its log prints it."""
    d = tmpdir()
    srv = h.Server(h.need(opts.server, "sockchat-server"), 0, ["--tls-dir", d] + list(args))
    m = h.poll_until("the server's fingerprint in its log",
                     lambda: re.search(r"tls: on .*" + FP_RX, srv.log()), 10, srv.log)
    return srv, m.group(1)


def openssl_fp(cert):
    out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert],
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    return out.strip().split("=", 1)[1]


def make_ca(d, names=("DNS:localhost",)):
    """A CA, and a server certificate it signed for names (subjectAltName).
    Returns (ca.pem, cert.pem, key.pem)."""
    need_openssl()
    ca_key, ca, key, csr, cert = (os.path.join(d, n) for n in
                                  ("ca.key", "ca.pem", "srv.key", "srv.csr", "srv.pem"))
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=%s\n" % ",".join(names))
    run = lambda *a: subprocess.run(a, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    check=True)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=sockchat test CA")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-out", cert, "-days", "2", "-extfile", ext)
    return ca, cert, key


def client_pane(tm, opts, host, port, nick, xdg, extra=(), w=80, ht=24, env=None, name=None):
    argv = [h.need(opts.client, "sockchat client"), host, str(port), "--nick", nick] + list(extra)
    e = {"XDG_DATA_HOME": xdg}
    e.update(env or {})
    return tm.pane(argv, w, ht, env=e, name=name or nick)


def flat(p):
    """The screen without its line breaks: a fingerprint wrapped over two
    rows reads whole."""
    return re.sub(r"\s+", "", p.screen())


def bar(port, lock="🔒"):
    return r"^\s*connected \| 127\.0\.0\.1:%d \| %sTLSv1\.[23] \| " % (port, lock)


def check_rows_fit(p, width=80):
    for r in p.rows():
        h.check(term.width(r) <= width, "a row wider than %d columns: %r" % (width, r), p.describe)


class TlsFake:
    """A TLS server on 127.0.0.1 with a certificate of its own (made by
    openssl in a temp dir) that greets like sockchat and acknowledges every
    MSG; counts connections (handshakes attempted)."""

    def __init__(self):
        need_openssl()
        d = tmpdir()
        self.cert, self.key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", self.key, "-out",
                        self.cert, "-days", "2", "-subj", "/CN=fake"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        self.fp = openssl_fp(self.cert)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(self.cert, self.key)
        self.lines = []
        self.listener = h.Listener(self._run)
        self.port = self.listener.port

    @property
    def count(self):
        return self.listener.count

    def _run(self, c, _n):
        try:
            c.settimeout(20)
            s = self.ctx.wrap_socket(c, server_side=True)
            buf = b""
            while True:
                d = s.recv(4096)
                if not d:
                    return
                buf += d
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line = line.decode("utf-8", "replace")
                    self.lines.append(line)
                    if line.startswith("HELLO "):
                        s.sendall(b"WELCOME alice fake 1 fakesrv\n")
                    m = re.match(r"MSG (\d+) ", line)
                    if m:
                        s.sendall(b"ACK %s\n" % m.group(1).encode())
        except (OSError, ssl.SSLError):
            return


def count_stays(what, fn, value, seconds):
    """fn() stays value for seconds (the absence of a retry: there is no
    event to wait for, so the check is bounded by the client's first
    backoff, 1 s, with room)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        h.check(fn() == value, "%s: %r, not %r" % (what, fn(), value))
        time.sleep(h.POLL)


# ---------------------------------------------------------------------------

def t_tofu_first(opts):
    """First connection asks with the fingerprint, yes stores it (0600 in a
    0700 directory), the bar shows the lock; the second connection, without
    --tls, is TLS and silent."""
    srv, fp = tls_server(opts)
    xdg = tmpdir()
    tm = h.Tmux()
    p = client_pane(tm, opts, "127.0.0.1", srv.port, "alice", xdg, ["--tls"], w=200)
    p.wait(r"Trust 127\.0\.0\.1:%d\? Type yes or no, then Enter:" % srv.port)
    h.check(fp.replace(":", "") in flat(p).replace(":", ""),
            "the server's fingerprint %s is not shown" % fp, p.describe)
    h.check(not os.path.exists(known_path(xdg)), "known_servers written before the answer")
    p.type("y")
    p.keys("Enter")  # "y" is no answer
    p.wait(r"please type yes or no")
    p.type("yes")
    p.keys("Enter")
    p.wait_row(-2, bar(srv.port))
    with open(known_path(xdg)) as f:
        text = f.read()
    h.check(text == "127.0.0.1:%d SHA-256 %s\n" % (srv.port, fp),
            "known_servers holds %r" % text)
    h.check(stat.S_IMODE(os.stat(known_path(xdg)).st_mode) == 0o600, "known_servers not 0600")
    h.check(stat.S_IMODE(os.stat(os.path.dirname(known_path(xdg))).st_mode) == 0o700,
            "the sockchat directory is not 0700")
    srv_chat = h.FramedClient(srv.port, "bob")
    p.line("over tls")
    srv_chat.wait(r"^CHAT \d+ alice over tls$")
    p.wait(r"<alice> over tls (✓ \d+ ms|\(ok \d+ ms\))")
    p.line("/quit")
    h.poll_until("the first client to end", lambda: "Pane is dead" in p.screen() or
                 p.fmt("#{pane_dead}") == "1", 10, p.describe)
    # Again, without --tls: known, so TLS, and no question.
    q = client_pane(tm, opts, "127.0.0.1", srv.port, "alice", xdg, name="again")
    q.wait_row(-2, bar(srv.port))
    h.check("Trust" not in q.screen(), "asked again about a known server", q.describe)
    check_rows_fit(q)
    with open(known_path(xdg)) as f:
        h.check(f.read() == text, "known_servers changed by a known server's connection")


def t_tofu_no(opts):
    """No to a new certificate: the client leaves with status 1, and
    nothing is stored."""
    srv, fp = tls_server(opts)
    xdg = tmpdir()
    tm = h.Tmux()
    # Under the wrapper: tmux 3.3 may mark a pane dead before it reaps the
    # program, and then has no status to give.
    argv = [h.need(opts.client, "sockchat client"), "127.0.0.1", str(srv.port), "--nick",
            "alice", "--tls"]
    p, d = term.run_checked(tm, argv, 200, 24, env={"XDG_DATA_HOME": xdg})
    p.wait(r"Trust 127\.0\.0\.1:%d\? Type yes or no, then Enter:" % srv.port)
    p.type("no")
    p.keys("Enter")
    status = term.wait_result(p, d)["status"]
    h.check(status == 1, "exit status %r, not 1" % status, p.describe)
    h.check(not os.path.exists(known_path(xdg)), "stored after a no")
    h.check(not re.search(r"alice joined", srv.log()), "the client joined after a no:\n" +
            srv.log())


def t_changed(opts):
    """A certificate other than the one stored: refused loudly (both
    fingerprints, the file and line, how to remove it), the file left as
    it was, no reconnecting; --forget then removes the line."""
    fake = TlsFake()
    xdg = tmpdir()
    os.makedirs(os.path.dirname(known_path(xdg)), 0o700)
    old = ":".join(["AB"] * 32)
    text = "# my servers\n127.0.0.1:%d SHA-256 %s\n" % (fake.port, old)
    with open(known_path(xdg), "w") as f:
        f.write(text)
    tm = h.Tmux()
    p = client_pane(tm, opts, "127.0.0.1", fake.port, "alice", xdg, ["--tls"], w=200, ht=30)
    p.wait(r"THE CERTIFICATE OF 127\.0\.0\.1:%d HAS CHANGED" % fake.port)
    p.wait_row(-2, r"^\s*failed: the certificate changed")
    s = p.screen()
    h.check("trusted: SHA-256 %s (%s line 2)" % (old, known_path(xdg)) in s,
            "the stored fingerprint, file and line are not shown", p.describe)
    h.check("offered: SHA-256 %s" % fake.fp in s, "the offered fingerprint is not shown",
            p.describe)
    h.check("sockchat --forget 127.0.0.1:%d" % fake.port in s and
            "sed-i'2d'%s" % known_path(xdg) in flat(p), "no way to remove it is shown",
            p.describe)
    h.check("Trust" not in s, "asked about a changed certificate", p.describe)
    count_stays("connections to the changed server", lambda: fake.count, 1, 2.5)
    with open(known_path(xdg)) as f:
        h.check(f.read() == text, "known_servers changed after a refusal")
    h.check(not any(l.startswith("HELLO") for l in fake.lines), "the client greeted it")
    # --forget, as the message says.
    env = dict(os.environ, XDG_DATA_HOME=xdg)
    r = subprocess.run([opts.client, "--forget", "127.0.0.1:%d" % fake.port], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
    out = r.stdout.decode()
    h.check(r.returncode == 0 and "removed 127.0.0.1:%d" % fake.port in out,
            "--forget: %d %s" % (r.returncode, out))
    with open(known_path(xdg)) as f:
        h.check(f.read() == "# my servers\n", "--forget left %r" % text)


def t_ca(opts):
    """--tls-ca: a certificate the CA signed for the name connects without
    a question and stores nothing; the same certificate reached by an
    address it does not name is refused."""
    d = tmpdir()
    ca, cert, key = make_ca(d, ("DNS:localhost",))
    srv = h.Server(h.need(opts.server, "sockchat-server"), 0,
                   ["--tls-cert", cert, "--tls-key", key])
    xdg = tmpdir()
    tm = h.Tmux()
    p = client_pane(tm, opts, "localhost", srv.port, "alice", xdg, ["--tls-ca", ca])
    # (127.0.0.1): Debian's /etc/hosts gives localhost ::1 too.
    p.wait_row(-2, r"^\s*connected \| localhost:%d( \(127\.0\.0\.1\))? \| 🔒TLSv1\.[23] \| alice"
               % srv.port)
    h.check("Trust" not in p.screen(), "asked although verified by the CA", p.describe)
    h.check(not os.path.exists(known_path(xdg)), "--tls-ca wrote known_servers")
    q = client_pane(tm, opts, "127.0.0.1", srv.port, "bob", xdg, ["--tls-ca", ca], w=120)
    q.wait(r"certificate verify failed: IP address mismatch")
    q.wait_row(-2, r"^\s*failed: ")
    h.check("Trust" not in q.screen(), "asked instead of refusing", q.describe)


def t_status_ascii(opts):
    """Without a UTF-8 locale the bar says TLSv1.3 without the lock, and
    every row fits 80 columns."""
    srv, fp = tls_server(opts)
    xdg = tmpdir()
    os.makedirs(os.path.dirname(known_path(xdg)), 0o700)
    with open(known_path(xdg), "w") as f:
        f.write("127.0.0.1:%d SHA-256 %s\n" % (srv.port, fp))
    tm = h.Tmux()
    p = client_pane(tm, opts, "127.0.0.1", srv.port, "alice", xdg,
                    env={"LANG": "C", "LC_ALL": "C"})
    p.wait_row(-2, r"^\s*connected \| 127\.0\.0\.1:%d \| TLSv1\.[23] \| alice" % srv.port)
    check_rows_fit(p)


def t_tls_required(opts):
    """A --tls-only server answers clear text with ERR tls-required: shown,
    with the hint, and no retrying."""
    d = tmpdir()
    srv = h.Server(h.need(opts.server, "sockchat-server"), 0, ["--tls-dir", d, "--tls-only"])
    xdg = tmpdir()
    tm = h.Tmux()
    p = client_pane(tm, opts, "127.0.0.1", srv.port, "alice", xdg, w=160)
    p.wait(r"this server takes TLS only")
    p.wait(r"start sockchat with --tls, or /connect tls://127\.0\.0\.1:%d" % srv.port)
    p.wait_row(-2, r"^\s*failed: the server takes TLS only")
    joins = lambda: len(re.findall(r"127\.0\.0\.1:\d+", srv.log()))
    n = joins()
    count_stays("the server's log lines about our address", joins, n, 2.5)
    # /connect tls:// then gets in (asking first).
    p.line("/connect tls://127.0.0.1:%d" % srv.port)
    p.wait(r"Trust 127\.0\.0\.1:%d\? Type yes or no" % srv.port)
    p.type("yes")
    p.keys("Enter")
    p.wait_row(-2, bar(srv.port))


class ClearFake:
    """A clear-text server (no TLS) that keeps every byte it receives: on
    the HELLO it answers that it needs a password."""

    def __init__(self):
        self.got = b""
        self.port = h.Listener(self._run).port

    def _run(self, c, _n):
        try:
            c.settimeout(20)
            while True:
                d = c.recv(4096)
                if not d:
                    return
                self.got += d
                if b"HELLO" in d:
                    c.sendall(b"ERR auth this server needs a password\n")
        except OSError:
            return


def t_downgrade(opts):
    """A server in known_servers answers the ClientHello in clear text:
    refused with the explanation, once. --no-tls to it connects, but the
    password never crosses."""
    d = tmpdir()
    srv = h.Server(h.need(opts.server, "sockchat-server"), 0, ["--no-tls"])
    xdg = tmpdir()
    os.makedirs(os.path.dirname(known_path(xdg)), 0o700)
    with open(known_path(xdg), "w") as f:
        f.write("127.0.0.1:%d SHA-256 %s\n" % (srv.port, ":".join(["CD"] * 32)))
    tm = h.Tmux()
    p = client_pane(tm, opts, "127.0.0.1", srv.port, "alice", xdg, w=200)
    p.wait(r"It spoke TLS before \(known_servers line 1\): someone may be stripping")
    p.wait_row(-2, r"^\s*failed: TLS downgrade refused")
    fake = ClearFake()
    with open(known_path(xdg), "a") as f:
        f.write("127.0.0.1:%d SHA-256 %s\n" % (fake.port, ":".join(["CD"] * 32)))
    secret = "sw0rdfish-%d" % os.getpid()
    q = client_pane(tm, opts, "127.0.0.1", fake.port, "bob", xdg, ["--no-tls"], w=200,
                    env={"SOCKCHAT_PASSWORD": secret}, name="bob")
    q.wait(r"the password is not sent")
    q.wait(r"not sending one in clear text")
    h.poll_until("the HELLO at the fake", lambda: b"HELLO" in fake.got, 5)
    h.check(b"HELLO" in fake.got, "the client did not greet: %r" % fake.got)
    h.check(secret.encode() not in fake.got, "the password crossed in clear text")
    h.check("Password for" not in q.screen(), "a password prompt for a clear-text server",
            q.describe)


def t_plain_tofu(opts):
    """--plain on a terminal asks yes/no too; without a terminal a new
    server (given as tls://HOST:PORT) is refused with the line to add."""
    srv, fp = tls_server(opts)
    xdg = tmpdir()
    cl = h.need(opts.client, "sockchat client")
    env = dict(os.environ, XDG_DATA_HOME=xdg)
    # tls://HOST:PORT, the URL form, instead of --tls.
    r = subprocess.run([cl, "--plain", "tls://127.0.0.1:%d" % srv.port], env=env,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=20)
    err = r.stderr.decode()
    h.check(r.returncode == 76 and "no terminal to ask" in err and
            "127.0.0.1:%d SHA-256 %s" % (srv.port, fp) in err,
            "no tty: exit %d, %s" % (r.returncode, err))
    h.check(not os.path.exists(known_path(xdg)), "known_servers written without an answer")
    tm = h.Tmux()
    p = client_pane(tm, opts, "127.0.0.1", srv.port, "alice", xdg, ["--plain", "--tls"],
                    w=200)
    p.wait(r"remember it in .*\? \(yes/no\)")
    p.line("yes")
    p.wait(r"connected to 127\.0\.0\.1:%d over TLSv1\.[23]" % srv.port)
    p.wait(r"Enter a message")
    p.line("hi over tls")
    p.wait(r"Message received|<alice> hi over tls")
    with open(known_path(xdg)) as f:
        h.check(f.read() == "127.0.0.1:%d SHA-256 %s\n" % (srv.port, fp), "not stored")


def t_wire_chunk(opts):
    """--wire and --chunk over TLS (asked for by SOCKCHAT_TLS=1): the rows
    show the chat's bytes before encryption, cut into the pieces asked for,
    and the server still reads whole lines."""
    srv, fp = tls_server(opts)
    xdg = tmpdir()
    bob = h.FramedClient(srv.port, "bob")
    env = dict(os.environ, XDG_DATA_HOME=xdg, SOCKCHAT_TLS="1")  # as --tls
    r = subprocess.run([h.need(opts.client, "sockchat client"), "--plain",
                        "--tls-accept-new", "--wire", "--chunk", "3:5", "--nick", "carol",
                        "127.0.0.1", str(srv.port)],
                       input=b"in pieces\nexit\n", env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    err = r.stderr.decode()
    h.check(r.returncode == 0, "exit %d: %s" % (r.returncode, err))
    h.check(re.search(r"connected to 127\.0\.0\.1:%d over TLSv1\.[23]" % srv.port, err),
            "not over TLS: %s" % err)
    h.check(re.search(r"→ .* write +3 B +in ", err) and re.search(r"write +3 B +pie", err),
            "no 3-byte plaintext pieces on the wire rows:\n%s" % err)
    bob.wait(r"^CHAT \d+ carol in pieces$")


TESTS = {
    "tofu_first": t_tofu_first,
    "tofu_no": t_tofu_no,
    "changed": t_changed,
    "ca": t_ca,
    "status_ascii": t_status_ascii,
    "tls_required": t_tls_required,
    "downgrade": t_downgrade,
    "plain_tofu": t_plain_tofu,
    "wire_chunk": t_wire_chunk,
}

if __name__ == "__main__":
    sys.exit(h.main(TESTS))
