"""A correct secret number server with asyncio (one thread: no lock needed)."""
import asyncio
import os
import random

PORT = 12093


class Game:
    def __init__(self):
        self.secret = int(os.environ.get("SECRET_NUMBER", random.randint(1, 100)))
        self.found = False

    def judge(self, line):
        try:
            guess = int(line)
        except ValueError:
            return b"error: please send a whole number\n"
        if self.found:
            return b"secret found\n"
        if guess == self.secret:
            self.found = True
            return b"right\n"
        return b"wrong\n"


async def main():
    game = Game()

    async def client(reader, writer):
        try:
            while line := await reader.readline():
                writer.write(game.judge(line))
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(client, "127.0.0.1", PORT)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
