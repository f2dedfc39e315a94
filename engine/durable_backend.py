"""The only module that touches durable-rules: register rulesets, run one session, collect matches.

It drives the C module (`durable_rules_engine`) directly instead of `durable.lang`/`Host`: the Host
keeps global state, starts timer threads that crashed under concurrent use, and binds actions to
the wrong session. Here every call runs under one process-wide lock, each ruleset is registered once
under a name derived from the policy digest, facts get internal ids that are checked against the
engine's 32-bit hash, and the session is always deleted afterwards (at most 1024 may live).
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

try:
    import durable_rules_engine as _dre
except ImportError as exc:  # pragma: no cover - depends on the interpreter
    raise ImportError(
        "durable-rules 2.0.28 is not importable on this Python; credstack needs Python 3.11 or "
        f"3.12 with durable-rules built from source ({exc})"
    ) from exc

from engine.errors import EngineCompileError, EngineMalfunction

ENGINE_NAME = "durable-rules"
ENGINE_VERSION = "2.0.28"

_lock = threading.Lock()
_handles: dict[str, int] = {}
_SESSION = "1"  # one live session at a time (under the lock), deleted after every run
_id_pool: list[str] = []
_id_hashes: set[int] = set()


def fnv1a_32(text: str) -> int:
    """The hash durable-rules uses to tell fact and session ids apart."""
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def _fact_ids(count: int) -> list[str]:
    """`count` fact ids whose engine hashes are pairwise distinct (colliding ids mix facts)."""
    n = len(_id_pool)
    while len(_id_pool) < count:
        candidate = f"f{n}"
        n += 1
        value = fnv1a_32(candidate)
        if value not in _id_hashes:
            _id_hashes.add(value)
            _id_pool.append(candidate)
    return _id_pool[:count]


def register(name: str, ruleset: dict[str, Any]) -> None:
    """Register a ruleset once; durable-rules cannot replace or remove one."""
    with _lock:
        _register_locked(name, ruleset)


def _register_locked(name: str, ruleset: dict[str, Any]) -> int:
    handle = _handles.get(name)
    if handle is None:
        # The engine receives text, so nothing it does can touch our definition.
        text = json.dumps(ruleset, ensure_ascii=False, sort_keys=True)
        try:
            handle = _dre.create_ruleset(name, text)
        except _dre.error as exc:
            raise EngineCompileError(f"durable-rules refused the compiled policy: {exc}") from None
        _handles[name] = handle
    return handle


# A reply names one rule and echoes every matched fact whole; only the facts' `c` (the credential
# index) is wanted. Decoding the echo was the largest single cost of matching, so it is scanned:
# a quote inside a string value is escaped, so `"c":` is only ever the key (searching for the
# literal is several times faster than anchoring it on the `{` or `,` before it).
_RULE = re.compile(r'\{\s*"([^"\\]+)"\s*:')
_INDEX = re.compile(r'"c":\s*(\d+)')


def fired(reply: str) -> tuple[str, list[int]]:
    """(rule name, the `c` of each matched fact) from one action's state reply."""
    named = _RULE.match(reply)
    if named is None:
        raise EngineMalfunction("durable-rules replied without a rule name")
    return named.group(1), [int(c) for c in _INDEX.findall(reply, named.end())]


def run(
    name: str, ruleset: dict[str, Any], facts: list[dict[str, Any]], max_actions: int
) -> dict[str, list[int]]:
    """Assert `facts` (plus a gate fact, last) and return, per rule, the `c` of each match.

    Facts must not carry `sid` or `id`: this module assigns both.
    """
    with _lock:
        handle = _register_locked(name, ruleset)
        ids = _fact_ids(len(facts) + 1)
        batch = [dict(f, sid=_SESSION, id=ids[i]) for i, f in enumerate(facts)]
        batch.append({"sid": _SESSION, "id": ids[len(facts)], "gate": 1})
        matches: dict[str, list[int]] = {}
        try:
            code, state = _dre.assert_facts(handle, json.dumps(batch, ensure_ascii=False))
            # 1 ("not handled": some fact matched no rule) is a normal outcome here.
            if code not in (0, 1, 3):
                raise EngineMalfunction(f"durable-rules refused the facts (result code {code})")
            actions = 0
            result = _dre.start_action_for_state(handle, state)
            while result:
                actions += 1
                if actions > max_actions:
                    raise EngineMalfunction(f"more than {max_actions} rule firings; stopped")
                rule, found = fired(result[1])
                matches.setdefault(rule, []).extend(found)
                following = _dre.complete_and_start_action(handle, state)
                result = (None, following) if following else None
        except _dre.error as exc:
            raise EngineMalfunction(f"durable-rules failed: {exc}") from None
        finally:
            _dre.delete_state(handle, _SESSION)
        return matches
