"""Installing a stage binary that was proved static: the bytes installed are the bytes
checked, on every path.

A binary is never renamed into place from the stage itself: it is copied beside the
output, the copy is checked, and only the checked copy is renamed over the output. The
check asks two things of the copy. It has the Go build ID of the binary that was proved
static (by this run's reading, or by the stage's stamp, see gostatic.incremental.stage),
so it is that binary and not one another build wrote since. And it is static:
gostatic.incremental.recheck, the fast path's cheap reading, which is stricter than the
full one; where it says no (a binary with hazards, an unusual layout) the full path reads
the copy with gostatic.elf.facts and must find what was proved. A copy that fails is removed and
never installed: the fast path then leaves the binary to the full path, which reads it;
the full path removes the stage binary too, so that the next build links it again.
"""

from __future__ import annotations

from gostatic.atomic import copy_beside, discard, put_in_place
from gostatic.errors import GostaticError
from gostatic.incremental.stage import Stage, Stamp, file_id, go_build_id


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
) -> bool:
    """Put the stage binary ``stage_bin``, proved static as ``proof`` says, at ``output``
    (its path, and the user's spelling of it for messages; None for a build that writes
    nothing), then stamp the stage. ``stamp`` is the stage's stamp when it is what proved
    the binary (its build ID matched), else None.

    Returns False when the output already was the stamped copy (it is touched, as go
    build touches an up-to-date output), True when a copy was installed (or, with no
    output, the stage newly stamped). Raises :class:`NotProved` when the copy is not the
    proved binary; ``read_fully`` lets the full reading (pyelftools) settle what the
    cheap one cannot.
    """
    if output is None:
        if stamp is None:
            stage.restamp(proof, None)
        return stamp is None
    path, shown = output
    if stamp is not None and file_id(path) == stamp.output:
        stage.touch(stamp, path)
        return False
    copy = copy_beside(stage_bin, path, shown)
    try:
        proved = _is_proved(copy, proof, read_fully)
        if proved:
            put_in_place(copy, path)
    except BaseException:
        discard(copy)
        raise
    if not proved:
        discard(copy)
        if read_fully:
            # No reading is left to vouch for it: the next build links it again. (The
            # fast path leaves it to the full path, which reads it, and so does no more.)
            stage.forget_binary(proof.strategy)
        raise NotProved(
            f"{shown}: the stage binary {stage_bin} is not the binary proved static "
            "(it changed since); it was removed and nothing was installed: build again"
        )
    stage.restamp(proof, path)
    return True


def _is_proved(copy: str, proof: Stamp, read_fully: bool) -> bool:
    """Whether ``copy`` is the binary ``proof`` describes: its build ID, static, and with
    no hazard beyond those found when it was proved."""
    if proof.build_id and go_build_id(copy) != proof.build_id:
        return False
    from gostatic.incremental.recheck import still_static

    if not proof.hazards and still_static(copy):
        return True
    if not read_fully:
        return False
    from gostatic.elf.facts import inspect_elf  # the full path has it loaded already

    try:
        facts = inspect_elf(copy)
    except GostaticError:
        return False  # not an ELF file gostatic can read
    # The proof may hold more than the binary shows: the linker's warnings
    # (gostatic.cgo.linkhazards) are hazards too. The copy must show nothing beyond it.
    return facts.is_static and set(facts.hazards) <= set(proof.hazards)
