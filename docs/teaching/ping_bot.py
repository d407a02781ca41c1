# Exercise 3's answer (docs/TEACHING.md): a bot in the chat room, grown from
# the tutorial's client.py. It joins sockchat-server as a line client (nc's
# dialect: a line out, lines in), takes the nick pingbot, and answers a
# private "/ping" (someone types "/msg pingbot /ping") with its own round
# trip to the server: the time between sending "/ping TOKEN" and reading
# "pong TOKEN". Lines are framed as in client_framed.py: read up to "\n",
# keep the rest. Optional argv HOST [PORT], as the tutorial's client.py.
import re
import socket
import sys
import time

if len(sys.argv) > 1:
    server_ip = sys.argv[1]
else:
    server_ip = socket.gethostbyname(socket.gethostname())
server_port = 5000
if len(sys.argv) > 2:
    server_port = int(sys.argv[2])

NICK = "pingbot"
# How the server shows a private message to a line client (docs/PROTOCOL.md).
PRIVATE = re.compile(r"^\[private\] (\S+) -> " + NICK + r": (.*)$")

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((server_ip, server_port))
pending = b""  # bytes received after the last complete line


def recv_line():
    """The next line from the server, without its "\\n"; None once the
    server has closed the connection."""
    global pending
    while b"\n" not in pending:
        data = client.recv(1024)
        if not data:
            return None
        pending += data
    line, pending = pending.split(b"\n", 1)
    return line.rstrip(b"\r").decode("utf-8", errors="replace")


def send_line(text):
    client.sendall((text + "\n").encode("utf-8"))


def round_trip(token, later):
    """Sends /ping TOKEN and reads up to its pong; returns milliseconds.
    Lines that arrive meanwhile are kept in later, not lost."""
    start = time.monotonic()
    send_line("/ping " + token)
    while True:
        line = recv_line()
        if line is None:
            return None
        if line == "pong " + token:
            return (time.monotonic() - start) * 1000
        later.append(line)


def handle(line, count, later):
    print(line)
    m = PRIVATE.match(line)
    if not m or m.group(1) == NICK:
        return
    who, text = m.group(1), m.group(2).strip()
    if text == "/ping":
        ms = round_trip("t%d" % count, later)
        if ms is not None:
            send_line(f"/msg {who} pong {who}: {ms:.1f} ms from me to the server and back")
    else:
        send_line(f"/msg {who} I only answer /ping")


send_line("/nick " + NICK)
later = []
count = 0
while True:
    line = later.pop(0) if later else recv_line()
    if line is None:
        print("The server closed the connection.")
        break
    count += 1
    handle(line, count, later)
