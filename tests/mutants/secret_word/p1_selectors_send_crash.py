"""A selectors server that catches a reset when it reads the request but not when it sends the response: a
client that resets right after its request, before the response (a loaded machine), stops the server.

spec: 1
fails: explore
"""
import html
import os
import random
import selectors
import socket
from urllib.parse import unquote

SECRET = os.environ.get("SECRET_WORD") or random.choice(["sun", "moon", "star"])
found = False
sel = selectors.DefaultSelector()


def page_for(target):
    global found
    if target == "/favicon.ico":
        return "404 Not Found", "<p>no favicon</p>"
    word = unquote(target[1:])
    if found:
        return "200 OK", "<p>sorry, the word was already found</p>"
    if word == SECRET:
        found = True
        return "200 OK", f"<p>{html.escape(word)} is right</p>"
    return "200 OK", f"<p>{html.escape(word)} is wrong</p>"


def accept(listener):
    conn, _ = listener.accept()
    conn.setblocking(False)
    sel.register(conn, selectors.EVENT_READ, {"in": b"", "out": b""})


def service(key, mask):
    conn, state = key.fileobj, key.data
    if mask & selectors.EVENT_READ:
        try:
            chunk = conn.recv(4096)
        except ConnectionError:  # the client reset the connection (spec point 1: it goes on)
            chunk = b""
        if not chunk:
            sel.unregister(conn)
            conn.close()
            return
        state["in"] += chunk
        if b"\r\n\r\n" in state["in"]:
            target = state["in"].split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
            status, body = page_for(target)
            data = body.encode("utf-8")
            state["out"] = (f"HTTP/1.0 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                            f"Content-Length: {len(data)}\r\n\r\n").encode() + data
            sel.modify(conn, selectors.EVENT_WRITE, state)
    elif mask & selectors.EVENT_WRITE:
        sent = conn.send(state["out"])
        state["out"] = state["out"][sent:]
        if not state["out"]:
            sel.unregister(conn)
            conn.close()


def main():
    listener = socket.create_server(("", 8000))
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ, None)
    while True:
        for key, mask in sel.select():
            if key.data is None:
                accept(key.fileobj)
            else:
                service(key, mask)


if __name__ == "__main__":
    main()
