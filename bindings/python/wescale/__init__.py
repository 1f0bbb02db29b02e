"""libwescale's extension API for Python's MySQLdb (mysqlclient) connections.

libwescale splits the reads and writes of MySQL C API programs over a
replication topology. Python's MySQLdb is such a program: run it with the
library preloaded and its connections to a configured cluster are split, with
no change to the code::

    WESCALE_CONFIG=/etc/wescale.conf LD_PRELOAD=libwescale.so.0 python3 app.py

This module, a thin ctypes layer over the C functions of <wescale.h>, adds what
the MySQL API has no words for::

    import MySQLdb, wescale
    conn = MySQLdb.connect(host='db1.internal', user='app', passwd='...', db='shop', autocommit=True)
    wescale.route_next(conn, 'primary')        # the next statement runs on the primary
    wescale.set_consistency(conn, 'eventual')  # reads of this connection: any replica
    wescale.last_backend(conn)                 # 'db2.internal:3306': who ran the last statement
    wescale.last_route(conn)                   # 'replica db2.internal:3306: read': where and why
    token = wescale.consistency_token(conn)    # '0-1-4711': what conn committed (hand it on)
    wescale.require_token(other_conn, token)   # other_conn's reads now see it
    wescale.stats()                            # counters of every cluster and node, as a dict

The library is found, in this order: the copy already in the process (preloaded,
or linked into the interpreter); the path in WESCALE_LIBRARY; the system's
libwescale (ctypes.util.find_library). A library loaded here by path is loaded
with RTLD_GLOBAL, so that modules imported *after* this one bind to it: without
LD_PRELOAD, ``import wescale`` before ``import MySQLdb`` (with WESCALE_LIBRARY
set) also puts MySQLdb's connections through libwescale (glibc). Preloading is
the dependable way.

A connection is used by one thread at a time, as in MySQLdb itself. Functions
that take a connection accept a MySQLdb connection (anything with
``_get_native_connection()``, which gives the ``MYSQL*`` in a PyCapsule) or the
address of a ``MYSQL`` handle as an int.
"""

import ctypes
import ctypes.util
import json
import os
import sys
import warnings

__all__ = [
    'Error', 'version', 'route_next', 'set_consistency', 'assume_write_transactions', 'last_backend',
    'last_route', 'stats', 'reload_config',
    'set_primary', 'set_log_level', 'consistency_token', 'require_token', 'ROUTES', 'CONSISTENCY_LEVELS', 'LOG_LEVELS',
    'ER_CONFIG', 'ER_NO_LIBRARY', 'ER_NO_PRIMARY', 'ER_WRITE_UNKNOWN', 'ER_TRX_LOST', 'ER_RULE_FAIL',
    'ER_RULE_LIMIT', 'ER_BAD_ARGUMENT', 'ER_NO_REPLICA', 'ER_FORKED', 'ER_BAD_TOKEN', 'TOKEN_MAX',
]

# enum wescale_route, enum wescale_consistency, enum wescale_log_level (wescale.h).
ROUTES = {'auto': 0, 'primary': 1, 'replica': 2}
CONSISTENCY_LEVELS = {'eventual': 0, 'session': 1, 'instance': 2, 'global': 3, 'primary': 4}
LOG_LEVELS = {'error': 0, 'warn': 1, 'info': 2, 'debug': 3}

# Error codes of libwescale (WESCALE_ER_* in wescale.h; check_header.py, run by
# the unit tests, fails when the two differ). MySQLdb raises its own exceptions
# with these numbers for statements (e.args[0]); the functions here raise
# wescale.Error.
ER_CONFIG = 2900
ER_NO_LIBRARY = 2901
ER_NO_PRIMARY = 2902
ER_WRITE_UNKNOWN = 2903
ER_TRX_LOST = 2904
ER_RULE_FAIL = 2905
ER_RULE_LIMIT = 2906
ER_BAD_ARGUMENT = 2907
ER_NO_REPLICA = 2908
ER_FORKED = 2909
ER_BAD_TOKEN = 2910
TOKEN_MAX = 4096  # WESCALE_TOKEN_MAX: a buffer of this size holds any token
_CR_OUT_OF_MEMORY = 2008

