"""Loads the user's code the way FC does: `index.handler` is function `handler`
in `/code/index.py`; `src/app.main` is `main` in `/code/src/app.py`. The code
directory (and the handler's own directory, and the layers' `/opt/python`) are
on `sys.path`, so modules shipped next to the handler import normally. Each
instance loads a module once and keeps it, as FC's warm instances do."""

import importlib.util
import os
import sys

from .errors import HandlerNotFound

CODE_DIR = "/code"
LAYER_DIRS = ("/opt/python",)


class Loader:
    def __init__(self):
        self._functions = {}
        self._paths_ready = False

    def function(self, handler: str):
        """The callable a handler string names (cached per instance)."""
        found = self._functions.get(handler)
        if found is not None:
            return found
        module_path, _, name = handler.rpartition(".")
        if not module_path or not name or module_path.startswith("/") or ".." in module_path.split("/"):
            raise HandlerNotFound(
                f"handler {handler!r} must be <file>.<function>, e.g. index.handler"
            )
        module = self._module(module_path, handler)
        found = getattr(module, name, None)
        if not callable(found):
            raise HandlerNotFound(
                f"{module_path}.py has no function {name!r} (handler {handler!r})"
            )
        self._functions[handler] = found
        return found

    def _module(self, module_path: str, handler: str):
        self._prepare_paths()
        file = f"{CODE_DIR}/{module_path}.py"
        if not os.path.isfile(file):
            raise HandlerNotFound(
                f"the handler {handler!r} needs {module_path}.py in the code package, and it is not there"
            )
        directory = os.path.dirname(file)
        if directory not in sys.path:
            sys.path.insert(1, directory)
        name = module_path.replace("/", ".")
        loaded = sys.modules.get(name)
        if loaded is not None and getattr(loaded, "__file__", None) == file:
            return loaded
        spec = importlib.util.spec_from_file_location(name, file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        return module

    def _prepare_paths(self) -> None:
        if self._paths_ready:
            return
        self._paths_ready = True
        extra = [CODE_DIR] + [d for d in LAYER_DIRS if os.path.isdir(d)]
        sys.path[:0] = [d for d in extra if d not in sys.path]
