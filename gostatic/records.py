"""`Record`: the class syntax of ``typing.NamedTuple``, without importing typing at run time.

`gostatic build` runs on every Makefile target, and most of those builds are up to date:
go answers them in 40-70 ms. Importing typing (which imports re) costs about 9 ms of that,
so the modules an up-to-date build loads declare their records with this instead.

Type checkers see ``typing.NamedTuple`` itself, so every field is checked as usual. At run
time a class deriving from `Record` becomes what ``typing.NamedTuple`` would make of it: a
``collections.namedtuple`` with the annotated fields, their defaults, and the class's
methods and properties. tests/test_records.py holds the two to the same behaviour.
"""

from __future__ import annotations

# typing.TYPE_CHECKING would import typing; type checkers honour a local constant too.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:
    from collections import namedtuple

    # What namedtuple itself defines; a class body may not replace these.
    _RESERVED = frozenset(
        {"__new__", "__init__", "__slots__", "__getnewargs__", "__annotations__", "__classcell__"}
    )

    class _RecordMeta(type):
        def __new__(mcs, name, bases, namespace):
            if not bases:  # Record itself
                return super().__new__(mcs, name, bases, namespace)
            fields = list(namespace.get("__annotations__", {}))
            defaults = [namespace[f] for f in fields if f in namespace]
            if any(f not in namespace for f in fields[len(fields) - len(defaults) :]):
                raise TypeError(f"{name}: a field without a default follows one with a default")
            record = namedtuple(name, fields, defaults=defaults, module=namespace["__module__"])
            for key, value in namespace.items():
                if key in _RESERVED or key in fields:
                    continue
                if key.startswith("_") and key in record.__dict__ and not key.startswith("__"):
                    raise AttributeError(f"{name}: cannot overwrite namedtuple's {key}")
                setattr(record, key, value)
            return record

    class Record(metaclass=_RecordMeta):
        """Base of gostatic's immutable records (see the module's docstring)."""


__all__ = ["Record"]
