"""Executed notebooks made into pages (osteometals.book.pages)."""

from pathlib import Path

import nbformat

from osteometals.book import pages
from osteometals.book.chapters import load_chapter

CHAPTER = """\
---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
---

# A chapter

```{code-cell} ipython3
:tags: [parameters]

weighted: bool = True  # design-based fits
alpha: float = 0.05  # level, in (0, 1)
output_dir: str = "results"  # where results go
```

Text.

**Exercise 1.** Rerun with `weighted` false. What changes?
And then?

**Exercise 2 (BKMR).** Count the draws.
"""


def chapter(tmp_path: Path):
    path = tmp_path / "03_thing.md"
    path.write_text(CHAPTER)
    return load_chapter(path)


def executed(values: dict) -> nbformat.NotebookNode:
    """A notebook as papermill leaves it: parameters, injected cell, a figure, glue, prose."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("weighted: bool = True")
    params.metadata["tags"] = ["parameters"]
    injected = nbformat.v4.new_code_cell(
        "# Parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in values.items()))
    injected.metadata["tags"] = ["injected-parameters"]
    glue = nbformat.v4.new_code_cell("glue('n', 12)")
    glue.outputs = [nbformat.v4.new_output("display_data", {"text/plain": "12"},
                                           metadata={"scrapbook": {"name": "n"}})]
    figure = nbformat.v4.new_code_cell("plot()")
    figure.metadata["mystnb"] = {"figure": {"caption": "Odds for {glue:text}`n` women, "
                                            "see {doc}`Chapter 1 <01_cohort>`."}}
    prose = nbformat.v4.new_markdown_cell("**Exercise 1.** Do it.")
    nb.cells = [params, injected, glue, figure, prose]
    return nb


def test_at_defaults_the_box_says_so_and_gives_the_commands(tmp_path):
    ch = chapter(tmp_path)
    box = pages.parameters_box(ch, {"output_dir": "../_build/results/03_thing"})
    assert "**Defaults** (reproduces the paper)." in box
    assert "`osteometals run 03_thing`" in box and "`make lab CHAPTER=03_thing`" in box
    assert "_build" not in box, "the build's folders are not parameters of the page"


def test_other_values_are_listed_with_default_and_help_and_in_the_command(tmp_path):
    ch = chapter(tmp_path)
    box = pages.parameters_box(ch, {"weighted": False, "alpha": 0.05, "output_dir": "x"})
    assert "* `weighted` = `False` (default `True`): design-based fits" in box
    assert "alpha" not in box, "a value equal to its default is not a change"
    assert "`osteometals run 03_thing -p weighted false`" in box
    assert "`make lab CHAPTER=03_thing PARAMS='-p weighted false'`" in box


def test_finish_hides_the_injected_cell_and_puts_the_box_after_it(tmp_path):
    nb = pages.finish(executed({"weighted": False, "output_dir": "../r"}), chapter(tmp_path),
                      {"weighted": False, "output_dir": "../r"})
    injected = nb.cells[1]
    assert "remove-cell" in injected.metadata["tags"]
    assert nb.cells[2].cell_type == "markdown" and "Parameters of this page" in nb.cells[2].source


def test_finish_gives_a_captioned_figure_alt_text_with_glue_filled_in(tmp_path):
    nb = pages.finish(executed({"output_dir": "r"}), chapter(tmp_path), {"output_dir": "r"})
    figure = next(c for c in nb.cells if "mystnb" in c.metadata)
    assert figure.metadata["mystnb"]["image"]["alt"] == "Odds for 12 women, see Chapter 1."


def test_finish_keeps_alt_text_the_chapter_wrote(tmp_path):
    nb = executed({"output_dir": "r"})
    nb.cells[3].metadata["mystnb"]["image"] = {"alt": "Mine."}
    nb = pages.finish(nb, chapter(tmp_path), {"output_dir": "r"})
    figure = next(c for c in nb.cells if "mystnb" in c.metadata)
    assert figure.metadata["mystnb"]["image"]["alt"] == "Mine."


def test_finish_puts_a_target_before_each_exercise(tmp_path):
    nb = pages.finish(executed({"output_dir": "r"}), chapter(tmp_path), {"output_dir": "r"})
    assert nb.cells[-1].source == "(exercise-03_thing-1)=\n**Exercise 1.** Do it."


def test_the_exercise_list_links_every_exercise_with_its_first_sentence(tmp_path):
    text = pages.exercise_list([chapter(tmp_path)])
    assert text.splitlines()[0] == "{doc}`chapters/03_thing`"
    assert "* {ref}`Exercise 1 <exercise-03_thing-1>`: Rerun with weighted false." in text
    assert "* {ref}`Exercise 2 (BKMR) <exercise-03_thing-2-bkmr>`: Count the draws." in text


def test_prepare_adds_the_hidden_style_cell_first():
    nb = pages.prepare(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]))
    assert nb.cells[0].source == pages.STYLE_CELL
    assert "remove-cell" in nb.cells[0].metadata["tags"]


def test_finish_keeps_only_the_file_names_of_papermills_paths(tmp_path):
    nb = executed({"output_dir": "r"})
    nb.metadata["papermill"] = {"input_path": str(tmp_path / "book" / "x.input.ipynb"),
                                "output_path": str(tmp_path / "book" / "x.ipynb"), "duration": 1.0}
    nb = pages.finish(nb, chapter(tmp_path), {"output_dir": "r"})
    assert nb.metadata["papermill"] == {"input_path": "x.input.ipynb",
                                        "output_path": "x.ipynb", "duration": 1.0}
