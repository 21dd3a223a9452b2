"""Re-exports loaded on first use (PEP 562), for packages whose ``__init__`` only re-exports: a
process that needs one corner of a package (a dashboard kernel, a hub service) then does not
import the rest (the roster's spreadsheet reader, the certificates' PDF and font libraries)."""

from __future__ import annotations

from importlib import import_module


def lazy_exports(package: str, exports: dict[str, str]):
    """``__getattr__`` and ``__dir__`` for ``package``, which re-exports each name in ``exports``
    from the submodule given beside it (relative, e.g. ``".banks"``)."""
    namespace = import_module(package).__dict__

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(exports[name], package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
