"""Offline verification of seals and proofs: JAdES, Data Integrity, JWS; a `Verdict` per document.

Nothing here opens a network connection: keys come from `did:key` or configured data files, JSON-LD
contexts from the pinned cache in `contexts/`.
"""

from models.credentials.verify.keys import KeyStore, TrustList, VerifierConfig
from models.credentials.verify.verdict import Signer, Verdict

__all__ = ["KeyStore", "Signer", "TrustList", "Verdict", "VerifierConfig"]
