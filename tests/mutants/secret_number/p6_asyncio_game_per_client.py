"""asyncio server that creates the Game (secret and "found") inside the client coroutine: every connection plays its own game.

spec: 6
fails: found_for_everyone, one_winner
"""
import asyncio
import os
import random

PORT = 12093
SECRET = int(os.environ["SECRET_NUMBER"]) if "SECRET_NUMBER" in os.environ else random.randint(1, 100)


class Game:
    def __init__(self, secret):
        self.secret = secret
        self.found = False

    def judge(self, line):
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


async def client(reader, writer):
    game = Game(SECRET)
    try:
        while line := await reader.readline():
            writer.write(game.judge(line))
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(client, "", PORT)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
