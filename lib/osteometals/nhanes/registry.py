"""The NHANES tables this book uses: where to get them and how to check them.

Each table is a :class:`Table`: its CDC name (``"DEMO_H"``, ``"P_DEMO"``),
component, survey cycle, download URL, the expected sha256 of the CDC's
SAS transport (XPT) file when one is known, and the files that may stand
in for it in an offline mirror (see :mod:`osteometals.nhanes.files`).

Every sha256 below is copied from the mirror's provenance files,
``SOURCES.md`` and ``SHA256SUMS`` (in the mirror, ``../shared/data/nhanes`` beside the
repository).
Where ``SOURCES.md`` marks a file "Ref sha256 = MATCH", the mirror's XPT
equals an independently published checksum of the CDC download
(``xpt_sha256_note = "published"``). For the other XPT files the mirror
copy is itself a CDC download and its sha256 is the best checksum known
(``"mirror"``). No XPT checksum is known for ``PBCD_H``, ``DXXSPN_H``,
``BPQ_G`` and ``SMQ_G``: the mirror holds faithful Parquet copies of them
instead, and a fresh download of their XPT cannot be verified.

The download URLs are built from a base URL that the environment variable
``OSTEOMETALS_BASE_URL`` overrides (tests point it at a local server).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

#: Environment variable that overrides :data:`DEFAULT_BASE_URL`.
BASE_URL_ENV = "OSTEOMETALS_BASE_URL"

#: Where the CDC serves NHANES public data files (layout of 2024).
DEFAULT_BASE_URL = "https://wwwn.cdc.gov/Nchs/Data/Nhanes/Public"

#: Components read for the study, in the order they are listed and fetched.
STUDY_COMPONENTS: tuple[str, ...] = (
    "DEMO", "PBCD", "DXXFEM", "DXXSPN", "BMX", "BPQ", "DIQ", "OSQ", "SMQ", "RHQ",
)

#: Short English description of each component (CDC data file titles).
COMPONENTS: dict[str, str] = {
    "DEMO": "Demographic variables and sample weights",
    "PBCD": "Lead, cadmium, total mercury, selenium and manganese - blood",
    "DXXFEM": "Dual-energy X-ray absorptiometry - femur",
    "DXXSPN": "Dual-energy X-ray absorptiometry - spine",
    "BMX": "Body measures",
    "BPQ": "Blood pressure and cholesterol (questionnaire)",
    "DIQ": "Diabetes (questionnaire)",
    "OSQ": "Osteoporosis (questionnaire)",
    "SMQ": "Smoking - cigarette use (questionnaire)",
    "RHQ": "Reproductive health (questionnaire)",
}


@dataclass(frozen=True)
class Cycle:
    """An NHANES survey cycle."""

    code: str  #: letter of the cycle, e.g. ``"H"``; ``"P"`` is pre-pandemic 2017-2020
    label: str  #: years, e.g. ``"2013-2014"`` (the cohort's ``cycle`` column)
    description: str  #: longer name, e.g. ``"2017-March 2020 pre-pandemic"``
    url_year: int  #: year folder of the CDC download URL


#: Cycles with registered tables. The study uses H and P.
CYCLES: dict[str, Cycle] = {
    "G": Cycle("G", "2011-2012", "2011-2012", 2011),
    "H": Cycle("H", "2013-2014", "2013-2014", 2013),
    "I": Cycle("I", "2015-2016", "2015-2016", 2015),
    "J": Cycle("J", "2017-2018", "2017-2018", 2017),
    "P": Cycle("P", "2017-2020", "2017-March 2020 pre-pandemic", 2017),
}

#: Cycles of the paper.
STUDY_CYCLES: tuple[str, ...] = ("H", "P")


@dataclass(frozen=True)
class MirrorFile:
    """A file in an offline mirror that holds one table."""

    path: str  #: path relative to the mirror root, e.g. ``"raw/DEMO_H.XPT"``
    sha256: str  #: expected sha256 of that file
    format: Literal["xpt", "parquet"]  #: how to read it


@dataclass(frozen=True)
class Table:
    """One NHANES data file of one cycle.

    Attributes
    ----------
    name : str
        CDC name of the table, e.g. ``"DEMO_H"`` or ``"P_DEMO"``.
    component : str
        Component code, e.g. ``"DEMO"``.
    cycle : str
        Cycle code, a key of :data:`CYCLES`.
    cycle_label : str
        Years of the cycle, e.g. ``"2013-2014"``.
    url_path : str
        Path of the XPT file below the base URL, e.g.
        ``"2013/DataFiles/DEMO_H.xpt"``; see :attr:`url`.
    xpt_sha256 : str or None
        Expected sha256 of the CDC's XPT file, or None when unknown.
    xpt_sha256_note : str
        Where :attr:`xpt_sha256` comes from: ``"published"`` (an independently
        published checksum of the CDC file), ``"mirror"`` (the mirror's copy,
        itself a CDC download) or ``""`` when there is none.
    mirror : tuple of MirrorFile
        Files that may hold the table in a mirror, in order of preference.
    """

    name: str
    component: str
    cycle: str
    cycle_label: str
    url_path: str
    xpt_sha256: str | None
    xpt_sha256_note: str
    mirror: tuple[MirrorFile, ...]

    @property
    def url(self) -> str:
        """Download URL of the XPT file (honours ``OSTEOMETALS_BASE_URL``)."""
        return f"{base_url()}/{self.url_path}"

    @property
    def cache_name(self) -> str:
        """File name of the downloaded XPT in the cache, e.g. ``"DEMO_H.xpt"``."""
        return self.url_path.rsplit("/", 1)[-1]


def base_url() -> str:
    """Return the base URL of NHANES downloads.

    Returns
    -------
    str
        ``$OSTEOMETALS_BASE_URL`` if set and not empty, else
        :data:`DEFAULT_BASE_URL`; without a trailing slash.
    """
    return (os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")


def table_name(component: str, cycle: str) -> str:
    """Return the CDC name of a component in a cycle.

    Parameters
    ----------
    component : str
        Component code, e.g. ``"DEMO"``.
    cycle : str
        Cycle code, e.g. ``"H"`` or ``"P"``.

    Returns
    -------
    str
        ``"P_DEMO"`` for the pre-pandemic cycle, ``"DEMO_H"`` otherwise.
    """
    return f"P_{component}" if cycle == "P" else f"{component}_{cycle}"


def make_table(
    component: str,
    cycle: str,
    *,
    xpt_sha256: str | None,
    xpt_sha256_note: str = "",
    parquet_sha256: str | None = None,
) -> Table:
    """Build a :class:`Table` following the CDC and mirror naming rules.

    Parameters
    ----------
    component : str
        Component code, e.g. ``"DEMO"``.
    cycle : str
        Cycle code, a key of :data:`CYCLES`.
    xpt_sha256 : str or None
        Expected sha256 of the CDC's XPT file. When given, the mirror file
        ``raw/<name>.XPT`` is a candidate with this checksum.
    xpt_sha256_note : str, optional
        Where the XPT checksum comes from (``"published"`` or ``"mirror"``).
    parquet_sha256 : str or None, optional
        sha256 of a Parquet copy ``other/<name>.parquet`` in the mirror,
        tried after the XPT.

    Returns
    -------
    Table
    """
    info = CYCLES[cycle]
    name = table_name(component, cycle)
    mirror: list[MirrorFile] = []
    if xpt_sha256 is not None:
        mirror.append(MirrorFile(f"raw/{name}.XPT", xpt_sha256, "xpt"))
    if parquet_sha256 is not None:
        mirror.append(MirrorFile(f"other/{name}.parquet", parquet_sha256, "parquet"))
    return Table(
        name=name,
        component=component,
        cycle=cycle,
        cycle_label=info.label,
        url_path=f"{info.url_year}/DataFiles/{name}.xpt",
        xpt_sha256=xpt_sha256,
        xpt_sha256_note=xpt_sha256_note if xpt_sha256 else "",
        mirror=tuple(mirror),
    )


def _registry(tables: Iterable[Table]) -> dict[str, Table]:
    out: dict[str, Table] = {}
    for table in tables:
        if table.name in out:
            raise ValueError(f"table {table.name} registered twice")
        out[table.name] = table
    return out


_PUB = "published"  # SOURCES.md "Ref sha256" = MATCH
_MIR = "mirror"  # SOURCES.md "Ref sha256" = "-": the mirror copy is the reference

#: Every registered table by name. sha256 values are copied from
#: the mirror's SOURCES.md and SHA256SUMS (``../shared/data/nhanes``).
TABLES: dict[str, Table] = _registry([
    # --- cycle H, 2013-2014 (study) ------------------------------------------------
    make_table("DEMO", "H", xpt_sha256_note=_PUB,
               xpt_sha256="f8f0cbb3085a323d4cde22349b164878fea1e64dbc404e65b5815c7816b547d7"),
    # No XPT checksum known; SOURCES.md: faithful Parquet copy in other/.
    make_table("PBCD", "H", xpt_sha256=None,
               parquet_sha256="6f0816a81c6e1a80552262218425399d8d88bf7bfc55006c31f174519f612d22"),
    make_table("DXXFEM", "H", xpt_sha256_note=_MIR,
               xpt_sha256="58a1a95ef469605647a91ee511f75c8acce5918df38333a201e79660d9821340"),
    # No XPT checksum known; SOURCES.md: faithful Parquet copy in other/.
    make_table("DXXSPN", "H", xpt_sha256=None,
               parquet_sha256="363caad4650455d52a3082125ce7f3cd904a68ecdebdbd1ae97745e79dd70af2"),
    make_table("BMX", "H", xpt_sha256_note=_PUB,
               xpt_sha256="fd5e9fc6e6aab0a4aee6e699f51497bbc9b62101f7f43aee924c473e38fd9442"),
    make_table("BPQ", "H", xpt_sha256_note=_PUB,
               xpt_sha256="aa6ddeab80c73b074ccfd04ad010da404ecb91c048476a194594ce9552d03d49"),
    # XPT: the published CDC sha256 quoted in SOURCES.md (the XPT itself is not in
    # the mirror); Parquet copy in other/.
    make_table("DIQ", "H", xpt_sha256_note=_PUB,
               xpt_sha256="c74c7ccef65e6997dfac1db1e73bc3f63dec67c70b2e322ffc14f14ce27429a9",
               parquet_sha256="fc03579de6e3a8aec8319ff3f3b4d82a24cfb6d8ff97e3010e23fe4d1c130a72"),
    make_table("OSQ", "H", xpt_sha256_note=_MIR,
               xpt_sha256="274f668c24a0e725191e2f3b09fc9e3fda6b1e51853a5cadf069ca45cb6ae716"),
    make_table("SMQ", "H", xpt_sha256_note=_MIR,
               xpt_sha256="86d74bb8842ce6d60350944417cbd3e9ee39dd5a9fa1bda33426f276b673861f"),
    make_table("RHQ", "H", xpt_sha256_note=_PUB,
               xpt_sha256="d8f2f2a8bacf3e8d260094ed5a4f974af05cd51865c2fffa1275d325ad46063d"),
    # --- cycle P, 2017-March 2020 pre-pandemic (study); no published checksums -----
    make_table("DEMO", "P", xpt_sha256_note=_MIR,
               xpt_sha256="2e46c6c26bf77cd8989f64011ace12cbf42c0f3e03414eb59acc5328c8f87913"),
    make_table("PBCD", "P", xpt_sha256_note=_MIR,
               xpt_sha256="2d9385c8cf779ebf5988c5ebb178e519c7c5d5bc6fb343392f311fee8c680716"),
    make_table("DXXFEM", "P", xpt_sha256_note=_MIR,
               xpt_sha256="d49aa27609e135f2f1f8f8ebb79053294b577004ca5ac5b83e03839a38c6a105"),
    make_table("DXXSPN", "P", xpt_sha256_note=_MIR,
               xpt_sha256="1c20be5929359c3e50814475c6da834f0fc4cc23dda68f59deda68220c2c3437"),
    make_table("BMX", "P", xpt_sha256_note=_MIR,
               xpt_sha256="7038d0da3169420a4a3cbaec09ac586a701b38e1c7b925431b60e13ac24fed66"),
    make_table("BPQ", "P", xpt_sha256_note=_MIR,
               xpt_sha256="88af3557dd185cee2533c94c5302b361e89a54eb50754704f35d4e8120868c02"),
    make_table("DIQ", "P", xpt_sha256_note=_MIR,
               xpt_sha256="79153f799fc2171792771c4aa250029c62807f14915f1f81405b03233b1e5ae3"),
    make_table("OSQ", "P", xpt_sha256_note=_MIR,
               xpt_sha256="8623694c40a1b31bed63617bee140e0733b3f987de7e5b22d0c64f512f2d340b"),
    make_table("SMQ", "P", xpt_sha256_note=_MIR,
               xpt_sha256="29b7f6c59ab570c042c866312f0eb4329009e85fadbda6f9427a8bf31ecb3a3f"),
    make_table("RHQ", "P", xpt_sha256_note=_MIR,
               xpt_sha256="1344cd314b9144d88ae2cdb0aaacf09fa29a996ac00ad3e7c861c3d64b7bb116"),
    # --- cycle G, 2011-2012 (nice-to-have; only tables the mirror holds) -----------
    make_table("DEMO", "G", xpt_sha256_note=_PUB,
               xpt_sha256="eaf0525d1952626885af3e935415a1f66ad62c18698080e7354789c125af252d"),
    make_table("PBCD", "G", xpt_sha256_note=_MIR,
               xpt_sha256="996cc3daaae69bf043785b274b02d4921dd2e49ec819c528707752d675ebd191"),
    make_table("BMX", "G", xpt_sha256_note=_PUB,
               xpt_sha256="4814bfc3047ed400b9d43d285f8c3ea7c940ac6489404a9b699579715d158ec3"),
    make_table("BPQ", "G", xpt_sha256=None,
               parquet_sha256="c3507cd44e494a160d86974d1287e5b199e3700005db21a434eddff60ee95faa"),
    make_table("DIQ", "G", xpt_sha256_note=_PUB,
               xpt_sha256="a9d5475e0cd66d6a7bc30230345ed0172a9abcbc0a7a4145a35025c827a52a87"),
    make_table("SMQ", "G", xpt_sha256=None,
               parquet_sha256="57e8acfe3f52c6c125a6e30406c09efeb4956a52a2fbfa0281074ddbd100ae33"),
    make_table("RHQ", "G", xpt_sha256_note=_PUB,
               xpt_sha256="2433723ab21c589d51a41811bde25723726c9e928f312505c4ffb06fa81281e0"),
    # --- cycle I, 2015-2016 (nice-to-have) ------------------------------------------
    make_table("DEMO", "I", xpt_sha256_note=_PUB,
               xpt_sha256="c9297c6c37ae8f78f29be9568fa2a03cf3b112616a39afee04030fc775a66a0d"),
    make_table("BMX", "I", xpt_sha256_note=_PUB,
               xpt_sha256="d31da84e14212b4e58e8340598a5b8e2144fac83333563e966eb1b332e4141d6"),
    make_table("BPQ", "I", xpt_sha256_note=_PUB,
               xpt_sha256="7f7e51cd0497eb648f64eaafaf7ed07825d617c32b2cd6853ed249fce1143a38"),
    make_table("DIQ", "I", xpt_sha256_note=_PUB,
               xpt_sha256="e87587479b29f175b63eee5dd40d582837e3e3fe2665503012085eefdb978e0d"),
    # --- cycle J, 2017-2018 (nice-to-have) ------------------------------------------
    make_table("DEMO", "J", xpt_sha256_note=_PUB,
               xpt_sha256="c0b46e0345ea19404928656277c8b0d10b0cca348a9b2fe4fc3c67e8b7ee73ec"),
    make_table("BMX", "J", xpt_sha256_note=_PUB,
               xpt_sha256="8d675e42d8826ac98714b2c3dd4c5138a5e353fb4424f7eff5e6db4a01ce838a"),
    make_table("BPQ", "J", xpt_sha256_note=_PUB,
               xpt_sha256="63cfe1c331a1e7d3534328ac86312a21ffee3e01aa189bc1f74d06855239e5aa"),
    make_table("DIQ", "J", xpt_sha256_note=_PUB,
               xpt_sha256="1ecbf5360dfc331d1efbf32198553dc30e9a1f4cff0a907ed30ca72bac797f89"),
])


def get_table(name: str, registry: Mapping[str, Table] | None = None) -> Table:
    """Look a table up by name.

    Parameters
    ----------
    name : str
        CDC name, e.g. ``"P_DEMO"``; case-insensitive.
    registry : mapping of str to Table, optional
        Tables to look in; :data:`TABLES` by default.

    Returns
    -------
    Table

    Raises
    ------
    KeyError
        If the table is not registered; the message suggests close names.
    """
    tables = TABLES if registry is None else registry
    key = name.strip().upper()
    if key in tables:
        return tables[key]
    close = difflib.get_close_matches(key, list(tables), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise KeyError(f"NHANES table {name!r} is not registered.{hint}")


def study_tables(
    cycles: Iterable[str] = STUDY_CYCLES,
    registry: Mapping[str, Table] | None = None,
) -> list[Table]:
    """Return the registered study tables of some cycles.

    Parameters
    ----------
    cycles : iterable of str, optional
        Cycle codes; the paper's ``("H", "P")`` by default.
    registry : mapping of str to Table, optional
        Tables to choose from; :data:`TABLES` by default.

    Returns
    -------
    list of Table
        Cycle by cycle in the order given, components in the order of
        :data:`STUDY_COMPONENTS`. Components not registered for a cycle
        (possible for G, I, J) are left out.

    Raises
    ------
    ValueError
        If a cycle code is unknown.
    """
    tables = TABLES if registry is None else registry
    out: list[Table] = []
    for cycle in cycles:
        code = cycle.strip().upper()
        if code not in CYCLES:
            raise ValueError(f"unknown NHANES cycle {cycle!r}; known: {', '.join(CYCLES)}")
        for component in STUDY_COMPONENTS:
            name = table_name(component, code)
            if name in tables:
                out.append(tables[name])
    return out
