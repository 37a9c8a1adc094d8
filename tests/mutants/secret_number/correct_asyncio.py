"""asyncio streams: one coroutine per client; one thread, so no lock is needed.

correct: asyncio.start_server
"""
import asyncio
import os
import random

PORT = 12093


class Game:
    def __init__(self):
        self.secret = int(os.environ["SECRET_NUMBER"]) if "SECRET_NUMBER" in os.environ else random.randint(1, 100)
        self.found = False

    def reply(self, line):
        try:
            guess = int(line)
        except ValueError:
            return b"error: send a whole number\n"
        if self.found:
            return b"secret found\n"
        if guess == self.secret:
            self.found = True
            return b"right\n"
        return b"wrong\n"


async def main():
    game = Game()

    async def player(reader, writer):
        try:
            while True:
                line = await reader.readline()  # at the end: what is left, then b""
                if not line:
                    break
                writer.write(game.reply(line))
                await writer.drain()
        except (ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(player, "", PORT)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
