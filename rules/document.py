"""Read policy bytes into plain data within limits: size, UTF-8, nesting, no YAML aliases."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from rules.characters import unsafe_strings
from rules.errors import PolicyError, Problem

MAX_POLICY_BYTES = 2 * 1024 * 1024
MAX_NESTING = 40


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors/aliases: they allow tiny files that expand to huge documents. Only
    true and false are booleans (YAML 1.2): in YAML 1.1 a key `on:` (a table test's date) or a
    code `no` would silently turn into a boolean."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases (*name) are not allowed in a policy", event.start_mark
            )
        return super().compose_node(parent, index)


_NoAliasLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_NoAliasLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def parse_document(raw: bytes, source: str) -> Any:
    """Bytes → plain data (dicts, lists, scalars); every failure is a `PolicyError`."""
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(
            [Problem("", f"file is {len(raw)} bytes; at most {MAX_POLICY_BYTES} are accepted")],
            source,
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError([Problem("", f"not UTF-8 text (byte {exc.start})")], source) from None
    try:
        if source.endswith(".json"):
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise PolicyError([Problem("", "document nests too deeply")], source) from None
    except (ValueError, yaml.YAMLError) as exc:
        raise PolicyError([Problem("", f"cannot be parsed: {exc}")], source) from None
    if _depth(data) > MAX_NESTING:
        raise PolicyError([Problem("", f"document nests deeper than {MAX_NESTING} levels")], source)
    bad = [Problem(path, why) for path, why in unsafe_strings(data)]
    if bad:
        raise PolicyError(bad[:50], source)
    return data


def _depth(data: Any, level: int = 0) -> int:
    if level > MAX_NESTING:
        return level
    if isinstance(data, dict):
        return max((_depth(v, level + 1) for v in data.values()), default=level + 1)
    if isinstance(data, list):
        return max((_depth(v, level + 1) for v in data), default=level + 1)
    return level
