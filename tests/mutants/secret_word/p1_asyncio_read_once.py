"""asyncio streams; one reader.read(65536) is taken to be the whole request.

spec: 1
fails: split_request
"""
import asyncio
import html
import os
import random
from urllib.parse import unquote

SECRET = os.environ.get("SECRET_WORD") or random.choice(["kiwi", "lime", "plum"])
found = False


def reply(target):
    global found
    if target == "/favicon.ico":
        return "404 Not Found", "<h1>404</h1>"
    word = unquote(target[1:])
    if found:
        return "200 OK", "<h1>The word was already found</h1>"
    if word == SECRET:
        found = True
        return "200 OK", f"<h1>{html.escape(word)} is right</h1>"
    return "200 OK", f"<h1>{html.escape(word)} is wrong</h1>"


async def handle(reader, writer):
    head = await reader.read(65536)  # the whole request
    if not head:
        writer.close()
        return
    target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
    status, body = reply(target)
    data = body.encode("utf-8")
    writer.write(f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                 f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle, "", 8000)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