_MESSAGES = {
    ER_CONFIG: 'the configuration is invalid, or there is none (see the log)',
    ER_BAD_ARGUMENT: 'invalid argument, or a connection that is not to a configured cluster',
    ER_BAD_TOKEN: 'the token is not a GTID set of the cluster\'s flavour (MariaDB domain-server-seq,..., '
                  'MySQL uuid:1-N,...), has too many sources, or the connection lost track of its writes; '
                  'nothing changed',
    _CR_OUT_OF_MEMORY: 'out of memory',
}


class Error(Exception):
    """A libwescale call failed. ``errno`` is the WESCALE_ER_* code; like
    MySQLdb's exceptions, ``args`` is ``(errno, message)``."""

    def __init__(self, errno, message):
        super().__init__(errno, message)
        self.errno = errno

    def __str__(self):
        return '(%d, %r)' % self.args


_lib = None


def _in_process():
    """libwescale when it is already in the process (LD_PRELOAD, or linked)."""
    try:
        lib = ctypes.CDLL(None)
    except OSError:
        return None
    return lib if hasattr(lib, 'wescale_version') else None


def _load():
    global _lib
    if _lib is not None:
        return _lib
    lib = _in_process()
    if lib is None:
        path = os.environ.get('WESCALE_LIBRARY') or ctypes.util.find_library('wescale')
        if not path:
            raise OSError('libwescale not found: preload it (LD_PRELOAD=libwescale.so.0), '
                          'or set WESCALE_LIBRARY to its path')
        if 'MySQLdb._mysql' in sys.modules:
            warnings.warn('libwescale loaded after MySQLdb: MySQLdb connections made through the real '
                          'client library are not managed (preload libwescale, or import wescale first)',
                          RuntimeWarning, stacklevel=3)
        lib = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    lib.wescale_version.restype = ctypes.c_char_p
    lib.wescale_version.argtypes = []
    lib.wescale_route_next.restype = ctypes.c_int
    lib.wescale_route_next.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.wescale_set_consistency.restype = ctypes.c_int
    lib.wescale_set_consistency.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.wescale_assume_write_transactions.restype = ctypes.c_int
    lib.wescale_assume_write_transactions.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.wescale_last_backend.restype = ctypes.c_int
    lib.wescale_last_backend.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.wescale_last_route.restype = ctypes.c_int
    lib.wescale_last_route.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.wescale_stats_json.restype = ctypes.c_size_t
    lib.wescale_stats_json.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.wescale_reload_config.restype = ctypes.c_int
    lib.wescale_reload_config.argtypes = []
    lib.wescale_set_primary.restype = ctypes.c_int
    lib.wescale_set_primary.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    lib.wescale_consistency_token.restype = ctypes.c_int
    lib.wescale_consistency_token.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.wescale_require_token.restype = ctypes.c_int
    lib.wescale_require_token.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.wescale_set_log_level.restype = None
    lib.wescale_set_log_level.argtypes = [ctypes.c_int]
    _lib = lib
    return lib


_capsule_name = ctypes.pythonapi.PyCapsule_GetName
_capsule_name.restype = ctypes.c_void_p
_capsule_name.argtypes = [ctypes.py_object]
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_void_p]


def _handle(conn):
    """The MYSQL* of a MySQLdb connection (or an int taken as one)."""
    if isinstance(conn, int) and not isinstance(conn, bool):
        if conn <= 0:
            raise ValueError('not a MYSQL handle address: %r' % conn)
        return conn
    get = getattr(conn, '_get_native_connection', None)
    if get is None:
        raise TypeError('expected a MySQLdb connection, got %s' % type(conn).__name__)
    capsule = get()  # MySQLdb raises its own error when the connection is closed
    # mysqlclient names it "_mysql.connection.native_connection"; ask the
    # capsule for its name rather than hard-coding it.
    ptr = _capsule_pointer(capsule, _capsule_name(capsule))
    if not ptr:
        raise TypeError('the connection gave no MYSQL handle')
    return ptr


def _check(rc, function):
    if rc:
        raise Error(rc, 'wescale_%s: %s' % (function, _MESSAGES.get(rc, 'error %d' % rc)))


def _lookup(table, name, what):
    if not isinstance(name, str) or name.lower() not in table:
        raise ValueError('unknown %s %r: expected one of %s' % (what, name, ', '.join(table)))
    return table[name.lower()]


def version():
    """The library version, "MAJOR.MINOR.PATCH"."""
    return _load().wescale_version().decode()


