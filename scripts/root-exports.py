#!/usr/bin/env python3
"""Prints the names pwh-core's crate root exports (`pub use`, `pub mod`, `#[macro_export]`
macros), the hidden ones (`#[doc(hidden)]`) left out; exits 1 when there are more than the
limit given as the first argument (default 22: the handler author's names)."""
import os
import re
import sys

LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pwh-core", "src", "lib.rs")


def main():
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 22
    text = open(LIB, encoding="utf-8").read()
    text = re.sub(r"//[^\n]*", "", text)
    # The hidden module for generated code, and what it re-exports, are not root names.
    text = re.sub(r"#\[doc\(hidden\)\]\s*pub mod __private \{.*?\n\}", "", text, flags=re.S)
    names = []
    hidden = False
    for item in re.finditer(r"#\[doc\(hidden\)\]|pub use ([^;]+);|pub mod (\w+)|macro_rules! (\w+)", text):
        if item.group(0) == "#[doc(hidden)]":
            hidden = True
            continue
        if hidden:
            hidden = False
            continue
        if item.group(1):
            body = item.group(1)
            inner = body[body.index("{") + 1 : body.rindex("}")] if "{" in body else body
            for part in inner.split(","):
                part = part.strip()
                if part:
                    names.append(part.split(" as ")[-1].split("::")[-1].strip())
        elif item.group(2):
            names.append(item.group(2) + " (module)")
        else:
            names.append(item.group(3) + "!")
    # A derive macro and its trait share a name (`FromEvent`): one name.
    names = list(dict.fromkeys(names))
    print(f"{len(names)} names: {', '.join(names)}")
    return 1 if len(names) > limit else 0


if __name__ == "__main__":
    sys.exit(main())
