"""The module's constants against include/wescale.h: every WESCALE_ER_* code
and the values of enum wescale_route, wescale_consistency, wescale_log_level.

    python3 check_header.py INCLUDE/wescale.h

Run by the unit tests (no server, no library needed: the module loads
libwescale only when a function is called). Exits 1, naming each difference.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wescale  # noqa: E402

header = open(sys.argv[1]).read()
problems = []

codes = dict(re.findall(r'#define\s+WESCALE_ER_(\w+)\s+(\d+)', header))
if not codes:
    problems.append('no WESCALE_ER_* in %s' % sys.argv[1])
for name, value in codes.items():
    mine = getattr(wescale, 'ER_' + name, None)
    if mine != int(value):
        problems.append('ER_%s: wescale.h has %s, the module %s' % (name, value, mine))
    if 'ER_' + name not in wescale.__all__:
        problems.append('ER_%s is not in __all__' % name)
for name in dir(wescale):
    if name.startswith('ER_') and name[3:] not in codes:
        problems.append('%s is not a WESCALE_ER_* code of wescale.h' % name)

for table, prefix in ((wescale.ROUTES, 'ROUTE'), (wescale.CONSISTENCY_LEVELS, 'CONSISTENCY'),
                      (wescale.LOG_LEVELS, 'LOG')):
    values = {k.lower(): int(v) for k, v in re.findall(r'\bWESCALE_%s_(\w+)\s*=\s*(\d+)' % prefix, header)}
    if values != table:
        problems.append('WESCALE_%s_*: wescale.h has %s, the module %s' % (prefix, values, table))

for p in problems:
    print('FAIL: ' + p)
if problems:
    sys.exit(1)
print('ok: %d error codes and 3 enums agree with wescale.h' % len(codes))
