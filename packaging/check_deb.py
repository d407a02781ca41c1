#!/usr/bin/env python3
"""check_deb: the programs of an extracted .deb run as the unit runs them.

    packaging/check_deb.py ROOT      (ROOT: dpkg -x sockchat_*.deb ROOT)

No systemd is needed: the server is started with the unit's own ExecStart
line and the options of the packaged /etc/default/sockchat, its %t and %S
pointing into a scratch directory laid out as systemd would lay it out
(RuntimeDirectory and StateDirectory 0700, owned by the service's user),
and JOURNAL_STREAM naming its stderr, as under systemd. As root it runs
as another user, like DynamicUser=yes. It listens on 127.0.0.1, port 0.

Checked: --version; the log has no time prefix (JOURNAL_STREAM); one
message from a plain client reaches a framed one; root attaches the
dashboard (sockchat-admin --plain) through the runtime directory; SIGTERM
stops it with status 0; the message is in the state directory's
transcript. Exit 0 when all hold, 1 with what failed.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
import chatlib  # noqa: E402

# A uid from systemd's DynamicUser range (61184-65519), unused here.
SERVICE_UID = 61184
TIME_RE = re.compile(r"^\d\d:\d\d:\d\d  ")


def unit_execstart(root):
    """The unit's ExecStart words, and the file its EnvironmentFile names."""
    path = os.path.join(root, "lib/systemd/system/sockchat-server.service")
    words, envfile, env = None, None, {}
    with open(path) as f:
        for line in f:
            key, _, val = line.strip().partition("=")
            if key == "ExecStart":
                words = val.split()
            elif key == "EnvironmentFile":
                envfile = val.lstrip("-")
            elif key == "Environment":
                k, _, v = val.partition("=")
                env[k] = v
    assert words and envfile, f"{path}: no ExecStart or EnvironmentFile"
    return words, envfile, env


def read_envfile(path, env):
    """VAR=value lines, as systemd reads them (no shell)."""
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            k, _, v = line.partition("=")
            env[k] = shlex.split(v)[0] if v else ""
    return env


def expand(words, env, runtime, state):
    """%t, %S, ${VAR} in a word and $VAR as words of their own, as systemd
    expands an ExecStart line."""
    out = []
    for w in words:
        if re.fullmatch(r"\$[A-Za-z_]+", w):
            out += env.get(w[1:], "").split()
            continue
        w = w.replace("%t", runtime).replace("%S", state)
        out.append(re.sub(r"\$\{([A-Za-z_]+)\}", lambda m: env.get(m.group(1), ""), w))
    return out


def main():
    if len(sys.argv) != 2:
        print("usage: check_deb.py ROOT (dpkg -x sockchat_*.deb ROOT)", file=sys.stderr)
        return 64
    root = os.path.abspath(sys.argv[1])
    bindir = os.path.join(root, "usr/bin")
    ver = subprocess.run([os.path.join(bindir, "sockchat-server"), "--version"],
                         capture_output=True, text=True, timeout=chatlib.T_SHORT)
    print(f"$ sockchat-server --version\n{ver.stdout.strip()}")
    assert ver.returncode == 0 and ver.stdout.startswith("sockchat-server "), ver

    words, envfile, env = unit_execstart(root)
    read_envfile(os.path.join(root, envfile.lstrip("/")), env)
    env["SOCKCHAT_PORT"] = "0"
    scratch = tempfile.mkdtemp(prefix="sockchat-deb-")
    try:
        return check_service(root, bindir, words, env, scratch)
    finally:
        shutil.rmtree(scratch)


def check_service(root, bindir, words, env, scratch):
    """The server as the unit starts it, in scratch; 0 when all holds."""
    os.chmod(scratch, 0o755)
    runtime, state = os.path.join(scratch, "run"), os.path.join(scratch, "var-lib")
    as_root = os.geteuid() == 0
    if as_root:
        # mktemp -d makes ROOT 0700: the service's user must reach usr/bin.
        os.chmod(root, 0o755)
        d = os.path.dirname(root)
        while d != "/":
            if not os.stat(d).st_mode & 0o001:
                print(f"check_deb: {d} is closed to others: the server, run as uid "
                      f"{SERVICE_UID}, could not reach {bindir}", file=sys.stderr)
                return 1
            d = os.path.dirname(d)
    for d in (runtime, state):
        os.mkdir(d, 0o755)
        os.mkdir(os.path.join(d, "sockchat"), 0o700)
        if as_root:
            os.chown(os.path.join(d, "sockchat"), SERVICE_UID, SERVICE_UID)
    argv = expand(words, env, runtime, state)
    assert argv[0] == "/usr/bin/sockchat-server", argv
    admin = argv[argv.index("--admin") + 1]
    transcript = argv[argv.index("--transcript") + 1]
    print("ExecStart as run here:", " ".join(argv[1:]))

    # JOURNAL_STREAM names the stderr the server gets, as systemd's does.
    journal = ["sh", "-c", 'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec "$0" "$@"']
    # The service's own user when we are root (DynamicUser=yes): setpriv
    # in the wrapper, as chatlib's Server takes no preexec function.
    user = (["setpriv", f"--reuid={SERVICE_UID}", f"--regid={SERVICE_UID}", "--clear-groups"]
            if as_root else [])
    with chatlib.Server(os.path.join(bindir, "sockchat-server"), *argv[1:], bind="127.0.0.1",
                        port=None, wrapper=user + journal) as srv:
        srv.wait_log(r"admin: sockchat-admin --socket .* attaches", stream="err")
        stamped = [line for line in srv.err if TIME_RE.match(line) or line.startswith("---- ")]
        assert not stamped, f"time or date in a journal log: {stamped}"
        alice = srv.framed("alice")
        bob = srv.plain()
        bob.say("hello from the package")
        got = alice.wait_type("CHAT", pred=lambda m: m.text == b"hello from the package")
        print("chat:", got.raw.decode())
        dash = subprocess.run([os.path.join(bindir, "sockchat-admin"), "--socket", admin,
                               "--plain"], input="who\n", capture_output=True, text=True,
                              timeout=chatlib.T_SHORT)
        print(f"$ echo who | sockchat-admin --socket {admin} --plain (exit {dash.returncode})")
        print(dash.stdout.strip())
        assert dash.returncode == 0 and "alice" in dash.stdout, dash
        alice.close()
        bob.close()
        srv.conns.clear()
        rc = srv.stop()
        print("SIGTERM: exit status", rc)
        print("journal (as logged):\n  " + "\n  ".join(srv.err))
        assert rc == 0, srv.log_tail()
    with open(transcript, "rb") as f:
        assert b"hello from the package" in f.read(), f"message not in {transcript}"
    print(f"transcript {transcript}: has the message")
    print("check_deb: 1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