def route_next(conn, route):
    """Run the next statement of conn on 'primary' or a 'replica' (still subject
    to the consistency level), overriding the classifier once; 'auto' cancels.
    Raises ValueError for another name, wescale.Error (ER_BAD_ARGUMENT) for a
    connection that is not to a configured cluster."""
    n = _lookup(ROUTES, route, 'route')
    _check(_load().wescale_route_next(_handle(conn), n), 'route_next')


def set_consistency(conn, level):
    """Set conn's read-after-write consistency level for every following
    statement: 'eventual', 'session', 'instance', 'global' or 'primary'."""
    n = _lookup(CONSISTENCY_LEVELS, level, 'consistency level')
    _check(_load().wescale_set_consistency(_handle(conn), n), 'set_consistency')


def assume_write_transactions(conn, mode):
    """Whether conn's transactions start on the primary (True) or may start on a
    replica (False); None: as the cluster's assume_write_transactions says
    (wescale_assume_write_transactions(3))."""
    if mode is not None and not isinstance(mode, bool):
        raise ValueError('expected True, False or None, got %r' % (mode,))
    n = -1 if mode is None else int(mode)
    _check(_load().wescale_assume_write_transactions(_handle(conn), n), 'assume_write_transactions')


def last_backend(conn):
    """'host:port' (or the socket path) of the node that ran conn's last statement."""
    buf = ctypes.create_string_buffer(512)
    _check(_load().wescale_last_backend(_handle(conn), buf, len(buf)), 'last_backend')
    return buf.value.decode()


def last_route(conn):
    """Where conn's last statement ran and why, e.g. 'replica 127.0.0.1:3307: read'
    or 'primary: temporary table' (wescale_last_route(3); wording may change)."""
    buf = ctypes.create_string_buffer(512)
    _check(_load().wescale_last_route(_handle(conn), buf, len(buf)), 'last_route')
    return buf.value.decode()


def stats():
    """The process's statistics (wescale_stats_json(3)) as a dict: version,
    pid, config, and per cluster its nodes and counters."""
    lib = _load()
    size = 4096
    while True:
        buf = ctypes.create_string_buffer(size)
        n = lib.wescale_stats_json(buf, size)
        if n < size:
            return json.loads(buf.value.decode())
        size = n + 1  # snprintf semantics: n is the length it needs


def reload_config():
    """Re-read the configuration file and apply its [rule] sections
    (wescale_reload_config(3)); wescale.Error (ER_CONFIG) on any problem."""
    _check(_load().wescale_reload_config(), 'reload_config')


def set_primary(cluster, host_port):
    """For an external orchestrator: the member 'host:port' (as written in the
    configuration) of the cluster named `cluster` is its primary now; None hands
    the decision back to the monitor's read_only discovery
    (wescale_set_primary(3)). wescale.Error (ER_BAD_ARGUMENT) when there is no
    such cluster or member."""
    if not isinstance(cluster, str) or not (host_port is None or isinstance(host_port, str)):
        raise TypeError('set_primary(cluster: str, host_port: str or None)')
    _check(_load().wescale_set_primary(cluster.encode(), None if host_port is None else host_port.encode()),
           'set_primary')


def set_log_level(level):
    """'error', 'warn', 'info' or 'debug', for the whole process."""
    _load().wescale_set_log_level(_lookup(LOG_LEVELS, level, 'log level'))


def consistency_token(conn):
    """What conn has committed (at consistency 'instance' or stronger: what this
    process has), as a short printable GTID set in the server's own syntax; ''
    when nothing. Hand it to another connection, process or host (a cookie) and
    pass it to require_token() there (wescale_consistency_token(3))."""
    buf = ctypes.create_string_buffer(TOKEN_MAX)
    _check(_load().wescale_consistency_token(_handle(conn), buf, len(buf)), 'consistency_token')
    return buf.value.decode()


def require_token(conn, token):
    """Make every following read of conn see at least what `token` names: it
    waits for it like for conn's own writes (wescale_require_token(3)).
    wescale.Error (ER_BAD_TOKEN) for a malformed token, which changes nothing."""
    if not isinstance(token, str):
        raise TypeError('require_token(conn, token: str)')
    try:
        raw = token.encode('ascii')
    except UnicodeEncodeError:
        raise Error(ER_BAD_TOKEN, 'wescale_require_token: a token is ASCII: %s' % _MESSAGES[ER_BAD_TOKEN])
    if b'\0' in raw:
        raise Error(ER_BAD_TOKEN, 'wescale_require_token: NUL in the token')
    _check(_load().wescale_require_token(_handle(conn), raw), 'require_token')
