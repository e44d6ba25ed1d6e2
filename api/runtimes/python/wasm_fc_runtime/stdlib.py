"""The rest of the standard library, importable at run time.

componentize-py mounts CPython's standard library only while it builds the
component; at run time the directory is gone, so a module that was not
imported at build time could not be imported at all. At build time this
module compiles every standard-library source into a compressed table of code
objects, which lands in the memory image; a finder at the end of `sys.meta_path` then imports
from that table. The user's own modules (on `sys.path`) still take precedence.
"""

import importlib.abc
import importlib.util
import marshal
import os
import sys
import zlib

# Directories that are tests, GUIs or tools rather than libraries.
_SKIP_DIRS = {
    "__pycache__",
    "test",
    "tests",
    "idle_test",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "pydoc_data",
    "site-packages",
}


def _collect(root: str) -> dict:
    table = {}
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in _SKIP_DIRS and d.isidentifier()]
        relative = os.path.relpath(directory, root)
        package = "" if relative == "." else relative.replace(os.sep, ".")
        for file in files:
            if not file.endswith(".py"):
                continue
            stem = file[:-3]
            is_package = stem == "__init__"
            if is_package:
                name = package
            else:
                if not stem.isidentifier():
                    continue
                name = f"{package}.{stem}" if package else stem
            if not name or name in table:
                continue
            path = os.path.join(directory, file)
            try:
                with open(path, "rb") as source:
                    code = compile(source.read(), path, "exec", dont_inherit=True)
            except (SyntaxError, ValueError, OSError):
                continue
            table[name] = (zlib.compress(marshal.dumps(code), 6), is_package, path)
    return table


class _StdlibFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, table: dict):
        self._table = table

    def find_spec(self, fullname, path=None, target=None):
        entry = self._table.get(fullname)
        if entry is None:
            return None
        _, is_package, origin = entry
        spec = importlib.util.spec_from_loader(
            fullname, self, origin=origin, is_package=is_package
        )
        spec.has_location = True
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        compiled, _, _ = self._table[module.__spec__.name]
        exec(marshal.loads(zlib.decompress(compiled)), module.__dict__)


def _stdlib_root() -> str:
    # `os` is frozen and reports a path that does not exist; importlib's is real.
    return os.path.dirname(os.path.dirname(importlib.__file__))


def install() -> int:
    """Builds the table (at build time) and installs the finder; returns the
    number of modules it can serve."""
    table = _collect(_stdlib_root())
    sys.meta_path.append(_StdlibFinder(table))
    return len(table)
