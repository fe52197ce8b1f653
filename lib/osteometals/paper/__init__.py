"""Peng et al. (2025): the paper's analysis, its published values and the scorecard.

May know: :mod:`osteometals.stats`, :mod:`osteometals.nhanes`, and the
paper's text and tables. Must not know: the book's build, chapters or
command line. The paper's numbers live only in :mod:`osteometals.paper.published`
and are only ever shown beside ours.
"""
