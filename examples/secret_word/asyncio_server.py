"""A correct secret word server written by hand over asyncio streams (HTTP/1.1, then close)."""
import asyncio
import html
import os
import random
import urllib.parse

PORT = 8000
state = {"secret": os.environ.get("SECRET_WORD") or random.choice(["tea", "coffee", "cocoa"]),
         "found": False}


def respond(writer, status, body):
    data = body.encode("utf-8")
    writer.write(f"HTTP/1.1 {status}\r\n"
                 "Content-Type: text/html; charset=utf-8\r\n"
                 f"Content-Length: {len(data)}\r\n"
                 "Connection: close\r\n\r\n".encode("ascii") + data)


async def serve(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        path = urllib.parse.urlsplit(target).path
        if method != "GET":
            respond(writer, "405 Method Not Allowed", "<p>GET only</p>")
        elif path == "/favicon.ico":
            respond(writer, "404 Not Found", "<p>no icon here</p>")
        elif path == "/":
            respond(writer, "200 OK", "<p>Guess: /yourword</p>")
        else:
            word = urllib.parse.unquote(path[1:])
            if state["found"]:
                text = "Too late: the word was already found."
            elif word == state["secret"]:
                state["found"] = True
                text = f"Yes! {html.escape(word)} is right."
            else:
                text = f"Sorry, {html.escape(word)} is wrong."
            respond(writer, "200 OK", f"<!DOCTYPE html><html><body><p>{text}</p></body></html>")
        await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(serve, "", PORT)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
