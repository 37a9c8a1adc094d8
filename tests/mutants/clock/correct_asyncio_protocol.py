"""asyncio.Protocol callbacks (no streams): data_received gathers the question's pieces in a buffer.

correct: asyncio.Protocol (callbacks)
"""
import asyncio
import time

PORT = 12091


class Clock(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.question = b""

    def data_received(self, data):
        if len(self.question) >= 25:
            return  # answered already: the rest is not part of the question
        self.question += data
        if len(self.question) >= 25:
            self.transport.write(time.ctime().encode("ascii"))
            self.transport.close()  # after the write is flushed


async def main():
    server = await asyncio.get_running_loop().create_server(Clock, "", PORT)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
