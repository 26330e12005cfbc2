"""A Sphinx extension for the course's website: each figure a lesson draws gets its description as alt text.

A lesson shows a figure with ``mnist_lesson.plots.show(fig, description)``, which stores the description in
the output's metadata (``{"image/png": {"alt": ...}}``). MyST-NB reads an image's alt text only from the
cell's metadata (``mystnb: image: alt:``, one for every image of the cell), and of the output's metadata only
``width`` and ``height``. It names each image it writes by the SHA-256 of its bytes, so this extension maps
those hashes to the descriptions stored beside them and sets each image node's alt from that map.
"""

from __future__ import annotations

import hashlib
import json
from binascii import a2b_base64
from pathlib import Path

from docutils import nodes

#: The image types MyST-NB writes from base64 text, as it decodes them.
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")


def descriptions(notebooks: list[Path]) -> dict[str, str]:
    """The description of every image output that has one, by the SHA-256 of the image's bytes."""
    found = {}
    for notebook in notebooks:
        for cell in json.loads(notebook.read_text(encoding="utf-8")).get("cells", []):
            for output in cell.get("outputs", []):
                for kind in IMAGE_TYPES:
                    alt = output.get("metadata", {}).get(kind, {}).get("alt")
                    data = output.get("data", {}).get(kind)
                    if alt and data:
                        content = "".join(data) if isinstance(data, list) else data
                        found[hashlib.sha256(a2b_base64(content)).hexdigest()] = alt
    return found


def set_alt(app, doctree) -> None:
    """Give each image MyST-NB wrote from a described output its description, unless it has alt text already."""
    if not hasattr(app.env, "figure_alt"):
        app.env.figure_alt = descriptions(sorted(Path(app.srcdir).rglob("*.ipynb")))
    for image in doctree.findall(nodes.image):
        stem = Path(image.get("uri", "")).stem
        if stem in app.env.figure_alt and not image.get("alt"):
            image["alt"] = app.env.figure_alt[stem]


def setup(app):
    app.connect("doctree-read", set_alt)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
