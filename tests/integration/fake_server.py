#!/usr/bin/env python3
"""fake_server.py — a tiny, hostile MySQL-protocol server on a loopback port.

Used by test-robustness.c as the primary and/or a replica of a cluster, to see
what libwescale (and the real client library under it) does with garbage that a
broken, old or malicious server could send. It speaks just enough of the
protocol for libmariadb to connect and run text statements:

  * handshake v10 (mysql_native_password); any user/password is accepted with
    an OK packet;
  * COM_QUERY: a SELECT/SHOW/WITH answers a one-row result set (the monitor's
    "SELECT @@read_only, @@GLOBAL.gtid_…" and "SHOW SLAVE STATUS" get sensible
    columns; "SELECT @@server_id" the --server-id; any other read a column `v`
    holding "fake:PORT"); a multi-statement that starts with a GTID wait
    (MASTER_GTID_WAIT / WAIT_FOR_EXECUTED_GTID_SET) answers "0" and then the
    rest; everything else answers an OK packet whose session-state-tracking
    data is the --mode's garbage;
  * COM_INIT_DB, COM_PING, COM_RESET_CONNECTION, COM_SET_OPTION,
    COM_CHANGE_USER: OK; COM_QUIT: close; anything else: an ERR packet.

Modes (the session-tracking data in every OK packet that answers a COM_QUERY):
  clean           last_gtid "0-<server_id>-<n>" (MariaDB) / gtids "<uuid>:1-<n>" (MySQL)
  huge-seq        a GTID "0-1-" followed by 4 MiB of digits
  huge-list       4 MiB of "0-1-<n>," (one domain, repeated)
  many-domains    10000 domains "<d>-1-1,…"
  bad-seq         "0-1-x"
  bad-uuid        "3e11fa47-71ca-11e1-9e33-c80aa9429562:0-5" (interval from 0)
  overflow        "4294967296-1-99999999999999999999999" (domain and seq overflow)
  nul-in-gtid     "0-1-5\\0-2-7" (an embedded NUL)
  empty-gtid      "" (an empty last_gtid)
  truncated-lenenc the last_gtid value's length says 200 bytes, 12 are there
  overlong-block  the session-state block's length says 60000 bytes, ~40 are there
  unknown-type    a session-track item of unknown type 200 with 1 MiB of data
  huge-schema     SESSION_TRACK_SCHEMA with a 1 MiB schema name
  inject-name     a tracked variable whose NAME contains a backquote and SQL
  inject-value    sql_mode=NO_BACKSLASH_ESCAPES (first write), then (later
                  writes) default_master_connection = a value with a quote
                  and SQL after it

Hostile reply shapes (for test-guard.c):
  --monitor-reply one-column|no-row|null-read-only
                  the monitor's "SELECT @@read_only, @@GLOBAL.gtid_…" gets one
                  column, no row, or a NULL @@read_only
  --wait-reply fewer|more
                  a text holding a GTID wait gets only the wait's result (the
                  read's result never comes), or one more result set than sent

  fake_server.py [--port N] [--flavor mariadb|mysql] [--mode MODE]
                 [--read-only 0|1] [--gtid-pos TEXT|@huge] [--server-id N]
                 [--vanish-after-rows N] [--log FILE]
                 [--monitor-reply SHAPE] [--wait-reply SHAPE]

Prints "PORT <n>" on stdout once listening (port 0 = the kernel chooses), then
serves until killed (SIGTERM) or its parent process exits. Listens on
127.0.0.1 only.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

# Capability flags.
CLIENT_LONG_PASSWORD = 1
CLIENT_FOUND_ROWS = 2
CLIENT_LONG_FLAG = 4
CLIENT_CONNECT_WITH_DB = 8
CLIENT_PROTOCOL_41 = 0x200
CLIENT_TRANSACTIONS = 0x2000
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_MULTI_STATEMENTS = 0x10000
CLIENT_MULTI_RESULTS = 0x20000
CLIENT_PS_MULTI_RESULTS = 0x40000
CLIENT_PLUGIN_AUTH = 0x80000
CLIENT_CONNECT_ATTRS = 0x100000
CLIENT_PLUGIN_AUTH_LENENC = 0x200000
CLIENT_SESSION_TRACK = 0x800000

SERVER_CAPS = (CLIENT_LONG_PASSWORD | CLIENT_FOUND_ROWS | CLIENT_LONG_FLAG | CLIENT_CONNECT_WITH_DB |
               CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION |
               CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS | CLIENT_PS_MULTI_RESULTS |
               CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS | CLIENT_PLUGIN_AUTH_LENENC |
               CLIENT_SESSION_TRACK)

SERVER_STATUS_AUTOCOMMIT = 0x0002
SERVER_MORE_RESULTS_EXIST = 0x0008
SERVER_SESSION_STATE_CHANGED = 0x4000

TRACK_SYSVARS, TRACK_SCHEMA, TRACK_STATE, TRACK_GTIDS = 0, 1, 2, 3

# The injected SQL takes a named lock ('wescale_injected', written as a hex
# literal so that it needs no quotes): the test sees it with IS_USED_LOCK().
INJECTED_LOCK = "0x" + b"wescale_injected".hex()
UUID = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
MODES = ("clean", "huge-seq", "huge-list", "many-domains", "bad-seq", "bad-uuid", "overflow",
         "nul-in-gtid", "empty-gtid", "truncated-lenenc", "overlong-block", "unknown-type",
         "huge-schema", "inject-name", "inject-value")


def lenenc_int(n):
    if n < 251:
        return bytes([n])
    if n < 1 << 16:
        return b"\xfc" + struct.pack("<H", n)
    if n < 1 << 24:
        return b"\xfd" + struct.pack("<I", n)[:3]
    return b"\xfe" + struct.pack("<Q", n)


def lenenc_str(b):
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogateescape")
    return lenenc_int(len(b)) + b


def track_item(kind, data):
    return lenenc_int(kind) + lenenc_str(data)


def sysvar_item(name, value):
    return track_item(TRACK_SYSVARS, lenenc_str(name) + lenenc_str(value))


class Conn:
    def __init__(self, server, sock):
        self.srv = server
        self.sock = sock
        self.seq = 0
        self.writes = 0

    # ---- packets ----
    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def read_packet(self):
        payload = b""
        while True:
            hdr = self.recv_exact(4)
            n = hdr[0] | hdr[1] << 8 | hdr[2] << 16
            self.seq = (hdr[3] + 1) & 0xff
            payload += self.recv_exact(n)
            if n < 0xffffff:
                return payload

    def send(self, payload):
        # Payloads of 16 MiB and more are split as the protocol says.
        out = []
        while True:
            chunk = payload[:0xffffff]
            payload = payload[0xffffff:]
            out.append(struct.pack("<I", len(chunk))[:3] + bytes([self.seq]) + chunk)
            self.seq = (self.seq + 1) & 0xff
            if len(chunk) < 0xffffff:
                break
        self.sock.sendall(b"".join(out))

    def ok(self, status=SERVER_STATUS_AUTOCOMMIT, track=None, affected=0):
        p = b"\x00" + lenenc_int(affected) + lenenc_int(0)
        if track is not None:
            status |= SERVER_SESSION_STATE_CHANGED
        p += struct.pack("<HH", status, 0)
        if track is not None:
            p += lenenc_str(b"")           # info
            p += track
        self.send(p)

    def err(self, code, msg, state="HY000"):
        self.send(b"\xff" + struct.pack("<H", code) + b"#" + state.encode() + msg.encode())

    def eof(self, status=SERVER_STATUS_AUTOCOMMIT):
        self.send(b"\xfe" + struct.pack("<HH", 0, status))

    def column(self, name):
        name = name.encode()
        p = lenenc_str(b"def") + lenenc_str(b"") + lenenc_str(b"") + lenenc_str(b"")
        p += lenenc_str(name) + lenenc_str(name) + b"\x0c"
        p += struct.pack("<HIBHB", 45, 1024, 253, 0, 0) + b"\x00\x00"  # utf8mb4, VAR_STRING
        self.send(p)

    def resultset(self, names, rows, more=False, vanish_after=None):
        self.send(lenenc_int(len(names)))
        for n in names:
            self.column(n)
        self.eof()
        for i, r in enumerate(rows):
            if vanish_after is not None and i == vanish_after:
                # Mid-result: the server goes away without a word.
                self.sock.shutdown(socket.SHUT_RDWR)
                raise EOFError
            self.send(b"".join(b"\xfb" if v is None else lenenc_str(v) for v in r))
        self.eof(SERVER_STATUS_AUTOCOMMIT | (SERVER_MORE_RESULTS_EXIST if more else 0))

    # ---- the garbage ----
    def gtid_item(self, text):
        if isinstance(text, str):
            text = text.encode("utf-8", "surrogateescape")
        if self.srv.args.flavor == "mysql":
            # SESSION_TRACK_GTIDS: encoding specification 0, then the set.
            return track_item(TRACK_GTIDS, b"\x00" + lenenc_str(text))
        return sysvar_item("last_gtid", text)

    def track_data(self):
        a = self.srv.args
        mode = a.mode
        self.writes += 1
        n = self.writes
        if mode == "clean":
            text = (f"{UUID}:1-{n}" if a.flavor == "mysql" else f"0-{a.server_id}-{n}")
            return lenenc_str(self.gtid_item(text))
        if mode == "huge-seq":
            return lenenc_str(self.gtid_item("0-1-" + "9" * (4 << 20)))
        if mode == "huge-list":
            parts, size, i = [], 0, 1
            while size < 4 << 20:
                s = f"0-1-{i}"
                parts.append(s)
                size += len(s) + 1
                i += 1
            return lenenc_str(self.gtid_item(",".join(parts)))
        if mode == "many-domains":
            return lenenc_str(self.gtid_item(",".join(f"{d}-1-1" for d in range(10000))))
        if mode == "bad-seq":
            return lenenc_str(self.gtid_item("0-1-x"))
        if mode == "bad-uuid":
            return lenenc_str(self.gtid_item(f"{UUID}:0-5"))
        if mode == "overflow":
            return lenenc_str(self.gtid_item("4294967296-1-99999999999999999999999"))
        if mode == "nul-in-gtid":
            return lenenc_str(self.gtid_item(b"0-1-5\x000-2-7"))
        if mode == "empty-gtid":
            return lenenc_str(self.gtid_item(b""))
        if mode == "truncated-lenenc":
            # name "last_gtid", then a value whose length (200, as 0xfc + 2
            # bytes) runs 188 bytes past the end of the packet. The block and
            # item lengths are what a parser that trusts the value length
            # consumes, so it stops after this item.
            value = b"\xfc" + struct.pack("<H", 200) + b"0-1-12345678"
            data = lenenc_str("last_gtid") + value
            item_len_claimed = len(lenenc_str("last_gtid")) + 3 + 200
            item = lenenc_int(TRACK_SYSVARS) + lenenc_int(item_len_claimed) + data
            block_claimed = 1 + len(lenenc_int(item_len_claimed)) + item_len_claimed
            return lenenc_int(block_claimed) + item
        if mode == "overlong-block":
            items = self.gtid_item("0-1-%d" % n) + track_item(TRACK_SCHEMA, lenenc_str("wstest"))
            return lenenc_int(60000) + items
        if mode == "unknown-type":
            return lenenc_str(track_item(200, b"\xff" * (1 << 20)) + self.gtid_item("0-1-%d" % n))
        if mode == "huge-schema":
            return lenenc_str(track_item(TRACK_SCHEMA, lenenc_str("s" * (1 << 20))))
        if mode == "inject-name":
            name = "autocommit`=1; DO GET_LOCK(%s, 0); SET @`x" % INJECTED_LOCK
            return lenenc_str(sysvar_item(name, "1") + sysvar_item("time_zone", "+00:00"))
        if mode == "inject-value":
            # First NO_BACKSLASH_ESCAPES (the connect-time SET and the first
            # write), then, once a replica has that sql_mode, a value with a
            # quote: escaped with a backslash, it ends the string there.
            if n <= 2:
                return lenenc_str(sysvar_item("sql_mode", "NO_BACKSLASH_ESCAPES"))
            return lenenc_str(sysvar_item("default_master_connection",
                                          "x' ; DO GET_LOCK(%s, 0); -- " % INJECTED_LOCK))
        raise ValueError(mode)

    # ---- commands ----
    def handshake(self):
        a = self.srv.args
        version = "5.5.5-10.11.99-MariaDB-fake" if a.flavor == "mariadb" else "8.0.36-fake"
        scramble = os.urandom(20).replace(b"\x00", b"\x01")
        p = b"\x0a" + version.encode() + b"\x00"
        p += struct.pack("<I", threading.get_ident() & 0x7fffffff)
        p += scramble[:8] + b"\x00"
        p += struct.pack("<H", SERVER_CAPS & 0xffff)
        p += bytes([45]) + struct.pack("<H", SERVER_STATUS_AUTOCOMMIT)
        p += struct.pack("<H", SERVER_CAPS >> 16)
        p += bytes([21]) + b"\x00" * 10
        p += scramble[8:] + b"\x00"
        p += b"mysql_native_password\x00"
        self.seq = 0
        self.send(p)
        self.read_packet()           # HandshakeResponse41: anything goes
        self.ok()

    def log(self, text):
        if self.srv.logf:
            with self.srv.log_lock:
                self.srv.logf.write(text.replace("\n", " ")[:300] + "\n")
                self.srv.logf.flush()

    def answer_query(self, q, more=False):
        a = self.srv.args
        lq = q.lstrip().lower()
        while lq.startswith("/*"):
            end = lq.find("*/")
            if end < 0:
                break
            lq = lq[end + 2:].lstrip()
        if "@@read_only" in lq:
            pos = a.gtid_pos
            if pos == "@huge":
                pos = "0-1-" + "9" * (4 << 20)
            if a.monitor_reply == "one-column":
                self.resultset(["@@read_only"], [[str(a.read_only)]], more)
            elif a.monitor_reply == "no-row":
                self.resultset(["@@read_only", "gtid"], [], more)
            elif a.monitor_reply == "null-read-only":
                self.resultset(["@@read_only", "gtid"], [[None, pos]], more)
            else:
                self.resultset(["@@read_only", "gtid"], [[str(a.read_only), pos]], more)
        elif lq.startswith("show slave status"):
            self.resultset(["Seconds_Behind_Master"], [["0"]] if a.read_only else [], more)
        elif lq.startswith("select @@server_id"):
            self.resultset(["@@server_id"], [[str(a.server_id)]], more)
        elif lq.startswith("select @wescale_injected"):
            self.resultset(["v"], [[None]], more)
        elif lq.startswith(("select", "show", "with", "(")):
            rows = [[f"fake:{self.srv.port}"]]
            if a.vanish_after_rows is not None:
                rows = [[f"row {i}"] for i in range(a.vanish_after_rows + 100000)]
            self.resultset(["v"], rows, more, a.vanish_after_rows)
        else:
            self.ok(SERVER_STATUS_AUTOCOMMIT | (SERVER_MORE_RESULTS_EXIST if more else 0),
                    self.track_data())

    def serve(self):
        a = self.srv.args
        self.handshake()
        while True:
            p = self.read_packet()
            if not p:
                continue
            cmd, body = p[0], p[1:]
            if cmd == 0x01:                   # COM_QUIT
                return
            if cmd == 0x03:                   # COM_QUERY
                q = body.decode("utf-8", "replace")
                self.log(q)
                lq = q.lower()
                waits = "master_gtid_wait" in lq or "wait_for_executed_gtid_set" in lq
                if waits and a.wait_reply == "fewer":
                    # Only the wait's result, whatever else the text holds.
                    self.resultset(["w"], [["0"]])
                    continue
                extra = waits and a.wait_reply == "more"
                if waits and ";" in q:
                    self.resultset(["w"], [["0"]], more=True)
                    q = q[q.index(";") + 1:]
                    self.answer_query(q, more=extra)
                elif waits:
                    self.resultset(["w"], [["0"]], more=extra)
                else:
                    self.answer_query(q)
                if extra:
                    self.resultset(["extra"], [["extra"]])
            elif cmd == 0x02:                 # COM_INIT_DB
                self.log("USE " + body.decode("utf-8", "replace"))
                self.ok()
            elif cmd in (0x0e, 0x1f, 0x11):   # PING, RESET_CONNECTION, CHANGE_USER
                self.ok()
            elif cmd == 0x1b:                 # COM_SET_OPTION
                self.eof()
            else:
                self.err(1047, "fake_server: command %d not supported" % cmd, "08S01")


class Server:
    def __init__(self, args):
        self.args = args
        self.logf = open(args.log, "a") if args.log else None
        self.log_lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", args.port))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    def run(self):
        while True:
            s, _ = self.sock.accept()
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self.handle, args=(s,), daemon=True).start()

    def handle(self, s):
        try:
            Conn(self, s).serve()
        except (EOFError, ConnectionError, OSError):
            pass
        finally:
            try:
                s.close()
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--flavor", choices=("mariadb", "mysql"), default="mariadb")
    ap.add_argument("--mode", choices=MODES, default="clean")
    ap.add_argument("--read-only", type=int, choices=(0, 1), default=0)
    ap.add_argument("--gtid-pos", default="")
    ap.add_argument("--server-id", type=int, default=101)
    ap.add_argument("--vanish-after-rows", type=int, default=None)
    ap.add_argument("--log", default=None)
    ap.add_argument("--monitor-reply", choices=("normal", "one-column", "no-row", "null-read-only"),
                    default="normal")
    ap.add_argument("--wait-reply", choices=("normal", "fewer", "more"), default="normal")
    args = ap.parse_args()
    srv = Server(args)
    # A test that dies leaves no server behind: exit when the parent is gone.
    parent = os.getppid()

    def watchdog():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    print("PORT %d" % srv.port, flush=True)
    try:
        srv.run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
