"""`gostatic explain` for people (text) and scripts (JSON)."""

from __future__ import annotations

from typing import TextIO

from gostatic.elf.needs import remedy
from gostatic.explain import (
    CANNOT_BE_STATIC,
    EXTERNAL_LINK,
    NETGO_TAG,
    OSUSERGO_TAG,
    CgoAnalysis,
)
from gostatic.needprediction import NOT_PREDICTED, NOT_PREDICTED_WHY
from gostatic.report import JSON_VERSION
from gostatic.strategies import strategy_named

_REMEDY_TEXT = {
    NETGO_TAG: "tag netgo: Go's own DNS resolver instead of libc's (strategy netgo)",
    OSUSERGO_TAG: "tag osusergo: Go's own user and group lookup instead of libc's (strategy netgo)",
    EXTERNAL_LINK: "keep cgo, link with the C linker and -static (strategy external-static)",
    CANNOT_BE_STATIC: "cannot be static: it loads shared objects at run time",
}


def explain_to_json(analysis: CgoAnalysis) -> dict[str, object]:
    return {
        "version": JSON_VERSION,
        "package": analysis.package,
        "cgo_packages": [
            {"package": u.package, "chain": list(u.chain), "remedy": u.remedy}
            for u in analysis.uses
        ],
        "loads_libraries": list(analysis.loaders),
        "cgo_off": [
            {"package": v.package, "verdict": v.verdict, "detail": v.detail}
            for v in analysis.verdicts or ()
        ],
        "prediction": analysis.prediction,
        "predicted_needs": list(analysis.predicted_needs),
    }


def _short(import_path: str) -> str:
    return import_path.rpartition("/")[2]


_LOADER_TEXT = (
    "{0} loads shared libraries at run time, without cgo's C.dlopen: built without cgo the "
    "program asks the Go linker for libc (a dynamic binary); a static build cannot find "
    "what it loads in an empty root"
)


def write_explain_text(analysis: CgoAnalysis, out: TextIO) -> None:
    uses = analysis.uses
    if not uses:
        static = "" if analysis.loaders else "; a plain build is static"
        out.write(f"{analysis.package}: no package in the build uses cgo{static}\n")
    else:
        count = "1 package uses" if len(uses) == 1 else f"{len(uses)} packages use"
        out.write(f"{analysis.package}: {count} cgo, so a plain build is dynamic\n")
    for use in uses:
        # The root by its short name, as the seed's author would say "log-syslog".
        chain = " > ".join((_short(use.chain[0]), *use.chain[1:]))
        out.write(f"  {use.package}\n")
        out.write(f"    chain:  {chain}\n")
        out.write(f"    remedy: {_REMEDY_TEXT.get(use.remedy, use.remedy)}\n")
    for loader in analysis.loaders:
        out.write(_LOADER_TEXT.format(loader) + "\n")
    _write_cgo_off(analysis, out)
    prediction = analysis.prediction
    if prediction is None:
        out.write("prediction: none; no strategy gives a working static binary\n")
    else:
        out.write(f"prediction: {prediction}\n  {strategy_named(prediction).summary}\n")
    _write_predicted_needs(analysis.predicted_needs, out)


def _write_predicted_needs(needs: tuple[str, ...], out: TextIO) -> None:
    """What the imports predict the binary will look for at run time, said as a guess:
    gostatic build reads the binary's own needs."""
    said = ", ".join(needs) if needs else "none"
    guess = "a guess from the imports; gostatic build reads the binary"
    out.write(f"predicted needs ({guess}): {said}\n")
    for need in needs:
        out.write(f"  {need}: {remedy(need)}\n")
    out.write(f"  not predicted: {', '.join(NOT_PREDICTED)} ({NOT_PREDICTED_WHY})\n")


def _write_cgo_off(analysis: CgoAnalysis, out: TextIO) -> None:
    """What a build with cgo off makes of the cgo packages, and whether gostatic takes it."""
    refusal = analysis.cgo_off_refusal()
    if refusal is not None:
        out.write(f"cgo-off would be skipped: {refusal}\n")
    else:
        for verdict in analysis.verdicts or ():
            out.write(f"without cgo: {verdict.detail}\n")
    if analysis.cgo_forbidden:
        out.write("CGO_ENABLED=0 is set: gostatic build takes no strategy that turns cgo on\n")
