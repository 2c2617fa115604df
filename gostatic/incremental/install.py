"""Installing a stage binary that was proved static: the bytes installed are the bytes
checked, on every path.

A binary is never renamed into place from the stage itself: it is copied beside the
output once (gostatic.incremental.snapshot), the copy is checked, and only the checked
copy is renamed over the output; a copy that fails is removed. Whatever happens to the
stage file after the copy was made never reaches the output.

Where this run reads a binary go has just linked (the full path's climb, a relink on the
fast path), the copy is made first and that reading is the check: one reading of one
copy, not a reading of the stage binary and another of its copy. Where the stage's stamp
proved the binary (an earlier run's reading) and only the output is to be written again,
the copy must show what the stamp says: the Go build ID of the binary that was proved
static (see gostatic.incremental.stage), so it is that binary and not one another build
wrote since; and static: gostatic.incremental.recheck, the fast path's cheap reading,
which is stricter than the full one; where it says no (a binary with hazards, an unusual
layout) the full path reads the copy with gostatic.elf.facts and must find what was
proved.

The copy's writeback to disk starts as soon as it is written (gostatic.atomic), so that it
runs while the copy is checked. A copy that fails is never installed: the fast path then
leaves the binary to the full path, which reads it; the full path removes the stage
binary too, so that the next build links it again.
"""

from __future__ import annotations

from gostatic.errors import GostaticError
from gostatic.incremental.buildid import build_id_in
from gostatic.incremental.snapshot import Snapshot
from gostatic.incremental.stage import Stage, Stamp, file_id
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    # What the bytes of a snapshot prove: the stamp to record, or None when they prove
    # nothing (not the binary proved static, or not static).
    Prove = Callable[[Snapshot], "Stamp | None"]


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
    checked: Snapshot | None = None,
) -> bool:
    """Put the stage binary ``stage_bin``, proved static as ``proof`` says, at ``output``
    (its path, and the user's spelling of it for messages; None for a build that writes
    nothing), then stamp the stage. ``stamp`` is the stage's stamp when it is what proved
    the binary (its build ID matched), else None.

    ``checked`` is the snapshot of the binary (a copy beside ``output``) whose reading in
    this run is ``proof``: it is renamed over the output as it is. Without one the binary
    is copied here and the copy must show what ``proof`` says; ``read_fully`` lets the
    full reading (pyelftools) settle what the cheap one cannot.

    Returns False when the output already was the stamped copy (it is touched, as go
    build touches an up-to-date output), True when a copy was installed (or, with no
    output, the stage newly stamped). Raises :class:`NotProved` when the copy is not the
    proved binary.
    """
    if output is None:
        if stamp is None:
            stage.restamp(proof, None)
        return stamp is None
    path, shown = output
    if stamp is not None and file_id(path) == stamp.output:
        stage.touch(stamp, path)
        return False
    if checked is not None and checked.copy is not None:
        checked.put_in_place(path)
        stage.restamp(proof, path)
        return True
    installed = install_proved(
        stage, stage_bin, output, lambda copy: proof if _shows(copy, proof, read_fully) else None
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
    stage: Stage, stage_bin: str, output: tuple[str, str] | None, prove: Prove
) -> Stamp | None:
    """Copy ``stage_bin`` beside ``output`` (path, and the user's spelling of it), ask
    ``prove`` what the copy proves, rename the copy over the output if it proves it
    static, and stamp the stage with the proof. With no output, ``prove`` reads the stage
    binary itself and only the stage is stamped.

    Returns the proof, or None when the copy proves nothing (it is removed). Raises
    OSError when the binary cannot be read or the copy written.
    """
    with Snapshot(stage_bin, output) as snapshot:
        proof = prove(snapshot)
        if proof is None:
            return None
        if output is not None:
            snapshot.put_in_place(output[0])
    stage.restamp(proof, output[0] if output is not None else None)
    return proof


def _shows(copy: Snapshot, proof: Stamp, read_fully: bool) -> bool:
    """Whether the ``copy`` of a stage binary is the binary ``proof`` describes: its build
    ID, static, and with no hazard beyond those found when it was proved."""
    if proof.build_id and build_id_in(copy.data) != proof.build_id:
        return False
    from gostatic.incremental.recheck import still_static_in

    if not proof.hazards and still_static_in(copy.data):
        return True
    if not read_fully:
        return False
    from gostatic.elf.facts import inspect_elf  # the full path has it loaded already

    try:
        facts = inspect_elf(copy.path)
    except GostaticError:
        return False  # not an ELF file gostatic can read
    # The proof may hold more than the binary shows: the linker's warnings
    # (gostatic.cgo.linkhazards) are hazards too. The copy must show nothing beyond it.
    return facts.is_static and set(facts.hazards) <= set(proof.hazards)
