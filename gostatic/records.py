"""`Record` and `TYPE_CHECKING`: typing's ``NamedTuple`` and ``TYPE_CHECKING`` without
importing typing at run time. Every gostatic module takes both from here.

Why: `gostatic build` runs on every Makefile target, and most of those builds are up to
date: go answers them in 40-70 ms, and whatever gostatic imports on the way adds to that.
This is the one place the cost of each import kept off that path is stated. Measured with
``python -S -X importtime -c "import M"`` (cumulative, so with what M imports in turn; the
least of 41 runs; Python 3.11 on the project's shared 2-core machine), in ms:

    re 6 · typing 10 (it imports re) · collections 2 · json 8 (2 once re is loaded)
    dataclasses 15 (it imports inspect) · subprocess 12 · tempfile 11 · shutil 9
    pathlib 10 · threading 4 · signal 5 (it imports enum, 4) · contextlib 4 · hashlib 3
    tomllib 14 · tomli-w 4 · platformdirs 18 · filelock 40 · pyelftools 41 (elftools.elf.elffile)

A cold build loads pathlib (and with it re and enum) anyway, yet subprocess and shutil
still add ~5 ms there (measured the same way, after pathlib, threading and json): the
modules only rare paths need are imported on those paths, and tests/test_coldimports.py
holds a cold build to that. docs/performance.md has the benchmark's own import rows.

``TYPE_CHECKING`` is a constant of this module, not typing's: mypy (and other checkers)
treat a constant of that name as true whichever module it is imported from.

Type checkers see ``typing.NamedTuple`` itself, so every field is checked as usual. At run
time a class deriving from `Record` is what ``typing.NamedTuple`` would make of it: a tuple
subclass whose annotated fields are read-only properties, with their defaults, the class's
own methods and properties, and namedtuple's ``_fields``, ``_field_defaults``,
``_replace`` and ``_asdict``. tests/test_records.py holds the two to the same behaviour.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:
    # What the tuple base defines; a class body may not replace these.
    _RESERVED = frozenset(
        {"__new__", "__init__", "__slots__", "__getnewargs__", "__annotations__", "__classcell__"}
    )

    def _field(index, name):
        return property(lambda self: self[index], doc=f"Alias for field number {index} ({name})")

    class _RecordMeta(type):
        def __new__(mcs, name, bases, namespace):
            if not bases:  # Record itself
                return super().__new__(mcs, name, bases, namespace)
            if "__annotations__" not in namespace and "__annotate__" in namespace:
                # Python 3.14 evaluates annotations lazily unless the module asks otherwise.
                raise TypeError(
                    f"{name}: declare records under `from __future__ import annotations`"
                )
            fields = tuple(namespace.get("__annotations__", {}))
            defaults = {f: namespace[f] for f in fields if f in namespace}
            if any(f not in defaults for f in fields[len(fields) - len(defaults) :]):
                raise TypeError(f"{name}: a field without a default follows one with a default")
            body = {k: v for k, v in namespace.items() if k not in fields and k not in _RESERVED}
            body.update(
                __slots__=(), _fields=fields, _field_defaults=defaults, __match_args__=fields
            )
            body.update((f, _field(i, f)) for i, f in enumerate(fields))
            return super().__new__(mcs, name, (_Fields,), body)

    class _Fields(tuple):
        __slots__ = ()

        def __new__(cls, *args, **kwargs):
            fields = cls._fields
            if len(args) > len(fields):
                raise TypeError(f"{cls.__name__}() takes {len(fields)} arguments")
            values = list(args)
            for field in fields[len(args) :]:
                if field in kwargs:
                    values.append(kwargs.pop(field))
                elif field in cls._field_defaults:
                    values.append(cls._field_defaults[field])
                else:
                    raise TypeError(f"{cls.__name__}() missing argument {field!r}")
            if kwargs:
                raise TypeError(f"{cls.__name__}() got unexpected or repeated {sorted(kwargs)}")
            return tuple.__new__(cls, values)

        def __getnewargs__(self):
            return tuple(self)

        def __repr__(self):
            shown = ", ".join(f"{f}={v!r}" for f, v in zip(self._fields, self, strict=True))
            return f"{type(self).__name__}({shown})"

        def _asdict(self):
            return dict(zip(self._fields, self, strict=True))

        def _replace(self, **changes):
            return type(self)(**{**self._asdict(), **changes})

    class Record(metaclass=_RecordMeta):
        """Base of gostatic's immutable records (see the module's docstring)."""


__all__ = ["TYPE_CHECKING", "Record"]
