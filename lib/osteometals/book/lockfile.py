"""The lock file and the conda environment generated from it.

``requirements-py311.lock`` pins every package the book and the tests install,
with hashes (``make lock`` compiles it from ``pyproject.toml`` with ``uv pip
compile``). ``environment.yml`` is written from it by :func:`write_environment`
so that conda users get the same versions of the direct dependencies; the
packages that conda-forge does not carry go to its ``pip:`` section.

Run ``python -m osteometals.book.lockfile`` (``make lock`` does) to rewrite
``environment.yml``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
#: The lock of the supported Python (3.11).
LOCK = ROOT / "requirements-py311.lock"
PYPROJECT = ROOT / "pyproject.toml"
ENVIRONMENT = ROOT / "environment.yml"
PYTHON = "3.11"

#: Direct dependencies that conda-forge does not carry: installed by pip.
PIP_ONLY = frozenset({"kernelmix", "django-static-mathjax"})

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def normalise(name: str) -> str:
    """Package name in its PEP 503 normal form (``Great_Tables`` -> ``great-tables``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    """Normalised package name of a requirement string such as ``dask[distributed]>=2024``."""
    return normalise(re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0])


def read_lock(path: Path = LOCK) -> dict[str, str]:
    """Pinned versions of a lock file.

    Parameters
    ----------
    path : Path
        A file written by ``uv pip compile`` (``name==version \\`` lines).

    Returns
    -------
    dict
        Normalised package name -> pinned version.
    """
    return {normalise(m[1]): m[2] for m in _PIN.finditer(Path(path).read_text())}


def direct_requirements(path: Path = PYPROJECT) -> list[str]:
    """The requirement strings of ``pyproject.toml``: base dependencies and every extra."""
    project = tomllib.loads(Path(path).read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return reqs


def conda_names(requirement: str) -> list[str]:
    """conda-forge package(s) for one requirement (``dask[distributed]`` is two)."""
    name = requirement_name(requirement)
    if name == "dask" and "[distributed]" in requirement:
        return ["dask", "distributed"]
    return [name]


def environment_yml(lock: Path = LOCK, pyproject: Path = PYPROJECT) -> str:
    """The text of ``environment.yml``: the direct dependencies pinned as in the lock.

    Raises
    ------
    KeyError
        If a direct dependency is missing from the lock (run ``make lock``).
    """
    pins = read_lock(lock)
    conda: list[str] = []
    pip: list[str] = []
    for req in direct_requirements(pyproject):
        for name in conda_names(req):
            if name not in pins:
                raise KeyError(f"{name} is in pyproject.toml but not in {lock.name}: run make lock")
            (pip if name in PIP_ONLY else conda).append(f"{name}=={pins[name]}")
    lines = [
        f"# Generated from {lock.name} by `make lock` (python -m osteometals.book.lockfile):",
        "# do not edit. The direct dependencies of pyproject.toml at the locked versions.",
        "# conda env create -f environment.yml && pip install --no-deps -e .",
        "name: osteometals",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python={PYTHON}",
        "  - pip",
        *(f"  - {c}" for c in sorted(set(conda))),
        "  - pip:",
        *(f"      - {p}" for p in sorted(set(pip))),
    ]
    return "\n".join(lines) + "\n"


def write_environment(path: Path = ENVIRONMENT) -> Path:
    """Write :func:`environment_yml` to ``path`` and return it."""
    Path(path).write_text(environment_yml())
    return Path(path)


if __name__ == "__main__":
    print(f"wrote {write_environment()}")
