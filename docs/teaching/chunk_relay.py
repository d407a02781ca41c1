# A relay for exercise 2 (docs/TEACHING.md): sits between a client and a
# server and passes the server's replies on in pieces of a few bytes, a
# few ms apart, so that a client's recv() gets a piece of a reply at a
# time, as it may on a real network. (sockchat's --chunk does the same to
# what the sockchat client writes.) The client's bytes pass unchanged.
#
#   python3 chunk_relay.py SERVER_HOST SERVER_PORT [LISTEN_PORT [PIECE [MS]]]
#
# Defaults: listen on 127.0.0.1 port 6000 (0: any free port), 3-byte
# pieces, 20 ms apart. Prints "relaying 127.0.0.1:PORT -> HOST:PORT" when
# ready. Point the client at 127.0.0.1 PORT.
import socket
import sys
import threading
import time


def pipe(src, dst, piece, gap):
    """Copies src to dst until src ends; in pieces when piece is not 0."""
    try:
        while True:
            data = src.recv(4096)
            if not data:
                dst.shutdown(socket.SHUT_WR)
                return
            step = piece or len(data)
            for i in range(0, len(data), step):
                dst.sendall(data[i:i + step])
                if piece:
                    time.sleep(gap)  # the pause between pieces is the point
    except OSError:
        return


def main():
    if len(sys.argv) < 3:
        print("usage: chunk_relay.py SERVER_HOST SERVER_PORT [LISTEN_PORT [PIECE [MS]]]",
              file=sys.stderr)
        sys.exit(64)
    host, port = sys.argv[1], int(sys.argv[2])
    listen_port = int(sys.argv[3]) if len(sys.argv) > 3 else 6000
    piece = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    gap = (int(sys.argv[5]) if len(sys.argv) > 5 else 20) / 1000
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", listen_port))
    lsock.listen(8)
    print(f"relaying 127.0.0.1:{lsock.getsockname()[1]} -> {host}:{port} "
          f"in {piece}-byte pieces", flush=True)
    while True:
        client, _ = lsock.accept()
        try:
            server = socket.create_connection((host, port))
        except OSError as e:
            print(f"cannot reach {host}:{port}: {e}", flush=True)
            client.close()
            continue
        threading.Thread(target=pipe, args=(client, server, 0, 0), daemon=True).start()
        threading.Thread(target=pipe, args=(server, client, piece, gap), daemon=True).start()


main()
