#!/usr/bin/env python3
"""Prints the import cycles between pwh-core's top-level modules; exits 1 if there is one.

A module is a file or directory directly under pwh-core/src (lib.rs, which re-exports, and
the `testing` feature's module, which sits on top of everything, are left out). A module
depends on another when its code names `crate::<other>::...` (in a `use` or a path),
comments and `#[cfg(test)]` test modules aside (tests may reach anywhere).
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pwh-core", "src")
LEFT_OUT = {"lib", "testing"}


def module_files():
    for entry in sorted(os.listdir(ROOT)):
        path = os.path.join(ROOT, entry)
        if entry.endswith(".rs"):
            yield entry[:-3], [path]
        elif os.path.isdir(path):
            files = []
            for dirpath, _, names in os.walk(path):
                files += [os.path.join(dirpath, n) for n in names if n.endswith(".rs")]
            yield entry, sorted(files)


def code_of(path):
    text = open(path, encoding="utf-8").read()
    # Test modules may name anything: cut from `#[cfg(test)]` on.
    text = text.split("#[cfg(test)]")[0]
    text = re.sub(r"//[^\n]*", "", text)
    return text


def main():
    modules = dict(module_files())
    names = set(modules) - LEFT_OUT
    deps = {m: set() for m in names}
    for module in names:
        for path in modules[module]:
            code = code_of(path)
            for used in re.findall(r"crate::([a-z_][a-z0-9_]*)", code):
                if used in names and used != module:
                    deps[module].add(used)
            # `use crate::{a::X, b::Y}`
            for group in re.findall(r"use crate::\{([^}]*)\}", code):
                for used in re.findall(r"(?:^|,)\s*([a-z_][a-z0-9_]*)::", group):
                    if used in names and used != module:
                        deps[module].add(used)
    # Strongly connected components (Tarjan).
    index, low, stack, on, sccs = {}, {}, [], set(), []

    def visit(v, counter=[0]):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(deps[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            sccs.append(sorted(scc))

    for v in sorted(names):
        if v not in index:
            visit(v)
    cycles = [scc for scc in sccs if len(scc) > 1]
    for scc in cycles:
        edges = [f"{a} -> {b}" for a in scc for b in sorted(deps[a]) if b in scc]
        print("import cycle among pwh-core modules: " + ", ".join(scc))
        print("  " + "; ".join(edges))
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
