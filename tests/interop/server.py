# The tutorial's single-threaded server.py, rewritten as it is: one client at
# a time, one recv(1024) per message, "Message received" without a newline.
# Do not improve it (it never checks for 'exit'; it waits for the client to
# close). Additions: optional argv HOST [PORT] (tutorial defaults otherwise),
# and with PORT 0 one line "listening on HOST:PORT" on stderr so tests learn
# the ephemeral port; stdout stays the tutorial's.
import socket
import sys

# The tutorial's default address, looked up only when none is given: a
# machine whose own name does not resolve (a container) can still run tests.
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
    connected = True
    while connected:
        message = client_socket.recv(1024).decode("utf-8")
        if not message:
            connected = False
        print(f"Received message: {message}")
        response = "Message received"
        client_socket.send(response.encode("utf-8"))
    print(f"Client {addr} has disconnected.")
    client_socket.close()
