"""General statistics, reusable on any survey or cohort data.

May know: numpy, scipy, pandas, statsmodels and the other libraries of the
base install. Must not know: NHANES (table or variable names, cycles, the
cohort), the paper (its model sets, tables or published values) or the book.
Nothing here imports :mod:`osteometals.nhanes`, :mod:`osteometals.paper` or
:mod:`osteometals.book`.
"""
