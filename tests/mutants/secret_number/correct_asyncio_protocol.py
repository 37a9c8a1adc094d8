"""asyncio.Protocol callbacks (no streams): each connection keeps its unfinished line; eof_received answers the last.

correct: asyncio.Protocol (callbacks)
"""
import asyncio
import os
import random

PORT = 12093
SECRET = int(os.environ["SECRET_NUMBER"]) if "SECRET_NUMBER" in os.environ else random.randint(1, 100)
found = False  # one event loop thread: checking and setting it is one step


def verdict(line):
    global found
    try:
        guess = int(line)  # bytes: ASCII digits, a sign, spaces and \r around
    except ValueError:
        return b"error: not a whole number\n"
    if found:
        return b"secret found\n"
    if guess == SECRET:
        found = True
        return b"right\n"
    return b"wrong\n"


class Player(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.pending = b""

    def data_received(self, data):
        self.pending += data
        *lines, self.pending = self.pending.split(b"\n")
        for line in lines:
            self.transport.write(verdict(line))

    def eof_received(self):
        if self.pending:  # a last line without its newline
            self.transport.write(verdict(self.pending))
            self.pending = b""
        return False  # close our side once the replies are sent


async def main():
    server = await asyncio.get_running_loop().create_server(Player, "", PORT)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
