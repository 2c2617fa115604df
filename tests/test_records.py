"""gostatic.records.Record behaves as typing.NamedTuple does for the classes gostatic writes."""

from __future__ import annotations

import pickle
from typing import Any, NamedTuple

import pytest

from gostatic.records import Record
from tests.support import imports_of


class Typed(NamedTuple):
    name: str
    value: str | None = None
    size: int = 0

    def render(self) -> str:
        return f"{self.name}={self.value}"

    @property
    def bare(self) -> bool:
        return self.value is None


class Light(Record):
    name: str
    value: str | None = None
    size: int = 0

    def render(self) -> str:
        return f"{self.name}={self.value}"

    @property
    def bare(self) -> bool:
        return self.value is None


def test_same_fields_defaults_and_behaviour_as_typing_namedtuple() -> None:
    assert Light._fields == Typed._fields
    assert Light._field_defaults == Typed._field_defaults
    light, typed = Light("a", size=2), Typed("a", size=2)
    assert tuple(light) == tuple(typed)
    assert light.render() == typed.render() and light.bare == typed.bare
    assert light._replace(value="v") == Light("a", "v", 2)
    assert light._asdict() == typed._asdict()
    assert repr(light) == repr(typed).replace("Typed", "Light")
    assert hash(light) == hash(("a", None, 2))
    assert isinstance(light, tuple)
    assert Light.__module__ == __name__
    assert pickle.loads(pickle.dumps(light)) == light
    assert Light.__match_args__ == Typed.__match_args__
    match light:
        case Light(name, value):
            assert (name, value) == ("a", None)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), (("a", "b", 1, 2), {}), (("a",), {"name": "b"}), (("a",), {"other": 1})],
)
def test_wrong_arguments_are_refused_as_namedtuple_refuses_them(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(TypeError):
        Typed(*args, **kwargs)
    with pytest.raises(TypeError):
        Light(*args, **kwargs)
    with pytest.raises(TypeError):
        Light("a")._replace(other=1)  # type: ignore[call-arg]


def test_records_are_immutable() -> None:
    light = Light("a")
    with pytest.raises(AttributeError):
        light.name = "b"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        light.other = 1  # type: ignore[attr-defined]


def test_a_field_without_default_after_one_with_default_is_refused() -> None:
    with pytest.raises(TypeError):

        class Bad(Record):
            first: int = 0
            second: int  # type: ignore[misc]


def test_importing_records_imports_neither_typing_nor_re() -> None:
    _, added = imports_of("import gostatic.records")
    assert "gostatic.records" in added
    assert not added & {"typing", "re", "collections"}
