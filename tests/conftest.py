"""Shared test set-up. Keep it small: fixtures used by one file belong in that file.

The NHANES mirror: when ``NHANES_MIRROR`` is not set, it defaults to the
sibling folder ``../shared/data/nhanes`` of the repository if that exists.
Tests marked ``@pytest.mark.mirror`` are skipped when there is no mirror.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SIBLING_MIRROR = REPO_ROOT.parent / "shared" / "data" / "nhanes"

if not os.environ.get("NHANES_MIRROR") and SIBLING_MIRROR.is_dir():
    os.environ["NHANES_MIRROR"] = str(SIBLING_MIRROR)


def _mirror_or_skip_reason() -> tuple[Path | None, str]:
    value = os.environ.get("NHANES_MIRROR", "")
    if not value:
        return None, f"no NHANES mirror: NHANES_MIRROR is not set and {SIBLING_MIRROR} is absent"
    path = Path(value).expanduser()
    if not path.is_dir():
        return None, f"no NHANES mirror: NHANES_MIRROR={path} is not a folder"
    return path, ""


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip tests marked ``mirror`` when the mirror folder does not exist."""
    if item.get_closest_marker("mirror") is not None:
        path, reason = _mirror_or_skip_reason()
        if path is None:
            pytest.skip(reason)


@pytest.fixture(scope="session")
def nhanes_mirror() -> Path:
    """The NHANES mirror folder (the test is skipped if there is none)."""
    path, reason = _mirror_or_skip_reason()
    if path is None:
        pytest.skip(reason)
    return path
