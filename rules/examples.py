"""Examples that build on another example: `like: NAME` with only what differs.

Real policies are tested on a base applicant and its variations (one score lower, one credential
older, one document missing). An example may name an earlier one with `like` and then give:
`applicant` (facts merged over the base's; null removes one), `request`, `wallet` (replaces the
base's), `change` ({credential id: {element: value or null}}, merged into that credential;
`extensions` merged too), `remove` (credential ids) and `add` (credentials). The expanded example
is an ordinary one; nothing else in the language sees `like`.
"""

from __future__ import annotations

import copy

from rules.errors import Problem

LIKE_KEYS = {"like", "change", "remove", "add"}


def expand_examples(doc: dict) -> list[Problem]:
    """Expand `like` examples in place (examples are in document order); returns problems."""
    examples = doc.get("examples")
    if not isinstance(examples, list):
        return []
    problems: list[Problem] = []
    by_name: dict[str, dict] = {}
    for i, raw in enumerate(examples):
        if not isinstance(raw, dict):
            continue
        path = f"examples[{i}]"
        if "like" in raw:
            base = by_name.get(raw["like"]) if isinstance(raw["like"], str) else None
            if base is None:
                problems.append(
                    Problem(f"{path}.like", f"no earlier example named {raw['like']!r}")
                )
                continue
            try:
                examples[i] = raw = _derive(base, raw, path)
            except ValueError as exc:
                problems.append(Problem(path, str(exc)))
                continue
        elif LIKE_KEYS & set(raw) - {"like"}:
            problems.append(Problem(path, "change, remove and add need `like`"))
        if isinstance(raw.get("name"), str):
            by_name[raw["name"]] = raw
    return problems


def _derive(base: dict, raw: dict, path: str) -> dict:
    out = copy.deepcopy({k: v for k, v in base.items() if k not in ("name", "expect")})
    for key, value in raw.items():
        if key in LIKE_KEYS:
            continue
        if key == "applicant" and isinstance(value, dict):
            facts = dict(out.get("applicant") or {})
            facts.update(value)
            out["applicant"] = {k: v for k, v in facts.items() if v is not None}
        else:
            out[key] = copy.deepcopy(value)
    wallet = out.get("wallet")
    credentials = wallet.get("credentials") if isinstance(wallet, dict) else None
    if any(k in raw for k in ("change", "remove", "add")):
        if not isinstance(credentials, list):
            raise ValueError("change, remove and add need the base wallet's credentials")
        ids = [c.get("id") for c in credentials if isinstance(c, dict)]
        for cid, changes in (raw.get("change") or {}).items():
            if cid not in ids or not isinstance(changes, dict):
                raise ValueError(f"change: no credential {cid!r} in the base example ({ids})")
            target = credentials[ids.index(cid)]
            for key, value in changes.items():
                if key == "extensions" and isinstance(value, dict):
                    merged = dict(target.get("extensions") or {})
                    merged.update(value)
                    target["extensions"] = {k: v for k, v in merged.items() if v is not None}
                elif value is None:
                    target.pop(key, None)
                else:
                    target[key] = value
        removed = raw.get("remove") or []
        for cid in removed:
            if cid not in ids:
                raise ValueError(f"remove: no credential {cid!r} in the base example")
        wallet["credentials"] = [c for c in credentials if c.get("id") not in removed] + list(
            copy.deepcopy(raw.get("add") or [])
        )
    return out
