"""Offline verification of seals and proofs: JAdES, Data Integrity, JWS; a `Verdict` per document.

Nothing here opens a network connection: keys come from `did:key` or configured data files, JSON-LD
contexts from the pinned cache in `contexts/`, status lists from local copies (`status_lists`).
A verdict keeps integrity, who signed (and whether a configured trust anchor confirms it), status
and validity period apart (`verdict`, `lifecycle`).
"""

from models.credentials.verify.keys import KeyStore, TrustList, VerifierConfig
from models.credentials.verify.status_lists import StatusLists
from models.credentials.verify.verdict import Signer, Verdict

__all__ = ["KeyStore", "Signer", "StatusLists", "TrustList", "Verdict", "VerifierConfig"]
