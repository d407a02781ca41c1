# The tutorial's client.py, rewritten as it is: sockchat must keep serving it.
# Do not improve it: one send() without a newline, one recv(1024), the same
# prints, a traceback on EOF of stdin. The only addition: optional argv
# HOST [PORT] so tests can point it at an ephemeral port; without them it
# uses the tutorial's defaults (this machine's address, port 5000).
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

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((server_ip, server_port))


def send_message(message):
    client.send(message.encode("utf-8"))
    response = client.recv(1024).decode("utf-8")
    print(f"Server response: {response}")


while True:
    user_input = input("Enter a message to send to the server (or 'exit' to quit): ")
    send_message(user_input)
    if user_input.lower() == 'exit':
        print("Exiting client.")
        break
