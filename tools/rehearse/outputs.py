"""What the rehearsal compares: the text of a cell's outputs, and the cells strict nbval compares verbatim."""

from __future__ import annotations

from collections.abc import Iterable

import nbformat

from tools.plumbing import NOT_VERBATIM


def stored(output: dict, count: int) -> dict:
    """A kernel message's content as an nbformat output, as JupyterLab saves it."""
    kind = output["output_type"]
    if kind == "stream":
        return {"output_type": kind, "name": output.get("name", "stdout"), "text": output.get("text", "")}
    if kind == "error":
        keys = ("ename", "evalue", "traceback")
        return {"output_type": kind, **{k: output.get(k, [] if k == "traceback" else "") for k in keys}}
    saved = {"output_type": kind, "data": output.get("data", {}), "metadata": output.get("metadata", {})}
    if kind == "execute_result":
        saved["execution_count"] = count
    return saved


def text_of(outputs: Iterable[dict]) -> tuple[str, str]:
    """(stdout and results, stderr) of a cell's outputs, as one string each, in order."""
    shown, errors = [], []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = output.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            (errors if output.get("name") == "stderr" else shown).append(text)
        elif kind in ("display_data", "execute_result"):
            plain = output.get("data", {}).get("text/plain", "")
            shown.append("".join(plain) if isinstance(plain, list) else plain)
        elif kind == "error":
            errors.append(f"{output.get('ename')}: {output.get('evalue')}")
    return "".join(shown), "".join(errors)


def verbatim_cells(nb: nbformat.NotebookNode) -> dict[int, tuple[str, str]]:
    """The code cells strict nbval compares verbatim (index among code cells → their stored text).

    The others' outputs depend on trained weights or timings: nbval does not compare them verbatim either.
    """
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    return {
        i: text_of(cell.get("outputs", []))
        for i, cell in enumerate(code)
        if not NOT_VERBATIM & set(cell.get("metadata", {}).get("tags", []))
    }
