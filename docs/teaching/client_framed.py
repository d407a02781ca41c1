# Exercise 2's answer (docs/TEACHING.md): the tutorial's client.py with
# framing. A message is sent with its "\n" (sendall: send() may take only
# part of it), and a reply is read up to its "\n": one recv() may hold a
# piece of it or more than it, so what follows the "\n" is kept for the
# next reply. Talks to server_framed.py, or to anything that answers a line
# with a line. Optional argv HOST [PORT], as the tutorial's client.py.
import socket
import sys

if len(sys.argv) > 1:
    server_ip = sys.argv[1]
else:
    server_ip = socket.gethostbyname(socket.gethostname())
server_port = 5000
if len(sys.argv) > 2:
    server_port = int(sys.argv[2])

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


def send_message(message):
    client.sendall((message + "\n").encode("utf-8"))
    response = recv_line()
    if response is None:
        print("The server closed the connection.")
        sys.exit(0)
    print(f"Server response: {response}")


while True:
    user_input = input("Enter a message to send to the server (or 'exit' to quit): ")
    send_message(user_input)
    if user_input.lower() == 'exit':
        print("Exiting client.")
        break
