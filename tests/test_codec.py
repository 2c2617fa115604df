"""The state files' format (gostatic.incremental.codec) and the stamp written in it: pure,
no go needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from gostatic.incremental import codec
from gostatic.incremental.stage import STAMP_KIND, Stage, Stamp

NAMES = frozenset({"one", "many", "flag", "id", "a", "b"})


def test_fields_read_back_by_name() -> None:
    data = codec.encode(
        "kind-1",
        [
            ("one", "x"),
            ("many", "1"),
            ("flag", codec.flag_value(True)),
            ("many", ""),
            ("id", codec.identity_value((7, 8, 9))),
            ("a", "p"),
            ("b", "q"),
            ("a", "r"),
            ("b", "s"),
        ],
    )
    fields = codec.decode("kind-1", data, NAMES)
    assert fields is not None
    assert fields.one("one") == "x"
    assert fields.many("many") == ["1", ""]
    assert fields.many("absent") == []
    assert fields.flag("flag") is True
    assert fields.identity("id") == (7, 8, 9)
    assert fields.rows("a", "b") == [("p", "q"), ("r", "s")]


def test_a_path_that_is_not_utf8_comes_back_as_it_was() -> None:
    path = b"/tmp/\xff\xfe".decode("utf-8", "surrogateescape")
    fields = codec.decode("k", codec.encode("k", [("one", path)]), NAMES)
    assert fields is not None and fields.one("one") == path


@pytest.mark.parametrize(
    ("data", "names"),
    [
        (b"other-kind\0one\0x\0", NAMES),
        (b"kind-1\0one\0x", NAMES),  # cut short
        (b"kind-1\0one\0", NAMES),  # a name without a value
        (b"kind-1\0unknown\0x\0", NAMES),
        (b"kind-1\0one\0x\0", frozenset({"many"})),
    ],
)
def test_a_file_of_another_kind_or_shape_is_none(data: bytes, names: frozenset[str]) -> None:
    assert codec.decode("kind-1", data, names) is None


@pytest.mark.parametrize(
    ("pairs", "read"),
    [
        ([], lambda f: f.one("one")),
        ([("one", "x"), ("one", "y")], lambda f: f.one("one")),
        ([("flag", "yes")], lambda f: f.flag("flag")),
        ([("id", "1:2")], lambda f: f.identity("id")),
        ([("id", "1:2:x")], lambda f: f.identity("id")),
        ([("a", "p"), ("a", "r"), ("b", "q")], lambda f: f.rows("a", "b")),
    ],
)
def test_a_field_of_the_wrong_shape_raises_value_error(
    pairs: list[tuple[str, str]], read: object
) -> None:
    fields = codec.decode("k", codec.encode("k", pairs), NAMES)
    assert fields is not None and callable(read)
    with pytest.raises(ValueError):
        read(fields)


def test_no_field_may_hold_nul() -> None:
    with pytest.raises(ValueError):
        codec.encode("k", [("one", "a\0b")])


def test_digest_is_stable_and_short() -> None:
    assert codec.digest("a") == codec.digest("a") != codec.digest("b")
    assert len(codec.digest("a")) == 16


# --- the stamp --------------------------------------------------------------------------


def test_a_stamp_reads_back_as_written(tmp_path: Path) -> None:
    stage = Stage(tmp_path, "key", "app")
    (Path(stage.dir) / "stamps").mkdir(parents=True)
    stamp = Stamp("netgo", "abc/def", (1, 2, 3), (("nss", "libnss"), ("dlopen", "")))
    stage.write_stamp(stamp)
    assert stage.read_stamp() == stamp
    stage.write_stamp(stamp._replace(output=None, hazards=()))
    assert stage.read_stamp() == stamp._replace(output=None, hazards=())
    # Another key that gave the same directory name would not read this stage's stamp.
    stage.key = "other key"
    assert stage.read_stamp() is None


@pytest.mark.parametrize(
    "content",
    [
        b"gostatic-stamp-1\0key\0netgo\0id\0\0\0\0",  # the first format: no stamp
        b"gostatic-stamp-2\0stage_key\0key\0strategy\0netgo\0",  # fields missing
        b"gostatic-stamp-2\0stage_key\0key\0strategy\0netgo\0build_id\0x\0output\0"
        b"\0hazard_kind\0nss\0",  # a hazard without its detail
        b"gostatic-stamp-2\0stage_key\0key\0strategy\0netgo\0build_id\0x\0output\0"
        b"1:2\0",  # not a file identity
    ],
)
def test_a_stamp_of_another_format_or_shape_is_no_stamp(tmp_path: Path, content: bytes) -> None:
    stage = Stage(tmp_path, "key", "app")
    (Path(stage.dir) / "stamps").mkdir(parents=True)
    (Path(stage.dir) / "stamps" / "app").write_bytes(content)
    assert stage.read_stamp() is None
    assert STAMP_KIND == "gostatic-stamp-2"
