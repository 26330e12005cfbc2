"""Tests of tools/figure_alt.py: the website's images get the descriptions stored with them."""

from __future__ import annotations

import base64
import hashlib
import json

from docutils import nodes

from tools import figure_alt

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n not really an image").decode()


def notebook(tmp_path, outputs):
    path = tmp_path / "lesson.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "outputs": outputs}]}))
    return path


def test_descriptions_map_each_images_hash_to_its_alt_and_skip_images_without_one(tmp_path):
    described = {"data": {"image/png": PNG}, "metadata": {"image/png": {"alt": "A bar chart of ten probabilities."}}}
    bare = {"data": {"image/png": base64.b64encode(b"other").decode()}, "metadata": {}}
    found = figure_alt.descriptions([notebook(tmp_path, [described, bare])])
    assert found == {hashlib.sha256(base64.b64decode(PNG)).hexdigest(): "A bar chart of ten probabilities."}


def test_set_alt_fills_only_images_that_have_none(tmp_path):
    digest = hashlib.sha256(base64.b64decode(PNG)).hexdigest()
    notebook(tmp_path, [{"data": {"image/png": PNG}, "metadata": {"image/png": {"alt": "Two curves rising."}}}])
    app = type("App", (), {"srcdir": str(tmp_path), "env": type("Env", (), {})()})()
    doctree = nodes.document(None, None)
    mine, written, elsewhere = (
        nodes.image(uri=f"../_images/{digest}.png"),
        nodes.image(uri=f"{digest}.png", alt="Already said."),
        nodes.image(uri="images/network.png"),
    )
    doctree += [mine, written, elsewhere]
    figure_alt.set_alt(app, doctree)
    assert mine["alt"] == "Two curves rising." and written["alt"] == "Already said." and "alt" not in elsewhere
