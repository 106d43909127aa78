#!/usr/bin/python3
"""Prints the instruction mix of the hot loop of each function in an object.

The hot loop is taken to be the innermost loop (a backward branch whose
body holds no other backward branch) with the most multiply instructions
(vpdp*, vpmadd*, vpmul*). Usage: hotloop.py OBJ...
"""
import collections, re, subprocess, sys

MUL = re.compile(r'^(vpdp|vpmadd|vpmul)')

def functions(obj):
    out = subprocess.run(['objdump', '-d', '--no-show-raw-insn', obj],
                         check=True, capture_output=True, text=True).stdout
    name, insns = None, []
    for line in out.splitlines():
        m = re.match(r'^[0-9a-f]+ <(.*)>:$', line)
        if m:
            if name:
                yield name, insns
            name, insns = m.group(1), []
            continue
        m = re.match(r'^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$', line)
        if m and name:
            insns.append((int(m.group(1), 16), m.group(2), m.group(3)))
    if name:
        yield name, insns

def loops(insns):
    for i, (addr, op, args) in enumerate(insns):
        m = re.match(r'^([0-9a-f]+) <', args)
        if op.startswith('j') and m and int(m.group(1), 16) <= addr:
            target = int(m.group(1), 16)
            yield [x for x in insns if target <= x[0] <= addr]

def main():
    for obj in sys.argv[1:]:
        for name, insns in functions(obj):
            inner = []
            for body in loops(insns):
                nested = any(l is not body and l[0][0] >= body[0][0] and
                             l[-1][0] < body[-1][0] for l in loops(insns))
                if not nested:
                    inner.append(body)
            if not inner:
                continue
            body = max(inner, key=lambda b: sum(bool(MUL.match(x[1])) for x in b))
            mix = collections.Counter(x[1] for x in body)
            text = ', '.join(f'{n} {op}' for op, n in mix.most_common())
            print(f'{name}: hot loop of {len(body)} instructions: {text}')

main()
