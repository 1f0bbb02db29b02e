#!/usr/bin/env python3
"""Generate the linker version script from api.def.

The real libmariadb.so.3 exports each libmysqlclient_18 call twice: as the
default version (name@@libmysqlclient_18) and as an older alias
(name@libmariadbclient_18). compat.c provides the aliases; this script only has
to declare the nodes and put every exported name in its node.
"""
import re
import sys

NODES = ['libmysqlclient_18', 'libmariadb_3', 'libmariadb_3_3_5']

def main(src, dst):
    names = {n: [] for n in NODES}
    pat = re.compile(r'^WS_API(?:_VOID)?\((\w+),.*\b(\w+)\)\s*$')
    name_pat = re.compile(r'^WS_API\(\w+, [^,]+, (\w+),|^WS_API_VOID\(\w+, (\w+),')
    for line in open(src):
        if not line.startswith('WS_API'):
            continue
        node = pat.match(line.strip()).group(2)
        m = name_pat.match(line)
        names[node].append(m.group(1) or m.group(2))
    out = []
    out.append('/* Generated from api.def by gen-map.py. Do not edit. */')
    out.append('libmysqlclient_18 {\n  global:')
    out += ['    %s;' % n for n in names['libmysqlclient_18']]
    out.append('  local:\n    *;\n};')
    out.append('libmariadbclient_18 {\n} libmysqlclient_18;')
    out.append('libmariadb_3 {\n  global:')
    out += ['    %s;' % n for n in names['libmariadb_3']]
    out.append('} libmysqlclient_18;')
    out.append('libmariadb_3_3_5 {\n  global:')
    out += ['    %s;' % n for n in names['libmariadb_3_3_5']]
    out.append('} libmariadb_3;')
    out.append('WESCALE_0 {\n  global:\n    wescale_*;\n} libmariadb_3_3_5;')
    with open(dst, 'w') as f:
        f.write('\n'.join(out) + '\n')

if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
