"""Installing a stage binary that was proved static: the bytes installed are the bytes
checked, on every path.

A binary is never renamed into place from the stage itself, nor copied from it: it is
read once, whole (gostatic.incremental.image), the bytes read are checked, and a copy
written from those same bytes beside the output is renamed over it, or removed. Whatever
happens to the stage file after that one reading (another hand rewriting it) never
reaches the output, and no second reading is needed to tell.

The check asks two things of the bytes. They have the Go build ID of the binary that was
proved static (by this run's reading, or by the stage's stamp, see
gostatic.incremental.stage), so they are that binary and not one another build wrote
since. And they are static: gostatic.incremental.recheck, the fast path's cheap reading,
which is stricter than the full one; where it says no (a binary with hazards, an unusual
layout) the full path reads the same bytes with gostatic.elf.facts and must find what was
proved. Where this run has just read and checked the binary (the full path's climb, a
relink on the fast path), the caller hands over the bytes it checked, or the check itself,
and nothing is read twice. The copy is written before the check runs, so that its
writeback to disk overlaps the check rather than the rename (gostatic.atomic).

Bytes that fail are never installed: the fast path then leaves the binary to the full
path, which reads it; the full path removes the stage binary too, so that the next build
links it again.
"""

from __future__ import annotations

from gostatic.atomic import discard, put_in_place, write_beside
from gostatic.errors import GostaticError
from gostatic.incremental.image import Image, read_image
from gostatic.incremental.stage import Stage, Stamp, build_id_in, file_id
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    # What the bytes of a binary prove: the stamp to record, or None when they prove
    # nothing (not the binary proved static, or not static).
    Prove = Callable[[Image], "Stamp | None"]


class NotProved(GostaticError):
    """A stage binary that is not the one proved static: removed, not installed."""


def settle(
    stage: Stage,
    stage_bin: str,
    output: tuple[str, str] | None,
    proof: Stamp,
    stamp: Stamp | None,
    *,
    read_fully: bool,
    image: Image | None = None,
) -> bool:
    """Put the stage binary ``stage_bin``, proved static as ``proof`` says, at ``output``
    (its path, and the user's spelling of it for messages; None for a build that writes
    nothing), then stamp the stage. ``stamp`` is the stage's stamp when it is what proved
    the binary (its build ID matched), else None.

    ``image`` is the binary as this run read it and proved it (``proof`` is that reading's):
    those bytes are installed as they are. Without it, ``proof`` comes from the stage's
    stamp, an earlier run's reading: the binary is read here, once, and installed only if
    the bytes read show what the proof says; ``read_fully`` lets the full reading
    (pyelftools) settle what the cheap one cannot.

    Returns False when the output already was the stamped copy (it is touched, as go
    build touches an up-to-date output), True when a copy was installed (or, with no
    output, the stage newly stamped). Raises :class:`NotProved` when the bytes are not
    the proved binary.
    """
    if output is None:
        if stamp is None:
            stage.restamp(proof, None)
        return stamp is None
    path, shown = output
    if stamp is not None and file_id(path) == stamp.output:
        stage.touch(stamp, path)
        return False
    if image is not None:
        installed = install_proved(stage, stage_bin, output, lambda _: proof, image)
    else:
        installed = install_proved(
            stage, stage_bin, output, lambda read: _shown_in(read, stage_bin, proof, read_fully)
        )
    if installed is None:
        if read_fully:
            # No reading is left to vouch for it: the next build links it again. (The
            # fast path leaves it to the full path, which reads it, and so does no more.)
            stage.forget_binary(proof.strategy)
        raise NotProved(
            f"{shown}: the stage binary {stage_bin} is not the binary proved static "
            "(it changed since); it was removed and nothing was installed: build again"
        )
    return True


def install_proved(
    stage: Stage,
    stage_bin: str,
    output: tuple[str, str] | None,
    prove: Prove,
    image: Image | None = None,
) -> Stamp | None:
    """Read ``stage_bin`` once (unless ``image`` is that reading already), write the bytes
    beside ``output`` (path, and the user's spelling of it; None: nothing is written), ask
    ``prove`` what the same bytes prove while the copy goes to disk, and rename the copy
    over the output if they prove it static; then stamp the stage with the proof.

    Returns the proof, or None when the bytes prove nothing (the copy is removed). Raises
    OSError when the binary cannot be read or the copy written.
    """
    if image is None:
        image = read_image(stage_bin)
    if output is None:
        proof = prove(image)
        if proof is not None:
            stage.restamp(proof, None)
        return proof
    path, shown = output
    copy = write_beside(image.data, path, image.mode, shown)
    try:
        proof = prove(image)
        if proof is not None:
            put_in_place(copy, path)
    except BaseException:
        discard(copy)
        raise
    if proof is None:
        discard(copy)
        return None
    stage.restamp(proof, path)
    return proof


def _shown_in(image: Image, stage_bin: str, proof: Stamp, read_fully: bool) -> Stamp | None:
    """``proof`` if ``image`` is the binary it describes: its build ID, static, and with no
    hazard beyond those found when it was proved; else None."""
    data = image.data
    if proof.build_id and build_id_in(data) != proof.build_id:
        return None
    from gostatic.incremental.recheck import still_static_in

    if not proof.hazards and still_static_in(data):
        return proof
    if not read_fully:
        return None
    from gostatic.elf.facts import inspect_image  # the full path has it loaded already

    try:
        facts = inspect_image(stage_bin, data)
    except GostaticError:
        return None  # not an ELF file gostatic can read
    # The proof may hold more than the binary shows: the linker's warnings
    # (gostatic.cgo.linkhazards) are hazards too. The bytes must show nothing beyond it.
    if facts.is_static and set(facts.hazards) <= set(proof.hazards):
        return proof
    return None
