"""gostatic.elf.scan's signature search on crafted bytes, against `needle in data[start:end]`.

The search is keyed on each needle without its trailing NUL and checks the NUL at each hit,
so these place needles, and the keys alone, where that can go wrong: at a range's very end,
across the seam of merged spans, behind repeated keys, and in ranges too short to hold them.
"""

from __future__ import annotations

import mmap
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from gostatic.elf.scan import (
    ALL_CARRIERS,
    SIGNATURES,
    Signature,
    _holds,
    merged_spans,
    signatures_found,
)

NUL_ENDED = next(sig for sig in SIGNATURES if sig.needle.endswith(b"\x00"))
NEEDLE = NUL_ENDED.needle
KEY = NEEDLE.rstrip(b"\x00")
PAD = b"x" * 50


def found(data: bytes | mmap.mmap, ranges: list[tuple[int, int]]) -> list[Signature]:
    return signatures_found(data, ranges, ALL_CARRIERS)


def expected(data: bytes, ranges: list[tuple[int, int]]) -> list[Signature]:
    return [sig for sig in SIGNATURES if any(sig.needle in data[s:e] for s, e in ranges)]


def test_every_signature_is_found_alone() -> None:
    for sig in SIGNATURES:
        data = PAD + sig.needle + PAD
        assert found(data, [(0, len(data))]) == [sig]


def test_a_nul_ended_needle_counts_only_with_its_nul_inside_the_range() -> None:
    data = PAD + NEEDLE + PAD
    end = len(PAD) + len(NEEDLE)
    assert found(data, [(0, end)]) == [NUL_ENDED]
    assert found(data, [(len(PAD), end)]) == [NUL_ENDED]
    assert found(data, [(0, end - 1)]) == []  # the key whole, its NUL one byte out
    assert found(data, [(len(PAD) + 1, len(data))]) == []  # starts before the range


def test_keys_without_their_nul_are_not_the_needle() -> None:
    partial = PAD + KEY + b"_" + KEY + KEY + b"\x01" + KEY
    assert found(partial, [(0, len(partial))]) == []
    # The same repeated keys, the last one whole: found behind the misses.
    whole = partial + b"\x00" + PAD
    assert found(whole, [(0, len(whole))]) == [NUL_ENDED]
    # A key at the very end of the data, its NUL beyond it.
    assert found(partial, [(len(PAD), len(partial))]) == []
    # The first one whole, at the range's very start, the keys after it partial.
    first = NEEDLE + KEY + b"_" + KEY + KEY
    assert found(first, [(0, len(first))]) == [NUL_ENDED]
    assert found(first, [(1, len(first))]) == []


def test_overlapping_keys_are_each_tried() -> None:
    # No signature's key overlaps itself, but the search must not rely on that: here the
    # later hit of the key b"a\x00a" misses its NUL and the earlier one, overlapping it, has it.
    assert _holds(b"a\x00a\x00a\x01", b"a\x00a\x00", 0, 6)
    assert not _holds(b"a\x00a\x00a\x01", b"a\x00a\x00", 1, 6)


def test_a_needle_across_the_seam_of_adjacent_spans() -> None:
    data = PAD + NEEDLE + PAD
    seam = len(PAD) + len(KEY)  # between the key and its NUL
    assert found(data, merged_spans([(seam, len(data)), (0, seam)])) == [NUL_ENDED]
    # With one byte between the spans, the needle is in neither.
    assert found(data, merged_spans([(0, seam), (seam + 1, len(data))])) == []
    assert found(data, [(0, seam), (seam, len(data))]) == []  # unmerged spans: no seam


def test_ranges_too_short_for_a_needle_find_nothing() -> None:
    # A search end below the start must not count from the back of the data.
    data = NEEDLE * 3
    for ranges in ([(0, 0)], [(5, 5)], [(0, len(NEEDLE) - 1)], [(len(data) - 1, len(data))]):
        assert found(data, ranges) == [], ranges


def test_an_mmap_is_searched_like_bytes(tmp_path: Path) -> None:
    data = PAD + KEY + PAD + NEEDLE
    path = tmp_path / "data"
    path.write_bytes(data)
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        assert found(mm, [(0, len(data))]) == [NUL_ENDED]
        assert found(mm, [(0, len(data) - 1)]) == []


# Needles, their keys, their cut ends and halves, NULs and other bytes, in any order.
PIECES = st.sampled_from(
    [p for sig in SIGNATURES for p in (sig.needle, sig.needle[:-1], sig.needle[1:])]
    + [KEY, KEY[: len(KEY) // 2], KEY[len(KEY) // 2 :], b"\x00", b"\x00\x00", b"_", b"x"]
)


@st.composite
def data_and_ranges(draw: st.DrawFn) -> tuple[bytes, list[tuple[int, int]]]:
    data = b"".join(draw(st.lists(st.one_of(PIECES, st.binary(max_size=8)), max_size=12)))
    bounds = st.integers(0, len(data))
    spans = draw(st.lists(st.tuples(bounds, bounds), max_size=4))
    return data, merged_spans([(min(a, b), max(a, b)) for a, b in spans])


@given(data_and_ranges())
def test_the_search_finds_what_a_plain_substring_test_finds(
    case: tuple[bytes, list[tuple[int, int]]],
) -> None:
    data, ranges = case
    assert found(data, ranges) == expected(data, ranges)
