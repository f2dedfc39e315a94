"""Evidence that arrives after a case is opened, merged into what the case already holds.

An applicant sends what was missing — a corrected credential, a new one, the English test
result — not the whole file again. A credential with an id already on file replaces it (a
correction), others are added; facts are added or corrected (a corrected fact loses the
provenance its earlier value had, unless the evidence states a new one); the request stays
unless the evidence carries another. Nothing is ever removed by adding evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from engine.inputs import Provenance, Wallet


def merged(
    previous: Wallet,
    new: Wallet | None,
    facts: Mapping[str, Any] | None = None,
    sources: Mapping[str, Provenance] | None = None,
) -> Wallet:
    """`previous` with the credentials of `new` and the facts (`new`'s, then `facts`) on top."""
    credentials = {c.id: c for c in previous.credentials}
    added_facts: dict[str, Any] = dict(new.applicant) if new else {}
    added_sources: dict[str, Provenance] = dict(new.applicant_provenance) if new else {}
    added_facts |= dict(facts or {})
    added_sources |= dict(sources or {})
    for credential in new.credentials if new else ():
        credentials[credential.id] = credential
    kept_sources = {k: p for k, p in previous.applicant_provenance.items() if k not in added_facts}
    return Wallet(
        previous.learner_key,
        tuple(credentials.values()),
        MappingProxyType({**previous.applicant, **added_facts}),
        (new.request if new and new.request else None) or previous.request,
        previous.complete_on,
        MappingProxyType(kept_sources | added_sources),
    )
