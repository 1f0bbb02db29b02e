#!/usr/bin/env python3
"""Fail when the include graph of lib/ has a cycle.

Each lib/X.c and lib/X.h is one module X; X depends on Y when X.c or X.h
includes "Y.h" (a project header in lib/).  The graph must be acyclic: the
layers of docs/architecture.md ("Modules and layers").  Prints every strongly
connected component of more than one module (and any module that includes
itself through another name) and exits 1; prints the layers and exits 0
otherwise.
"""
import os
import re
import sys

INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def graph(libdir):
    files = [f for f in os.listdir(libdir) if f.endswith(('.c', '.h'))]
    mods = {os.path.splitext(f)[0] for f in files}
    g = {m: set() for m in mods}
    for f in files:
        m = os.path.splitext(f)[0]
        with open(os.path.join(libdir, f), encoding='utf-8', errors='replace') as fh:
            text = fh.read()
        for inc in INC.findall(text):
            base = os.path.basename(inc)
            if not base.endswith('.h'):
                continue
            d = base[:-2]
            if d in mods and d != m:
                g[m].add(d)
    return g


def sccs(g):
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        # iterative Tarjan
        work = [(v, iter(sorted(g[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(g[w]))))
                    advanced = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def self_test():
    """The checker itself: a cycle through a header and a source file is found,
    an acyclic tree passes."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        files = {'a.h': '#include "b.h"\n', 'b.c': '#include "c.h"\n', 'c.h': '',
                 'c.c': '#include "a.h"\n#include <stdio.h>\n', 'd.c': '#include "a.h"\n'}
        for name, text in files.items():
            with open(os.path.join(d, name), 'w') as fh:
                fh.write(text)
        bad = [c for c in sccs(graph(d)) if len(c) > 1]
        if bad != [['a', 'b', 'c']]:
            print('self-test: expected the cycle a b c, found %r' % bad)
            return 1
        os.remove(os.path.join(d, 'c.c'))
        bad = [c for c in sccs(graph(d)) if len(c) > 1]
        if bad:
            print('self-test: expected no cycle, found %r' % bad)
            return 1
    print('self-test: ok')
    return 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.argv[1:] == ['--self-test']:
        return self_test()
    libdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', 'lib')
    g = graph(libdir)
    bad = [c for c in sccs(g) if len(c) > 1]
    if bad:
        for c in bad:
            print('cycle (%d modules): %s' % (len(c), ' '.join(c)))
            cs = set(c)
            for m in c:
                print('  %s -> %s' % (m, ' '.join(sorted(g[m] & cs))))
        return 1
    level = {}

    def lvl(m):
        if m not in level:
            level[m] = 1 + max((lvl(d) for d in g[m]), default=-1)
        return level[m]

    for m in g:
        lvl(m)
    for n in range(max(level.values()) + 1):
        print('layer %d: %s' % (n, ' '.join(sorted(m for m in g if level[m] == n))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
