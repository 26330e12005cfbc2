"""Sphinx configuration of the course's website, built by `make book` (tools/book.py stages the sources)."""

import sys
from pathlib import Path

project = "mnist-lesson"
author = "the mnist-lesson contributors"
copyright = "the mnist-lesson contributors"
html_title = "mnist-lesson: handwritten digits with Keras"

# The course's own extension, tools/figure_alt.py: each figure a lesson draws gets its stored description as alt text.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
extensions = ["myst_nb", "tools.figure_alt"]
# Only the lessons' executed notebooks are pages; downloads/ holds them and their .md as they are in the checkout.
exclude_patterns = ["downloads"]
language = "en"

# The stored outputs are the ones CI checked: show them, never execute.
nb_execution_mode = "off"
# A warning or error a lesson printed is a defect (CI fails on it), so show it rather than hide it.
nb_output_stderr = "show"
# Keras prints a training epoch in several writes; show them as one block, as JupyterLab does.
nb_merge_streams = True
# A widget's output (lesson 02's drawing pad) stores no widget state, so it cannot show on a static page: show the
# text the lesson stored with it instead; the site's "Try it" page is where a visitor draws.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
# Lessons link each other as 02_inference.ipynb, as JupyterLab does; those must resolve to pages.
myst_ref_domains = ["std", "doc"]

# Everything the site needs ships in the theme's wheel: no fonts, scripts or templates from elsewhere.
html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    # Its download button would offer the page's source; each lesson links the committed files instead.
    "use_download_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_copy_source = False
# The course's own CSS (readable colours in stored outputs) and one theme template, the search button, given a
# name that includes its visible text (book/_templates/search-button-field.html).
html_static_path = ["_static"]
html_css_files = ["course.css"]
templates_path = ["_templates"]

#: The launch buttons of each lesson's page (docs/launch-links.md): tools/book.py reads them from
#: book/launch.toml, the one place they are set, checks them, and passes them here as -D launch_NAME=VALUE.
LAUNCH = ("repository", "branch", "jupyterhub", "binderhub")


def launch_buttons(app, config):
    """Hand the launch settings to the theme, which puts the buttons on every page made from a notebook."""
    config.html_theme_options |= {
        "repository_url": config.launch_repository,
        "repository_branch": config.launch_branch,
        # The lesson pages are notebooks/NN_topic.ipynb, where the lessons are in the repository: no prefix.
        "path_to_docs": "",
        "launch_buttons": {
            # JupyterLab, where the lessons are tested; a link to a lesson opens its .ipynb there.
            "notebook_interface": "jupyterlab",
            "jupyterhub_url": config.launch_jupyterhub,
            "binderhub_url": config.launch_binderhub,
        },
    }


def setup(app):
    for name in LAUNCH:
        app.add_config_value(f"launch_{name}", "", "html", str)
    app.connect("config-inited", launch_buttons)
