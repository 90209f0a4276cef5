"""Suites shipped with the package: `<name>.json` files here, found by name by `formats.resolve_suite_path`.

`intergeneval-open-v1.json` is generated from the `open_v1_*.py` sources by `authoring.py`; edit the
sources, never the JSON (see docs/suite.md).
"""
