"""asyncio.Protocol callbacks (no streams): hand-written HTTP/1.0, the head gathered until its blank line.

correct: asyncio.Protocol (callbacks, hand-written HTTP)
"""
import asyncio
import html
import os
import random
from urllib.parse import unquote

PORT = 8000
SECRET = os.environ.get("SECRET_WORD") or random.choice(["apple", "banana", "cherry", "plum"])
found = False  # one event loop thread: checking and setting it is one step


def page(target):
    """(status, HTML body) for a request target."""
    global found
    if target == "/favicon.ico":
        return "404 Not Found", "<p>No icon here.</p>"
    word = unquote(target[1:])  # percent-decoded as UTF-8
    if found:
        return "200 OK", "<p>The word was already found.</p>"
    if word == SECRET:
        found = True
        return "200 OK", f"<p>{html.escape(word)} is right!</p>"
    return "200 OK", f"<p>{html.escape(word)} is wrong.</p>"


class Web(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.head = b""

    def data_received(self, data):
        if self.head is None:
            return  # answered already
        self.head += data
        if b"\r\n\r\n" not in self.head:
            return
        request_line, self.head = self.head.split(b"\r\n", 1)[0], None
        parts = request_line.split(b" ")
        target = parts[1].decode("latin-1") if len(parts) == 3 else "/"
        status, body = page(target)
        body = body.encode("utf-8")
        self.transport.write(f"HTTP/1.0 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                             f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        self.transport.close()


async def main():
    server = await asyncio.get_running_loop().create_server(Web, "", PORT)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
