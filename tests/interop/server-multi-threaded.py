# The tutorial's server-multi-threaded.py, rewritten as it is: one thread per
# client, one recv(1024) per message, "Message received" without a newline,
# and the thread ends after answering 'exit'. Do not improve it: like the
# original it does not notice a client that closes without 'exit' (recv
# returns "" forever until a send fails and the thread dies with a traceback).
# Additions: optional argv HOST [PORT] (tutorial defaults otherwise), and with
# PORT 0 one line "listening on HOST:PORT" on stderr so tests learn the
# ephemeral port; stdout stays the tutorial's.
import socket
import sys
import threading

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


def handle_client(client_socket, addr):
    print(f"Connection established with {addr}")
    connected = True
    while connected:
        message = client_socket.recv(1024).decode("utf-8")
        print(f"Received message from client {addr}: {message}")
        if message.lower() == 'exit':
            print(f"Client {addr} has disconnected.")
            connected = False
        response = "Message received"
        client_socket.send(response.encode("utf-8"))
    client_socket.close()


while True:
    client_socket, addr = server.accept()
    client_thread = threading.Thread(target=handle_client, args=(client_socket, addr))
    client_thread.start()
