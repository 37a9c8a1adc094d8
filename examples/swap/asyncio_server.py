"""A correct swap server with asyncio: a waiting client is a Future."""
import asyncio

PORT = 12092
waiting = None  # (line, future for the partner's line)


async def swap(reader, writer):
    global waiting
    try:
        line = await reader.readuntil(b"\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        writer.close()
        return
    if waiting is None:
        partner_line = asyncio.get_running_loop().create_future()
        me = (line, partner_line)
        waiting = me
        hangup = asyncio.ensure_future(reader.read(1))  # b"" when the client hangs up
        await asyncio.wait([partner_line, hangup], return_when=asyncio.FIRST_COMPLETED)
        if not partner_line.done():
            waiting = None  # the client left before it had a partner
            writer.close()
            return
        hangup.cancel()
        writer.write(partner_line.result())
    else:
        (other_line, other_future), waiting = waiting, None
        other_future.set_result(line)
        writer.write(other_line)
    try:
        await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(swap, "127.0.0.1", PORT, limit=1 << 24)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
