"""Chapters declare typed parameters; bad names and values fail before any work."""

from textwrap import dedent

import pytest

from osteometals.book.chapters import (
    Parameter,
    ParameterError,
    find_chapter,
    list_chapters,
    parse_parameters,
)

CELL = dedent(
    """\
    spine_reference: Literal["hologic", "nhanes"] = "hologic"  # spine T-score reference
    n_iter: int = 2000  # MCMC iterations, in [1, inf)
    alpha: float = 0.05  # significance level, in (0, 1)
    weighted: bool = True  # survey weights on?
    output_dir: str = "results"  # where the CSVs go
    """
)


def test_each_line_gives_name_type_default_and_help():
    params = {p.name: p for p in parse_parameters(CELL)}
    assert params["spine_reference"] == Parameter(
        "spine_reference", "Literal", "hologic", "spine T-score reference", ("hologic", "nhanes")
    )
    assert params["n_iter"].type == "int" and params["n_iter"].default == 2000
    assert params["weighted"].help == "survey weights on?"


def test_a_range_after_in_is_parsed_and_shown_in_interval_notation():
    params = {p.name: p for p in parse_parameters(CELL)}
    assert params["alpha"].help == "significance level"
    assert str(params["alpha"].range) == "(0, 1)"
    assert str(params["n_iter"].range) == "[1, inf)"
    assert params["n_iter"].describe_type() == "int in [1, inf)"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [("alpha", "7", r"must lie in \(0, 1\)"), ("alpha", "0", r"must lie in \(0, 1\)"),
     ("n_iter", "0", r"must lie in \[1, inf\)")],
)
def test_a_value_outside_the_range_is_refused(name, text, message):
    param = {p.name: p for p in parse_parameters(CELL)}[name]
    with pytest.raises(ParameterError, match=message):
        param.parse(text)


def test_a_default_outside_its_range_is_refused():
    with pytest.raises(ParameterError, match="must lie in"):
        parse_parameters("alpha: float = 1.5  # level, in (0, 1)\n")


def test_help_text_with_an_equals_sign_is_refused_because_papermill_misreads_it():
    with pytest.raises(ParameterError, match="contains '='"):
        parse_parameters('c: str = "H"  # H = 2013-2014\n')


def test_a_range_on_a_non_number_is_refused():
    with pytest.raises(ParameterError, match="only numbers take a range"):
        parse_parameters('c: str = "H"  # a cycle, in [0, 1]\n')


def test_every_numeric_parameter_of_the_book_declares_its_range():
    from osteometals.book.chapters import list_pages

    without = [f"{c.name}.{p.name}" for c in list_pages() for p in c.parameters
               if p.type in ("int", "float") and p.range is None]
    assert without == []


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [("n_iter", "500", 500), ("alpha", "0.1", 0.1), ("weighted", "false", False),
     ("weighted", "yes", True), ("spine_reference", "nhanes", "nhanes")],
)
def test_command_line_strings_are_converted_to_the_declared_type(name, text, expected):
    param = {p.name: p for p in parse_parameters(CELL)}[name]
    assert param.parse(text) == expected


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [("n_iter", "many", "expects int"), ("n_iter", "2.5", "expects int"),
     ("weighted", "perhaps", "expects bool"),
     ("spine_reference", "dxa", "choose one of 'hologic', 'nhanes'")],
)
def test_a_bad_value_is_refused_with_the_allowed_ones(name, text, message):
    param = {p.name: p for p in parse_parameters(CELL)}[name]
    with pytest.raises(ParameterError, match=message):
        param.parse(text)


def test_a_line_without_annotation_is_refused():
    with pytest.raises(ParameterError, match="not 'name: type = value'"):
        parse_parameters("x = 3  # no type\n")


def test_an_unsupported_type_is_refused():
    with pytest.raises(ParameterError, match="unsupported parameter annotation"):
        parse_parameters("x: list = [1]  # a list\n")


def test_an_invalid_default_is_refused():
    with pytest.raises(ParameterError, match="choose one of"):
        parse_parameters('x: Literal["a", "b"] = "c"  # bad default\n')


def test_every_chapter_has_a_valid_parameters_cell_with_output_dir():
    """CONTRIBUTING.md: every chapter has ``output_dir: str = "results"`` and every
    parameter has help text; names are unique."""
    chapters = list_chapters()
    assert chapters, "no chapters found under book/chapters"
    for chapter in chapters:
        names = [p.name for p in chapter.parameters]
        assert len(names) == len(set(names)), f"{chapter.name}: a parameter is declared twice"
        out = chapter.parameter("output_dir")
        assert (out.type, out.default) == ("str", "results"), chapter.name
        assert all(p.help for p in chapter.parameters), f"{chapter.name}: a parameter lacks help"


def test_every_executable_page_in_the_toc_exists_and_vice_versa():
    import yaml

    from osteometals.book.chapters import BOOK_DIR, list_pages

    toc = yaml.safe_load((BOOK_DIR / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    in_toc = [f for f in files if f.startswith(("chapters/", "appendix/"))]
    assert len(in_toc) == len(set(in_toc)), "a page is listed twice in _toc.yml"
    assert set(in_toc) == {c.page for c in list_pages() if c.folder != "front"}
    assert {c.page for c in list_pages() if c.folder == "front"} <= set(files) | {toc["root"]}


def test_unknown_chapter_and_unknown_parameter_name_the_known_ones():
    with pytest.raises(ParameterError, match="the chapters are"):
        find_chapter("99_nothing")
    chapter = list_chapters()[0]
    with pytest.raises(ParameterError, match="its parameters are"):
        chapter.validate({"no_such_parameter": "1"})
