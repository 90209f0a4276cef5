"""The suites a server scores: loaded once, looked up by id (and version), checked by content hash.

By default a server offers every suite shipped in the package plus the synthetic demo suite (suite id
`synthetic`, built once under the data dir with `intergeneval.synthetic`'s defaults, the same as
`intergeneval demo` writes, so the demo's videos can be submitted to a fresh server). `Settings.suites`
replaces that list with suite files, folders or shipped names. The default suite is the first one listed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from intergeneval.errors import InterGenEvalError
from intergeneval.formats import load_suite, shipped_suites
from intergeneval.records import Suite

log = logging.getLogger(__name__)

class UnknownSuite(LookupError):
    """No suite with this id/version on this server."""


class SuiteCatalog:
    """Suites by id; several versions of one id may coexist (the last listed is the default version)."""

    def __init__(self, suites: list[Suite], default: str | None = None):
        self._suites = list(suites)
        self.default_id = default or (self._suites[0].suite_id if self._suites else None)

    @classmethod
    def from_specs(cls, specs: list[str], *, default: str | None = None, demo_dir: Path | None = None) -> SuiteCatalog:
        """Load suites from files/folders/shipped names; an empty list means shipped suites + demo."""
        suites: list[Suite] = []
        names: list[str | Path] = list(specs) if specs else list(shipped_suites())
        for spec in names:
            try:
                suites.append(load_suite(spec))
            except InterGenEvalError as e:
                if specs:  # a suite the operator named must load
                    raise
                log.warning("shipped suite %s does not load and is not offered: %s", spec, e)
        if not specs and demo_dir is not None:
            demo = build_demo_suite(demo_dir)
            if demo is not None:
                suites.append(demo)
        return cls(suites, default)

    def all(self) -> list[Suite]:
        """Every suite, in load order."""
        return list(self._suites)

    def get(self, suite_id: str | None = None, version: str | None = None) -> Suite:
        """The suite with this id (default: the server's default) and version (default: the last loaded).

        Raises:
            UnknownSuite: naming what exists.
        """
        sid = suite_id or self.default_id
        found = [s for s in self._suites if s.suite_id == sid and (version is None or s.version == version)]
        if not found:
            known = ", ".join(f"{s.suite_id} v{s.version}" for s in self._suites) or "none"
            want = f"{sid} v{version}" if version else f"{sid}"
            raise UnknownSuite(f"no suite {want} on this server (it offers: {known})")
        return found[-1]

    def by_hash(self, suite_id: str, version: str, content_hash: str) -> Suite:
        """The suite a job was queued for; refuses one whose content changed since.

        Raises:
            UnknownSuite: the suite is absent or its content hash differs.
        """
        s = self.get(suite_id, version)
        if s.content_hash != content_hash:
            raise UnknownSuite(f"suite {suite_id} v{version} here has content hash {s.content_hash[:12]}, "
                               f"the job was submitted for {content_hash[:12]}: this worker has a different suite file")
        return s


def build_demo_suite(folder: Path) -> Suite | None:
    """Build (once) and load the synthetic demo suite under `folder`, or None when unavailable."""
    suite_file = folder / "suite.json"
    if suite_file.is_file():
        try:
            return load_suite(suite_file)
        except InterGenEvalError as e:
            log.warning("demo suite at %s does not load (%s); rebuilding it", suite_file, e)
    try:
        from intergeneval.synthetic import make_scene_set
    except ImportError:
        log.info("intergeneval.synthetic is not available: no demo suite")
        return None
    try:
        scenes = make_scene_set(folder)
        return load_suite(scenes.suite)
    except Exception as e:  # the demo suite is a convenience; the server runs without it
        log.warning("could not build the demo suite under %s: %s", folder, e)
        return None
