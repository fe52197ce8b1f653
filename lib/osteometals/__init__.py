"""osteometals: reproduce Peng et al. (2025) from raw NHANES files.

Heavy metals (Pb, Cd, Hg, Se, Mn) in blood and osteoporosis in
postmenopausal women, NHANES 2013-2014 and 2017-March 2020.
"""

__version__ = "0.1.0"
