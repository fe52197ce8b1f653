"""osteometals: reproduce Peng et al. (2025) from raw NHANES files.

Heavy metals (Pb, Cd, Hg, Se, Mn) in blood and osteoporosis in
postmenopausal women, NHANES 2013-2014 and 2017-March 2020.

The package has four layers, each importing only the ones below it
(``tests/test_layers.py`` enforces this):

``osteometals.stats``
    General statistics: the survey design and design-based GLM, WQS, BKMR.
    Knows nothing of NHANES or of the paper; reusable on any data.
``osteometals.nhanes``
    NHANES access: the table registry, files and cache, special codes,
    the analysis cohort and T-scores.
``osteometals.paper``
    Peng et al.'s analysis: the model sets, Tables 1-4, the published
    values, the scorecard and the prose the chapters show.
``osteometals.book``
    The executable book: chapters and their parameters, the build, the
    ``osteometals`` command, PDF, browser test, Sphinx extension, bench.
"""

__version__ = "0.1.0"
