"""asyncio streams: a waiting client awaits a Future; the line limit is raised above 64 KiB.

correct: asyncio.start_server
"""
import asyncio

PORT = 12092
waiting = None  # (line, future of the partner's line)


async def swap(reader, writer):
    global waiting
    try:
        line = await reader.readuntil(b"\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
        return
    if waiting is None:
        future = asyncio.get_running_loop().create_future()
        waiting = (line, future)
        reply = await future
    else:
        (reply, future), waiting = waiting, None
        future.set_result(line)
    writer.write(reply)
    try:
        await writer.drain()
        writer.close()
        await writer.wait_closed()
    except ConnectionError:
        pass


async def main():
    server = await asyncio.start_server(swap, "", PORT, limit=1 << 20)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
