"""Tests of tools/rehearse/outputs.py: what a learner's run is compared with, and how."""

from __future__ import annotations

import nbformat

from tools.rehearse.outputs import stored, text_of, verbatim_cells


def test_only_the_cells_nbval_compares_verbatim_are_compared():
    cells = [
        nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")]),
        nbformat.v4.new_markdown_cell("Text cells do not count."),
        nbformat.v4.new_code_cell("fit()", metadata={"tags": ["nbval-ignore-output"]}),
        nbformat.v4.new_code_cell("score()", metadata={"tags": ["nbval-tolerance"]}),
        nbformat.v4.new_code_cell("2", outputs=[nbformat.v4.new_output("execute_result", data={"text/plain": "2"})]),
    ]
    assert verbatim_cells(nbformat.v4.new_notebook(cells=cells)) == {0: ("1\n", ""), 3: ("2", "")}


def test_outputs_split_across_messages_read_as_the_stored_ones():
    saved = [{"output_type": "stream", "name": "stdout", "text": ["a\n", "b\n"]}]
    live = [
        {"output_type": "stream", "name": "stdout", "text": "a\n"},
        {"output_type": "stream", "name": "stdout", "text": "b\n"},
    ]
    assert text_of(live) == text_of(saved) == ("a\nb\n", "")
    failed = [{"output_type": "error", "ename": "NameError", "evalue": "name 'x' is not defined", "traceback": []}]
    assert text_of(failed) == ("", "NameError: name 'x' is not defined")
    warned = [{"output_type": "stream", "name": "stderr", "text": "a warning\n"}]
    assert text_of(warned) == ("", "a warning\n")


def test_a_kernels_messages_are_saved_as_valid_notebook_outputs():
    live = [
        {"output_type": "stream", "name": "stdout", "text": "4\n"},
        {"output_type": "execute_result", "data": {"text/plain": "4"}, "metadata": {}, "execution_count": 9},
        {"output_type": "display_data", "data": {"text/plain": "<Figure>"}, "metadata": {}},
        {"output_type": "error", "ename": "ValueError", "evalue": "no", "traceback": ["line"]},
    ]
    cell = nbformat.v4.new_code_cell("x", outputs=[stored(output, 3) for output in live], execution_count=3)
    nbformat.validate(nbformat.v4.new_notebook(cells=[cell]))  # as JupyterLab would save it
    assert cell.outputs[1]["execution_count"] == 3 and text_of(cell.outputs) == text_of(live)
