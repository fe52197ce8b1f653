"""The environment is locked: pyproject.toml's ranges, the lock and environment.yml agree.

``requirements-py311.lock`` pins every package with its hashes and is what
``make book`` and ``make test`` install; ``environment.yml`` is generated from
it (``make lock``). These tests fail when someone edits one and not the others.
"""

import re

import yaml
from packaging.requirements import Requirement

from osteometals.book import lockfile


def test_the_lock_pins_every_package_with_hashes():
    text = lockfile.LOCK.read_text()
    pins = lockfile.read_lock()
    assert len(pins) > 50  # the whole tree, not only the direct dependencies
    entries = re.split(r"\n(?=[a-z0-9])", text.split("\n", 2)[2])  # after the header
    unhashed = [e.split("==")[0] for e in entries if "==" in e and "--hash=sha256:" not in e]
    assert unhashed == []


def test_every_direct_dependency_is_locked_inside_its_range():
    pins = lockfile.read_lock()
    outside = []
    for text in lockfile.direct_requirements():
        req = Requirement(text)
        name = lockfile.normalise(req.name)
        assert name in pins, f"{name} is in pyproject.toml but not in the lock: run make lock"
        if not req.specifier.contains(pins[name], prereleases=True):
            outside.append(f"{name}=={pins[name]} not in {req.specifier}")
    assert outside == [], "the lock is stale: run make lock"


def test_environment_yml_is_generated_from_the_lock():
    assert lockfile.ENVIRONMENT.read_text() == lockfile.environment_yml(), (
        "environment.yml differs from the lock: run make lock")


def test_environment_yml_pins_python_3_11_and_every_direct_dependency():
    env = yaml.safe_load(lockfile.ENVIRONMENT.read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    listed = {}
    for dep in deps:
        for item in dep["pip"] if isinstance(dep, dict) else [dep]:
            if "==" in item:
                name, version = item.split("==")
                listed[lockfile.normalise(name)] = version
    pins = lockfile.read_lock()
    wanted = {n for r in lockfile.direct_requirements() for n in lockfile.conda_names(r)}
    assert set(listed) == wanted
    assert {n: pins[n] for n in wanted} == listed
