"""NHANES access: which tables exist, where their files are, and the analysis cohort.

May know: NHANES table and variable names, codebooks (special codes),
cycles and survey weights, bone densitometry references, and
:mod:`osteometals.stats`. Must not know: the paper's analysis (model sets,
tables, published values) or the book.
"""
