#!/usr/bin/env python3
"""func_length.py — no C function under src/ longer than 60 lines.

A function's length is counted from the line holding the opening brace of its
body to the line holding the closing one, both included. Long functions are
where the per-packet path grows unreadable (issue #9): one handler per state or
per step, as Suricata's stream-tcp.c and tcpdump's printers do. Like curl's
checksrc, this runs as a test so a long function fails the build's tests.

The parser is deliberately simple: comments, string and character literals and
preprocessor lines are blanked out (newlines kept, so line numbers hold), then
braces are counted; a brace opened at file scope after a closing parenthesis
is a function body, and the name is the identifier before that parameter
list's opening parenthesis.

Functions that may stay long for now are listed in func_length.allow, one
`path:function` per line with a comment on why; an entry that no longer
matches a long function is reported too, so the list only shrinks.

    func_length.py [--root DIR] [--max N] [--allow FILE]
"""
import argparse
import pathlib
import re
import sys

MAX_LINES = 60
IDENT = re.compile(r'[A-Za-z_][A-Za-z0-9_]*$')


def blank(text):
    """text with comments, literals and preprocessor lines replaced by spaces, newlines kept."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c == '#':
            # A preprocessor line, with its backslash continuations.
            j = i
            while j < n and text[j] != '\n':
                if text[j] == '\\' and j + 1 < n and text[j + 1] == '\n':
                    j += 2
                    continue
                j += 1
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
            continue
        if c == '/' and text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
            continue
        if c == '/' and text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
            continue
        if c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r'[^\n]', ' ', text[i + 1:j - 1]) + c)
            i = j
            line_start = False
            continue
        out.append(c)
        if c == '\n':
            line_start = True
        elif not c.isspace():
            line_start = False
        i += 1
    return ''.join(out)


def function_name(head):
    """The name of the function whose definition `head` (text before its body) ends, or None."""
    head = head.rstrip()
    if not head.endswith(')'):
        return None
    # Walk back to the parenthesis that opens the parameter list.
    depth = 0
    for k in range(len(head) - 1, -1, -1):
        if head[k] == ')':
            depth += 1
        elif head[k] == '(':
            depth -= 1
            if depth == 0:
                m = IDENT.search(head[:k].rstrip())
                return m.group(0) if m else None
    return None


def functions(path):
    """(name, first line, last line) of every function body in a C file."""
    text = blank(path.read_text(encoding='utf-8', errors='replace'))
    found = []
    depth = 0
    head_start = 0
    open_at = name = None
    line = 1
    for i, c in enumerate(text):
        if c == '\n':
            line += 1
        elif c == '{':
            if depth == 0:
                name = function_name(text[head_start:i])
                open_at = line
            depth += 1
        elif c == '}':
            depth -= 1
            if depth == 0:
                if name:
                    found.append((name, open_at, line))
                name = None
                head_start = i + 1
        elif c == ';' and depth == 0:
            head_start = i + 1
    return found


def read_allow(path):
    allow = {}
    if path.exists():
        for n, raw in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
            entry = raw.split('#', 1)[0].strip()
            if entry:
                allow[entry] = n
    return allow


def main():
    here = pathlib.Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--root', type=pathlib.Path, default=here.parent.parent,
                    help='project root (src/ is checked under it)')
    ap.add_argument('--max', type=int, default=MAX_LINES)
    ap.add_argument('--allow', type=pathlib.Path, default=here / 'func_length.allow')
    args = ap.parse_args()

    allow = read_allow(args.allow)
    used = set()
    long_ones = []
    for path in sorted(p for p in (args.root / 'src').rglob('*') if p.suffix in ('.c', '.h')):
        rel = path.relative_to(args.root).as_posix()
        for name, first, last in functions(path):
            length = last - first + 1
            if length <= args.max:
                continue
            key = f'{rel}:{name}'
            if key in allow:
                used.add(key)
                print(f'allowed: {rel}:{first}: {name} is {length} lines')
            else:
                long_ones.append(f'{rel}:{first}: {name} is {length} lines (over {args.max})')

    stale = [f'{args.allow.name}:{n}: {key} is not a function over {args.max} lines; '
             'remove it from the list' for key, n in allow.items() if key not in used]
    for msg in long_ones + stale:
        print(msg, file=sys.stderr)
    if long_ones:
        print(f'{len(long_ones)} function(s) over {args.max} lines: split each into one '
              'step or one handler per function', file=sys.stderr)
    if stale:
        print(f'{len(stale)} entr(y/ies) of {args.allow.name} no longer needed: '
              'take them out', file=sys.stderr)
    if long_ones or stale:
        return 1
    print(f'no function under src/ is over {args.max} lines, '
          f'but for the {len(used)} that {args.allow.name} names')
    return 0


if __name__ == '__main__':
    sys.exit(main())
