#!/usr/bin/env python3
"""End-to-end tests of the chat-only ssh account (issue 15): the account made
by scripts/ssh-account (a real system user with a unique name), a real sshd
started here on a loopback ephemeral port with a throwaway host key and a
private configuration (the real /etc/ssh is never touched), the real
sockchat-server, and `ssh -tt` in a tmux pane landing in `sockchat
--restricted`. Needs root (the user, sshd): skipped otherwise.

Run one case: ssh_test.py CASE --client PATH --server PATH
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                      "ssh-account")
SSHD = "/usr/sbin/sshd"
ST_CONNECTED = r"^\s*connected \| "
PASSWORD = "class-of-2026"


def run(argv, timeout=30, **kw):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, text=True, **kw)


class Account:
    """A temp dir with sshd's configuration and keys, the account made by the
    script, a chat server and a running sshd; all undone at the end, even on
    failure."""

    def __init__(self, opts, password=False):
        if os.geteuid() != 0:
            raise h.Skip("needs root: it adds a system user and runs sshd")
        for prog in (SSHD, shutil.which("ssh"), shutil.which("ssh-keygen")):
            if not prog or not os.access(prog, os.X_OK):
                raise h.Skip("openssh-server and openssh-client are needed (scripts/deps.sh test)")
        client = h.need(opts.client, "sockchat client")
        self.dir = tempfile.mkdtemp(prefix="sockchat-ssh-")
        h._cleanups.append(lambda: shutil.rmtree(self.dir, ignore_errors=True))
        # The account's user reads its keys and runs the client from here.
        os.chmod(self.dir, 0o755)
        self.user = "sockchat-t%s" % uuid.uuid4().hex[:8]
        self.home = os.path.join(self.dir, "home")
        self.conf_d = os.path.join(self.dir, "sshd_config.d")
        os.mkdir(self.conf_d)
        self.sockchat = os.path.join(self.dir, "sockchat")
        shutil.copy(client, self.sockchat)
        os.chmod(self.sockchat, 0o755)
        self.srv = h.Server(h.need(opts.server, "sockchat-server"))

        self.host_key = os.path.join(self.dir, "host_key")
        self.key = os.path.join(self.dir, "alice_key")
        for path, comment in ((self.host_key, "host"), (self.key, "alice@laptop")):
            r = run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path])
            h.check(r.returncode == 0, "ssh-keygen: %s" % r.stderr)
        self.keys = os.path.join(self.dir, "students.pub")
        with open(self.key + ".pub") as src, open(self.keys, "w") as dst:
            dst.write("# the class\n" + src.read())

        self.port = h.free_port()
        self.config = os.path.join(self.dir, "sshd_config")
        with open(self.config, "w") as f:
            # As Debian's: the drop-ins are included at the top.
            f.write("Include %s/*.conf\n"
                    "Port %d\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s\n"
                    "UsePAM no\nPermitRootLogin no\nPasswordAuthentication no\n"
                    "KbdInteractiveAuthentication no\nSubsystem sftp internal-sftp\n"
                    % (self.conf_d, self.port, self.host_key,
                       os.path.join(self.dir, "sshd.pid")))
        h._cleanups.append(self.remove_user)
        args = ["--keys", self.keys] if not password else ["--password"]
        r = self.script("add", *args, input=PASSWORD + "\n" if password else None)
        h.check(r.returncode == 0, "ssh-account add failed (%d): %s%s"
                % (r.returncode, r.stdout, r.stderr))
        self.add_output = r.stdout
        self.sshd_log = os.path.join(self.dir, "sshd.log")
        with open(self.sshd_log, "w") as log:
            self.sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", self.config],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         preexec_fn=h._pdeathsig)
        h._cleanups.append(self.stop_sshd)
        h.wait_port(self.port)

    def script(self, action, *args, input=None):
        argv = [SCRIPT, action, "--user", self.user, "--sshd-dir", self.conf_d,
                "--sshd-config", self.config, "--home", self.home, "--no-reload"]
        if action == "add":
            argv += ["--sockchat", self.sockchat, "--port", str(self.srv.port)]
        return subprocess.run(argv + list(args), input=input or "", stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60, text=True)

    def stop_sshd(self):
        if self.sshd.poll() is None:
            self.sshd.terminate()
            try:
                self.sshd.wait(10)
            except subprocess.TimeoutExpired:
                self.sshd.kill()
                self.sshd.wait()

    def remove_user(self):
        # The script's own undo; userdel as a last resort, so a failing
        # test never leaves a user behind.
        r = self.script("remove")
        if run(["getent", "passwd", self.user]).returncode == 0:
            run(["userdel", self.user])
            print("cleanup: ssh-account remove left %s: %s%s" % (self.user, r.stdout, r.stderr),
                  file=sys.stderr)

    def ssh_argv(self, *extra, key=True):
        argv = ["ssh", "-F", "/dev/null", "-p", str(self.port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10"]
        if key:
            argv += ["-i", self.key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                     "-o", "PreferredAuthentications=publickey"]
        else:
            argv += ["-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no"]
        return argv + list(extra) + ["%s@127.0.0.1" % self.user]

    def wait_log(self, pattern, timeout=10):
        def found():
            with open(self.sshd_log, errors="replace") as f:
                return re.search(pattern, f.read())
        h.poll_until("sshd to log /%s/" % pattern, found, timeout, self.describe)

    def describe(self):
        with open(self.sshd_log, errors="replace") as f:
            return "sshd log:\n" + f.read()[-3000:]


def land(tm, acct, nick, key=True):
    """ssh -tt in a pane; waits until the client is connected as nick."""
    p = tm.pane(acct.ssh_argv("-tt", key=key), name="ssh")
    if not key:
        p.wait(r"(?i)password:", 15)
        p.line(PASSWORD)
        p.wait(r"Your name in the chat", 15)
        p.line(nick)
    p.wait_row(-2, ST_CONNECTED, 15)
    p.wait_row(-2, r"\| %s( \||$)" % re.escape(nick))
    return p


def t_chat(opts):
    """ssh -tt lands in the chat as the key's comment's nick, chats with a
    local client, is refused /connect and Ctrl-Z, and /quit closes the ssh
    connection."""
    acct = Account(opts)
    tm = h.Tmux()
    p = land(tm, acct, "alice")
    bob = h.FramedClient(acct.srv.port, "bob")
    p.wait(r"--> .*bob")
    bob.msg("hello from bob")
    p.wait(r"<bob> hello from bob")
    p.line("hi bob, alice over ssh")
    bob.wait(r"^MSG \S+ alice hi bob, alice over ssh$|alice.*hi bob, alice over ssh")
    p.line("/connect 127.0.0.1 %d" % acct.port)
    p.wait(r"/connect: not in this session, which stays on 127\.0\.0\.1 port %d"
           % acct.srv.port)
    p.keys("C-z")
    p.wait(r"Ctrl-Z: no suspending in this session")
    p.wait_row(-2, ST_CONNECTED)
    p.line("/quit")
    p.wait_dead(15)
    bob.wait(r"^LEAVE alice ")


def t_password(opts):
    """With a shared password the student types it, then a name at the
    prompt, and lands in the chat under that name."""
    acct = Account(opts, password=True)
    tm = h.Tmux()
    p = land(tm, acct, "carol", key=False)
    bob = h.FramedClient(acct.srv.port, "bob")
    p.line("carol here")
    bob.wait(r"carol here")
    p.line("/quit")
    p.wait_dead(15)


def t_refused(opts):
    """No command, no subsystem, no port forwarding of any kind, no shell."""
    acct = Account(opts)
    for sshopts, cmd in (([], ["id"]), ([], ["/bin/sh", "-i"]), (["-tt"], ["/bin/sh"])):
        r = run(acct.ssh_argv(*sshopts) + cmd)
        h.check(r.returncode == 77, "%s: exit %d, not 77 (EX_NOPERM): %r"
                % (cmd, r.returncode, r.stdout), acct.describe)
        h.check("runs no commands" in r.stderr + r.stdout, "%s: no refusal line: %r %r"
                % (cmd, r.stdout, r.stderr), acct.describe)
        h.check("uid=" not in r.stdout and "$ " not in r.stdout,
                "%s ran something: %r" % (cmd, r.stdout), acct.describe)
    # The subsystem's channel carries no stderr: the client's EX_NOPERM says.
    r = run(acct.ssh_argv("-s") + ["sftp"])
    h.check(r.returncode == 77,
            "sftp subsystem: %d %r" % (r.returncode, r.stderr), acct.describe)
    # stdio forwarding to the chat server (and to sshd itself).
    for target in ("127.0.0.1:%d" % acct.srv.port, "127.0.0.1:%d" % acct.port):
        r = run(acct.ssh_argv("-W", target))
        h.check(r.returncode != 0 and re.search(r"forwarding failed|prohibited", r.stderr),
                "ssh -W %s: %d %r %r" % (target, r.returncode, r.stdout, r.stderr), acct.describe)
        acct.wait_log(r"refused local port forward: .* target %s port %s"
                      % tuple(re.escape(x) for x in target.split(":")))
    # Remote forwarding: sshd refuses to listen.
    r = run(acct.ssh_argv("-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:%d"
                          % acct.srv.port), timeout=30)
    h.check(r.returncode != 0 and re.search(r"(?i)forwarding failed|refused", r.stderr),
            "ssh -R: %d %r" % (r.returncode, r.stderr), acct.describe)
    # Local forwarding: ssh listens here, but every channel is refused, so
    # a connection through it never reaches the chat server.
    lport = h.free_port()
    fwd = subprocess.Popen(acct.ssh_argv("-N", "-L", "%d:127.0.0.1:%d" % (lport, acct.srv.port)),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, preexec_fn=h._pdeathsig)

    def stop_fwd():
        # ssh -N may sit on SIGTERM while it closes a refused channel (seen
        # on a loaded machine): then SIGKILL, ours to send, by its PID.
        if fwd.poll() is None:
            fwd.terminate()
            try:
                fwd.wait(5)
            except subprocess.TimeoutExpired:
                fwd.kill()
                fwd.wait(10)
    h._cleanups.append(stop_fwd)
    h.wait_port(lport, timeout=15)
    s = socket.create_connection(("127.0.0.1", lport), timeout=10)
    s.sendall(b"HELLO sockchat/1 mallory\n")
    got = b""
    while True:
        try:
            data = s.recv(4096)  # bounded by the socket's timeout
        except ConnectionResetError:
            break  # closed by ssh once sshd refused the channel
        if not data:
            break
        got += data
    s.close()
    h.check(b"WELCOME" not in got, "ssh -L reached the chat server: %r" % got, acct.describe)
    acct.wait_log(r"refused local port forward: .* target 127\.0\.0\.1 port %d" % acct.srv.port)
    stop_fwd()
    h.check("mallory" not in acct.srv.log(), "mallory reached the server:\n" + acct.srv.log())


def t_remove(opts):
    """add is idempotent; remove takes away the user and the drop-in, and
    the account no longer logs in; remove again has nothing to do."""
    acct = Account(opts)
    r = acct.script("add", "--keys", acct.keys)
    h.check(r.returncode == 0 and "updating the user" in r.stdout,
            "second add: %d %r %r" % (r.returncode, r.stdout, r.stderr))
    dropin = os.path.join(acct.conf_d, "sockchat-%s.conf" % acct.user)
    with open(dropin) as f:
        text = f.read()
    for want in ("ForceCommand exec %s --restricted" % acct.sockchat, "DisableForwarding yes",
                 "AllowTcpForwarding no", "PasswordAuthentication no", "PermitUserRC no"):
        h.check(want in text, "drop-in lacks %r:\n%s" % (want, text))
    # A bad key line: said, exit 65, nothing changed.
    bad = os.path.join(acct.dir, "bad.pub")
    with open(bad, "w") as f:
        f.write("ssh-ed25519 notakey bob\n")
    r = acct.script("add", "--keys", bad)
    h.check(r.returncode == 65 and "line 1 is not a public key" in r.stderr,
            "bad key: %d %r" % (r.returncode, r.stderr))
    with open(dropin) as f:
        h.check(f.read() == text, "a failed add changed the drop-in")
    r = run(acct.ssh_argv() + ["x"])
    h.check("runs no commands" in r.stderr, "before remove: %r" % r.stderr, acct.describe)
    r = acct.script("remove")
    h.check(r.returncode == 0 and "removed the user" in r.stdout,
            "remove: %d %r %r" % (r.returncode, r.stdout, r.stderr))
    h.check(not os.path.exists(dropin) and not os.path.exists(acct.home),
            "remove left %s or %s" % (dropin, acct.home))
    h.check(run(["getent", "passwd", acct.user]).returncode != 0, "the user is still there")
    # The user is gone: the account no longer logs in.
    r = run(acct.ssh_argv() + ["x"])
    h.check(r.returncode == 255 and "runs no commands" not in r.stderr,
            "after remove: %d %r" % (r.returncode, r.stderr), acct.describe)
    r = acct.script("remove")
    h.check(r.returncode == 0 and "nothing to remove" in r.stdout,
            "second remove: %d %r" % (r.returncode, r.stdout))
    # A configuration that does not include the drop-ins: said, exit 78,
    # and neither the drop-in nor the user just made is left.
    with open(acct.config) as f:
        lines = f.read().splitlines()
    with open(acct.config, "w") as f:
        f.write("\n".join(l for l in lines if not l.startswith("Include")) + "\n")
    r = acct.script("add", "--keys", acct.keys)
    h.check(r.returncode == 78 and "does not include" in r.stderr,
            "add without Include: %d %r" % (r.returncode, r.stderr))
    h.check(not os.path.exists(dropin) and not os.path.exists(acct.home),
            "a failed add left %s or %s" % (dropin, acct.home))
    h.check(run(["getent", "passwd", acct.user]).returncode != 0, "a failed add left the user")


TESTS = {"chat": t_chat, "password": t_password, "refused": t_refused, "remove": t_remove}

if __name__ == "__main__":
    sys.exit(h.main(TESTS))
