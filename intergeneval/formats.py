"""The one place that knows file layouts: suites, the reference's meta.json, per-video JSONL, summaries.

Example:
    >>> from intergeneval.formats import suite_to_dict
    >>> suite_to_dict  # doctest: +ELLIPSIS
    <function suite_to_dict at ...>

A suite file (`docs/suite-format.md`) is JSON with `format: "intergeneval-suite"`, `schema_version: 1`,
`suite_id`, `version`, `protocol`, `content_hash` and `scenarios`. Paths inside it are relative to the file.
Loading validates everything and names the file, the scenario id and the field of every problem.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from . import config
from .errors import DataFormatError, did_you_mean
from .hashing import canonical_json, sha256_file, sha256_json
from .records import KeyInteraction, ObjectSpec, Question, Scenario, Suite

SUITE_FORMAT = "intergeneval-suite"
SUITE_SCHEMA_VERSION = 1
RESULT_SCHEMA_VERSION = 1
#: The reference's category names mapped to the protocol's.
REFERENCE_TYPES = {"transport_move": "transport", "social_contact": "social"}
#: Pairing used for suites (such as the reference's meta.json) that do not record one.
UNSPECIFIED = "unspecified"
_SCENARIO_KEYS = {
    "id", "video_prompt", "image_prompt", "first_frame", "masks", "objects", "interaction_type",
    "direction", "pairing", "fields", "key_interactions",
}


# --------------------------------------------------------------------------------------------- suites
def load_suite(path: str | Path, *, require_questions: bool = True) -> Suite:
    """Load and validate a suite file, a reference `meta.json`, or a folder holding either.

    Args:
        path: a suite JSON file, a reference `meta.json`, a folder with `suite.json` or `meta.json`,
            or the name of a suite shipped in the package (see `intergeneval suite list`).
        require_questions: refuse scenarios without frozen questions (False only while building a suite).

    Raises:
        DataFormatError: listing every problem, each naming the file, scenario id and field.
    """
    suite, problems = _load(path, require_questions=require_questions)
    if len(problems) == 1:  # each problem names the file, the scenario and the field: one line
        raise DataFormatError(problems[0])
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise DataFormatError(f"{len(problems)} problem(s) in the suite:\n  {shown}{more}")
    assert suite is not None
    return suite


def validate_suite(path: str | Path, *, require_questions: bool = True) -> list[str]:
    """Return every problem found in a suite (empty when it is valid)."""
    return _load(path, require_questions=require_questions)[1]


def resolve_suite_path(path: str | Path) -> Path:
    """Turn a suite argument (file, folder or shipped suite name) into a file path."""
    p = Path(path)
    if p.is_dir():
        for name in ("suite.json", "meta.json"):
            if (p / name).is_file():
                return p / name
        raise DataFormatError(f"{p}: folder holds neither suite.json nor meta.json")
    if p.is_file():
        return p
    shipped = Path(__file__).parent / "suites" / f"{p.name}.json"
    if not p.suffix and shipped.is_file():
        return shipped
    names = ", ".join(shipped_suites()) or "none"
    raise DataFormatError(f"{p}: no such suite file or folder (suites shipped in the package: {names})")


def shipped_suites() -> list[str]:
    """Names of the suites shipped inside the package."""
    folder = Path(__file__).parent / "suites"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def _load(path: str | Path, *, require_questions: bool) -> tuple[Suite | None, list[str]]:
    try:
        file = resolve_suite_path(path)
        raw = json.loads(file.read_text(encoding="utf-8-sig"))  # a BOM, as Windows editors write, is fine
    except DataFormatError as e:
        return None, [str(e)]
    except (OSError, UnicodeDecodeError) as e:
        return None, [f"{path}: cannot read: {e}"]
    except json.JSONDecodeError as e:
        return None, [f"{path}: not valid JSON: {e}"]
    if isinstance(raw, list):
        return _load_reference_meta(file, raw, require_questions=require_questions)
    return _load_suite_dict(file, raw, require_questions=require_questions)


def _load_suite_dict(file: Path, raw: Any, *, require_questions: bool) -> tuple[Suite | None, list[str]]:
    problems: list[str] = []
    if not isinstance(raw, dict):
        return None, [f"{file}: a suite is a JSON object (or the reference's meta.json list)"]
    if raw.get("format") != SUITE_FORMAT:
        problems.append(f"{file}: field 'format' must be {SUITE_FORMAT!r}, got {raw.get('format')!r}")
    if raw.get("schema_version") != SUITE_SCHEMA_VERSION:
        problems.append(
            f"{file}: field 'schema_version' must be {SUITE_SCHEMA_VERSION}, got {raw.get('schema_version')!r}"
        )
    for key in ("suite_id", "version"):
        if not isinstance(raw.get(key), str) or not raw.get(key):
            problems.append(f"{file}: field {key!r} must be a non-empty string")
    protocol = raw.get("protocol", config.PROTOCOL_ID)
    if protocol != config.PROTOCOL_ID:
        problems.append(f"{file}: field 'protocol' is {protocol!r}; this version implements {config.PROTOCOL_ID!r}")
    items = raw.get("scenarios")
    if not isinstance(items, list) or not items:
        problems.append(f"{file}: field 'scenarios' must be a non-empty list")
        return None, problems
    scenarios: list[Scenario] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        sc, errs = _parse_scenario(file, i, item, require_questions=require_questions)
        problems += errs
        if sc is not None:
            if sc.id in seen:
                problems.append(f"{file}: scenario {sc.id!r}: field 'id': duplicate id")
            seen.add(sc.id)
            scenarios.append(sc)
    suite_hash = _suite_hash(str(raw.get("suite_id")), str(raw.get("version")), scenarios)
    stored = raw.get("content_hash")
    if stored is not None and stored != suite_hash and not problems:
        problems.append(
            f"{file}: field 'content_hash' is {stored}, but the content hashes to {suite_hash}: "
            "a changed scenario needs a new suite version (rewrite the hash with `intergeneval suite hash`)"
        )
    suite = Suite(
        suite_id=str(raw.get("suite_id")),
        version=str(raw.get("version")),
        scenarios=tuple(scenarios),
        content_hash=suite_hash,
        protocol=protocol,
        source=file,
        description=str(raw.get("description", "")),
    )
    return suite, problems


def _parse_scenario(file: Path, index: int, item: Any, *, require_questions: bool) -> tuple[Scenario | None, list[str]]:
    if not isinstance(item, dict):
        return None, [f"{file}: scenarios[{index}]: must be an object"]
    sid = item.get("id")
    where = f"{file}: scenario {sid!r}" if isinstance(sid, str) and sid else f"{file}: scenarios[{index}]"
    problems: list[str] = []

    def bad(fieldname: str, what: str) -> None:
        problems.append(f"{where}: field {fieldname!r}: {what}")

    if not isinstance(sid, str) or not sid:
        bad("id", "must be a non-empty string")
    elif any(c in sid for c in "/\\") or sid.startswith("."):
        bad("id", "must be usable as a file name (no slashes, no leading dot)")
    for key in sorted(set(item) - _SCENARIO_KEYS):
        known = ", ".join(sorted(_SCENARIO_KEYS))
        bad(key, f"unknown field.{did_you_mean(key, _SCENARIO_KEYS)} Known: {known}")
    if not isinstance(item.get("video_prompt"), str) or not item["video_prompt"].strip():
        bad("video_prompt", "must be a non-empty string")
    image_prompt = item.get("image_prompt")
    if image_prompt is not None and not isinstance(image_prompt, str):
        bad("image_prompt", "must be a string")
    objects = _parse_objects(item.get("objects"), bad)
    for key, allowed in (
        ("interaction_type", config.INTERACTION_TYPES),
        ("direction", config.DIRECTIONS),
        ("pairing", (*config.PAIRINGS, UNSPECIFIED)),
    ):
        if item.get(key) not in allowed:
            bad(key, f"must be one of {', '.join(allowed)}; got {item.get(key)!r}")
    fields = item.get("fields", {})
    if not isinstance(fields, dict):
        bad("fields", "must be an object")
        fields = {}
    first_frame = _resolve_file(file, item.get("first_frame"), "first_frame", bad)
    masks = None
    if item.get("masks") is not None:
        if not isinstance(item["masks"], list):
            bad("masks", "must be a list of mask image paths, one per object")
        else:
            resolved = [_resolve_file(file, m, f"masks[{k}]", bad) for k, m in enumerate(item["masks"])]
            if len(resolved) != len(objects):
                bad("masks", f"has {len(resolved)} masks for {len(objects)} objects (one per object, in order)")
            if all(r is not None for r in resolved):
                masks = tuple(r for r in resolved if r is not None)
    kis = _parse_key_interactions(item.get("key_interactions"), bad, require_questions=require_questions)
    if problems:
        return None, problems
    files = [p for p in (first_frame, *(masks or ())) if p is not None]
    content_hash = sha256_json({"scenario": item, "files": [sha256_file(p) for p in files]})
    return Scenario(
        id=sid,
        video_prompt=item["video_prompt"],
        objects=objects,
        interaction_type=item["interaction_type"],
        direction=item["direction"],
        pairing=item["pairing"],
        key_interactions=kis,
        image_prompt=image_prompt,
        first_frame=first_frame,
        masks=masks,
        fields=fields,
        content_hash=content_hash,
    ), []


def _parse_objects(raw: Any, bad) -> tuple[ObjectSpec, ...]:
    if not isinstance(raw, list) or not raw:
        bad("objects", "must be a non-empty list of {class, appearance}")
        return ()
    out = []
    for k, o in enumerate(raw):
        if not isinstance(o, dict) or not isinstance(o.get("class"), str) or not o["class"].strip():
            bad(f"objects[{k}].class", "must be a non-empty string")
            continue
        if not isinstance(o.get("appearance"), str) or not o["appearance"].strip():
            bad(f"objects[{k}].appearance", "must be a non-empty string")
            continue
        out.append(ObjectSpec(o["class"], o["appearance"]))
    return tuple(out)


def _parse_key_interactions(raw: Any, bad, *, require_questions: bool) -> tuple[KeyInteraction, ...]:
    if raw is None or raw == []:
        if require_questions:
            bad("key_interactions", "no frozen questions: build them with `intergeneval suite build`")
        return ()
    if not isinstance(raw, list):
        bad("key_interactions", "must be a list of {text, questions}")
        return ()
    out = []
    for j, ki in enumerate(raw):
        name = f"key_interactions[{j}]"
        if not isinstance(ki, dict) or not isinstance(ki.get("text"), str) or not ki["text"].strip():
            bad(f"{name}.text", "must be a non-empty string")
            continue
        qs = ki.get("questions")
        if not isinstance(qs, list):
            bad(f"{name}.questions", "must be a list of {slot, text}")
            continue
        questions = []
        for q in qs:
            if not isinstance(q, dict) or not isinstance(q.get("slot"), int) or not isinstance(q.get("text"), str):
                bad(f"{name}.questions", f"each question needs an integer slot and a text; got {q!r}")
                continue
            questions.append(Question(q["slot"], q["text"]))
        slots = sorted(q.slot for q in questions)
        if len(questions) == len(qs) and slots != list(range(1, config.NUM_SLOTS + 1)):
            bad(f"{name}.questions", f"slots must be exactly 1..{config.NUM_SLOTS} once each; got {slots}")
            continue
        if any(not q.text.strip() for q in questions):
            bad(f"{name}.questions", "a question text is empty")
            continue
        out.append(KeyInteraction(ki["text"], tuple(sorted(questions, key=lambda q: q.slot))))
    return tuple(out)


def _resolve_file(file: Path, value: Any, fieldname: str, bad) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        bad(fieldname, "must be a path relative to the suite file")
        return None
    p = (file.parent / value).resolve()
    if not p.is_file():
        bad(fieldname, f"file {p} does not exist")
        return None
    return p


def _suite_hash(suite_id: str, version: str, scenarios: Iterable[Scenario]) -> str:
    return "sha256:" + sha256_json(
        {"suite_id": suite_id, "version": version, "scenarios": [s.content_hash for s in scenarios]}
    )


def _load_reference_meta(file: Path, raw: list, *, require_questions: bool) -> tuple[Suite | None, list[str]]:
    """Read the reference's `meta.json` (+ `images/`, `masks/`, `questions/`) as a suite.

    A sample's id is its position as `f"{i:03d}"`; object k's mask is `masks/{id}/id{k}.png`; questions
    (when present) come from `questions/{id}.json`, whose `items[*].questions` are placed in slots 1–10 by
    position. The reference records no pairing, so scenarios get `unspecified`.
    """
    root = file.parent
    converted = []
    for i, entry in enumerate(raw):
        sid = f"{i:03d}"
        if not isinstance(entry, dict):
            converted.append({"id": sid})
            continue
        objs = entry.get("objects") if isinstance(entry.get("objects"), list) else []
        item: dict[str, Any] = {
            "id": sid,
            "video_prompt": entry.get("video_text_prompt"),
            "objects": objs,
            "interaction_type": REFERENCE_TYPES.get(entry.get("interaction_type"), entry.get("interaction_type")),
            "direction": entry.get("interaction_direction"),
            "pairing": UNSPECIFIED,
        }
        if entry.get("image_text_prompt") is not None:
            item["image_prompt"] = entry["image_text_prompt"]
        if (root / "images" / f"{sid}.png").is_file():
            item["first_frame"] = f"images/{sid}.png"
        mask_paths = [f"masks/{sid}/id{k}.png" for k in range(1, len(objs) + 1)]
        if objs and all((root / m).is_file() for m in mask_paths):
            item["masks"] = mask_paths
        qfile = root / "questions" / f"{sid}.json"
        if qfile.is_file():
            item["key_interactions"] = _reference_questions(qfile)
        converted.append(item)
    suite_dict = {
        "format": SUITE_FORMAT,
        "schema_version": SUITE_SCHEMA_VERSION,
        "suite_id": f"reference-{root.name}",
        "version": "meta.json",
        "protocol": config.PROTOCOL_ID,
        "scenarios": converted,
    }
    return _load_suite_dict(file, suite_dict, require_questions=require_questions)


def _reference_questions(qfile: Path) -> Any:
    try:
        data = json.loads(qfile.read_text(encoding="utf-8"))
        return [
            {"text": it["key_interaction"], "questions": [{"slot": k + 1, "text": q} for k, q in enumerate(it["questions"])]}
            for it in data["items"]
        ]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        return f"unreadable question file {qfile}: {e}"


def suite_to_dict(suite_fields: dict[str, Any], scenarios: list[dict[str, Any]]) -> dict[str, Any]:
    """Assemble a suite file's JSON (used by suite writers); the content hash is computed by `write_suite`."""
    return {
        "format": SUITE_FORMAT,
        "schema_version": SUITE_SCHEMA_VERSION,
        "protocol": config.PROTOCOL_ID,
        **suite_fields,
        "scenarios": scenarios,
    }


