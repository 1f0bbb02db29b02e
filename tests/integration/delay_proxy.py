"""delay_proxy.py — a loopback TCP relay that holds every chunk for DELAY ms.

    python3 delay_proxy.py LISTEN_PORT TARGET_PORT DELAY_MS

Makes one replica slow in a deterministic way (for the least_rt tests): every
packet in either direction waits DELAY_MS. SIGUSR1 turns the delay off (the
relay still relays), SIGUSR2 back on. Listens on 127.0.0.1 only; stops when
its parent test kills it, or after 10 minutes at the latest.
"""
import asyncio
import signal
import sys

DELAY = {'on': 0.0, 'now': 0.0}


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if DELAY['now']:
                await asyncio.sleep(DELAY['now'])
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
        await asyncio.gather(pipe(cr, sw), pipe(sr, cw))

    DELAY['on'] = DELAY['now'] = delay
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, lambda: DELAY.update(now=0.0))
    loop.add_signal_handler(signal.SIGUSR2, lambda: DELAY.update(now=DELAY['on']))
    server = await asyncio.start_server(handle, '127.0.0.1', listen)
    print('ready', flush=True)
    async with server:
        await asyncio.sleep(600)


if __name__ == '__main__':
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) / 1000.0))
