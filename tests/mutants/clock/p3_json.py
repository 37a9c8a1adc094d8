"""Sends the time as JSON, json.dumps(ctime()): the text in double quotes.

spec: 3
fails: answers_question
"""
import asyncio
import json
import time

PORT = 12091


async def clock(reader, writer):
    try:
        await reader.readexactly(25)
        writer.write(json.dumps(time.ctime()).encode())
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(clock, "127.0.0.1", PORT)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
