"""The build pipeline: jupytext -> papermill (parameters injected) -> Jupyter Book.

Runs the real tools on a two-page book made in a temporary folder, so the
mechanics are tested without the NHANES data.
"""

import json
from textwrap import dedent

import pytest

from osteometals.build import execute_chapter, render, run_key
from osteometals.chapters import load_chapter

CHAPTER = dedent(
    '''\
    ---
    jupytext:
      text_representation:
        format_name: myst
    kernelspec:
      name: python3
      display_name: Python 3
    ---

    # A tiny chapter

    ```{code-cell} ipython3
    from pathlib import Path
    from typing import Literal

    import matplotlib.pyplot as plt
    import pandas as pd
    from myst_nb import glue
    ```

    ```{code-cell} ipython3
    :tags: [parameters]

    k: int = 2  # a number
    flavour: Literal["plain", "fancy"] = "plain"  # a choice
    output_dir: str = "results"  # where results go
    ```

    ```{code-cell} ipython3
    table = pd.DataFrame({"k": [k], "flavour": [flavour]})
    table.to_csv(Path(output_dir) / "table.csv", index=False)
    glue("k_squared", k * k)
    table
    ```

    ```{code-cell} ipython3
    ---
    mystnb:
      figure:
        caption: A line.
        name: fig-line
    ---
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, k])
    plt.show()
    ```

    The square of k is {glue:text}`k_squared`.
    '''
)


@pytest.fixture
def tiny_book(tmp_path):
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "chapters" / "01_tiny.md").write_text(CHAPTER)
    (book / "intro.md").write_text("# Intro\n\nHello.\n")
    (book / "_config.yml").write_text(
        "title: Tiny\nexecute:\n  execute_notebooks: 'off'\n"
    )
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: chapters/01_tiny\n"
    )
    return book


def test_parameters_are_injected_and_results_written(tiny_book, tmp_path):
    chapter = load_chapter(tiny_book / "chapters" / "01_tiny.md")
    out = execute_chapter(
        chapter, tmp_path / "run" / "01_tiny.ipynb", tmp_path / "res", {"k": "3"}
    )
    assert (tmp_path / "res" / "table.csv").read_text().splitlines()[1] == "3,plain"
    nb = json.loads(out.read_text())
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert injected and "k = 3" in "".join(injected[0]["source"])


@pytest.mark.slow
def test_executed_chapters_render_to_html_with_glue_and_figure(tiny_book):
    build = tiny_book / "_build"
    chapter = load_chapter(tiny_book / "chapters" / "01_tiny.md")
    execute_chapter(chapter, build / "executed" / "chapters" / "01_tiny.ipynb", build / "results")
    html = (render(build, book_dir=tiny_book) / "chapters" / "01_tiny.html").read_text()
    assert "The square of k is" in html and ">4<" in html.replace(" ", "")
    assert "<table" in html and "<img" in html and "A line." in html


def test_rerun_folders_are_keyed_by_sorted_parameters():
    assert run_key({"seed": 1, "spine_reference": "nhanes"}) == "seed=1,spine_reference=nhanes"
    assert run_key({}) == "defaults"
