"""asyncio.Protocol callbacks (no streams): a connection whose line is in waits in a global until a partner's is.

correct: asyncio.Protocol (callbacks)
"""
import asyncio

PORT = 12092
waiting = None  # the connection whose line has arrived and that has no partner yet


class Swap(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""
        self.line = None

    def data_received(self, data):
        global waiting
        if self.line is not None:
            return  # it has sent its line: anything more is ignored
        self.buffer += data
        if b"\n" not in self.buffer:
            return
        self.line = self.buffer[:self.buffer.index(b"\n") + 1]
        if waiting is None:
            waiting = self
        else:
            partner, waiting = waiting, None
            partner.reply(self.line)
            self.reply(partner.line)

    def reply(self, line):
        self.transport.write(line)
        self.transport.close()  # after the write is flushed

    def connection_lost(self, exc):
        global waiting
        if waiting is self:  # it hung up while it waited: nobody's partner
            waiting = None


async def main():
    server = await asyncio.get_running_loop().create_server(Swap, "", PORT)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
