"""delay_proxy.py — a loopback TCP relay that holds every chunk for DELAY ms.

    python3 delay_proxy.py LISTEN_PORT TARGET_PORT DELAY_MS

Makes one replica slow in a deterministic way (for the least_rt test): every
packet in either direction waits DELAY_MS. Listens on 127.0.0.1 only; stops when
its parent test kills it, or after 10 minutes at the latest.
"""
import asyncio
import sys


async def pipe(reader, writer, delay):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main(listen, target, delay):
    async def handle(cr, cw):
        try:
            sr, sw = await asyncio.open_connection('127.0.0.1', target)
        except OSError:
            cw.close()
            return
        await asyncio.gather(pipe(cr, sw, delay), pipe(sr, cw, delay))

    server = await asyncio.start_server(handle, '127.0.0.1', listen)
    print('ready', flush=True)
    async with server:
        await asyncio.sleep(600)


if __name__ == '__main__':
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) / 1000.0))