def write_suite(path: Path, suite_dict: dict[str, Any]) -> Suite:
    """Write a suite file with its content hash filled in, then load it back (validated)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {k: v for k, v in suite_dict.items() if k != "content_hash"}
    atomic_write_text(path, json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    suite = load_suite(path, require_questions=False)
    body["content_hash"] = suite.content_hash
    atomic_write_text(path, json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    return load_suite(path, require_questions=False)


# --------------------------------------------------------------------------------------------- results
def atomic_write_text(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never half of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one record and flush it to disk at once, so a crash loses nothing already done."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(canonical_json(record) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Read a JSONL file; a torn last line (a crash mid-write) is skipped, other bad lines raise."""
    if not path.is_file():
        return
    lines = path.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as e:
            if n == len(lines):
                continue
            raise DataFormatError(f"{path}: line {n} is not valid JSON: {e}") from None


def write_json(path: Path, value: Any) -> None:
    """Write JSON deterministically (sorted keys, fixed indentation) so equal results are equal bytes."""
    atomic_write_text(path, json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


#: A spreadsheet reads a cell starting with one of these as a formula (CSV formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A value safe to open in a spreadsheet: text that would start a formula gets a leading `'`.

    Numbers are left alone (a negative score stays a number); only text is changed.

    Example:
        >>> [csv_cell(v) for v in ("=1+1", "-model", "@sum", "model", -0.5)]
        ["'=1+1", "'-model", "'@sum", 'model', -0.5]
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(path: Path, header: list[str], rows: Iterable[list[Any]]) -> None:
    """Write a CSV file atomically (text cells neutralised with `csv_cell`)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows([csv_cell(v) for v in row] for row in rows)
    atomic_write_text(path, buf.getvalue())
