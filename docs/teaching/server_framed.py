# Exercise 1's answer (docs/TEACHING.md): the tutorial's server.py with
# framing. TCP delivers a stream of bytes, not messages: one recv() may hold
# a piece of a message or several of them. So a message ends where its "\n"
# is, and whatever follows the last "\n" is kept for the next recv().
# Replies end with "\n" too, so a client can frame them the same way.
# As in tests/interop/server.py: optional argv HOST [PORT]; with PORT 0 one
# line "listening on HOST:PORT" on stderr.
import socket
import sys

if len(sys.argv) > 1:
    server_ip = sys.argv[1]
else:
    server_ip = socket.gethostbyname(socket.gethostname())
server_port = 5000
if len(sys.argv) > 2:
    server_port = int(sys.argv[2])

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind((server_ip, server_port))
server.listen(5)
if server_port == 0:
    print(f"listening on {server_ip}:{server.getsockname()[1]}", file=sys.stderr, flush=True)

while True:
    client_socket, addr = server.accept()
    print(f"Connection established with {addr}")
    pending = b""  # bytes received after the last "\n": the start of a message
    connected = True
    while connected:
        data = client_socket.recv(1024)
        if not data:
            connected = False
        pending += data
        # Every complete line is a message; a partial one waits for more.
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            message = line.rstrip(b"\r").decode("utf-8", errors="replace")
            print(f"Received message: {message}")
            client_socket.sendall(b"Message received\n")
    print(f"Client {addr} has disconnected.")
    client_socket.close()
