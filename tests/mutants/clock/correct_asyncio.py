"""asyncio streams: readexactly(25), then write the time and close.

correct: asyncio
"""
import asyncio
import time

PORT = 12091


async def clock(reader, writer):
    try:
        await reader.readexactly(25)
        writer.write(time.ctime().encode("ascii"))
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(clock, "", PORT)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
