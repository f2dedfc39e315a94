"""Signed checkpoints of the audit chains' heads: what a hash chain alone cannot show.

A chain shows every entry altered or removed before its newest one, but not that its newest
entries were cut off, nor that it was rewritten and hashed anew from some entry on. A checkpoint
records, per chain (organisation), its length and the seq and hash of its newest entry, with the
time, signed with the instance's Ed25519 audit key; kept where the database's writers cannot
reach, it proves later that every entry up to it is still there, unchanged: the chain must be at
least that long and its entry at that position must carry that hash (the chain's links then vouch
for every entry before it).

The key is configured as `CREDSTACK_AUDIT_KEY`: the base64 of a 32-byte Ed25519 private key (what
`credstack audit keygen` prints) or a PEM private key. Without one, development uses a key derived
from a fixed, public text: its checkpoints prove nothing to anyone who has the source, and the app
refuses to start in production without a key of its own. Checkpoints hold ids, counts and hashes
only, never personal data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from models.desk.audit import canonical
from models.errors import InvalidInput, ModelError
from models.messages import N_
from models.store import database as store
from models.store.database import DB

FORMAT = "credstack-audit-checkpoint/1"
DEVELOPMENT_AUDIT_KEY_SEED = hashlib.sha256(b"credstack-DEVELOPMENT-ONLY-audit-key").digest()
_KEY_FORMS = "the base64 of a 32-byte Ed25519 private key or a PEM private key"


class AuditKeyError(ModelError):
    """The audit key is missing where one is required, or is not an Ed25519 key."""


# ---- keys ---------------------------------------------------------------------------------------


_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _base64(text: bytes) -> bytes | None:
    try:
        return base64.b64decode(text.strip().translate(_URLSAFE), validate=True)
    except (binascii.Error, ValueError):
        return None


def load_signing_key(text: str | bytes | None) -> Ed25519PrivateKey:
    """The configured private key; None or empty: the development key. Never echoes the text."""
    if not text:
        return Ed25519PrivateKey.from_private_bytes(DEVELOPMENT_AUDIT_KEY_SEED)
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_private_key(data.strip(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise AuditKeyError(f"the audit key is not {_KEY_FORMS}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise AuditKeyError("the audit key is a PEM key of another kind than Ed25519")
        return key
    raw = _base64(data)
    if raw is None or len(raw) != 32:
        raise AuditKeyError(f"the audit key is not {_KEY_FORMS}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key given as base64 (32 bytes) or PEM; a PEM private key gives its public half."""
    data = text.encode("utf-8")
    if b"PRIVATE KEY-----" in data:
        return load_signing_key(data).public_key()
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_public_key(data.strip())
        except (ValueError, UnsupportedAlgorithm):
            key = None
        if not isinstance(key, Ed25519PublicKey):
            raise AuditKeyError("the public key is not a PEM Ed25519 public key")
        return key
    raw = _base64(data)
    if raw is None or len(raw) != 32:
        raise AuditKeyError("the public key is not the base64 of a 32-byte Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw)


def generate_key() -> str:
    """A new private key as one line of base64, for `CREDSTACK_AUDIT_KEY`."""
    raw = Ed25519PrivateKey.generate().private_bytes_raw()
    return base64.b64encode(raw).decode("ascii")


def public_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes_raw()).decode("ascii")


def key_id(key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the sha256 of the raw public key."""
    return hashlib.sha256(key.public_bytes_raw()).hexdigest()[:16]


DEVELOPMENT_KEY_ID = key_id(load_signing_key(None).public_key())


# ---- writing ------------------------------------------------------------------------------------


def make_checkpoint(db: DB, key: Ed25519PrivateKey) -> dict[str, Any]:
    """A signed checkpoint of every chain's head now: `{"checkpoint": {...}, "signature"}`."""
    body = {
        "format": FORMAT,
        "at": store.now(),
        "key_id": key_id(key.public_key()),
        "chains": store.chain_heads(db),
    }
    signature = key.sign(canonical(body).encode("utf-8"))
    return {"checkpoint": body, "signature": base64.b64encode(signature).decode("ascii")}


def checkpoint_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def write_file(path: Path, text: str) -> None:
    """Write whole or not at all: a temporary file, flushed to disk, renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def newest_seq_of(document: dict[str, Any]) -> int:
    return max((chain["seq"] for chain in document["checkpoint"]["chains"]), default=0)


def write_checkpoint(db: DB, key: Ed25519PrivateKey, directory: Path) -> Path:
    """A checkpoint into `directory`, named `audit-<UTC time>-<newest seq>.json`."""
    document = make_checkpoint(db, key)
    stamp = document["checkpoint"]["at"].replace("-", "").replace(":", "")
    path = Path(directory) / f"audit-{stamp}-{newest_seq_of(document)}.json"
    write_file(path, checkpoint_text(document))
    return path


# ---- verifying ----------------------------------------------------------------------------------


def read_checkpoint(text: str | bytes, name: str = "checkpoint") -> dict[str, Any]:
    """A checkpoint document, its shape checked; else `InvalidInput` under `name`."""
    try:
        document = json.loads(text)
        body = document["checkpoint"]
        ok = (
            isinstance(document["signature"], str)
            and body["format"] == FORMAT
            and isinstance(body["at"], str)
            and isinstance(body["key_id"], str)
            and all(
                set(c) == {"organisation", "length", "seq", "hash"}
                and isinstance(c["length"], int)
                and isinstance(c["seq"], int)
                and isinstance(c["hash"], str)
                and (c["organisation"] is None or isinstance(c["organisation"], int))
                for c in body["chains"]
            )
        )
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        raise InvalidInput({name: N_("not a %(format)s document", format=FORMAT)})
    return document


@dataclass(frozen=True)
class CheckpointVerdict:
    """Whether the trail still holds every entry up to a checkpoint, unchanged."""

    name: str
    at: str
    key_id: str
    chains: int
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        head = f"checkpoint {self.name} of {self.at} (key {self.key_id})"
        if self.key_id == DEVELOPMENT_KEY_ID:
            head += " [development key: proves nothing outside development]"
        if self.ok:
            return f"{head}: ok, all {self.chains} chains hold every entry up to it, unchanged"
        return "\n".join([f"{head}: FAILED", *(f"  {p}" for p in self.problems)])


def _chain_name(organisation: int | None) -> str:
    return "instance-wide chain" if organisation is None else f"organisation {organisation}"


def verify_checkpoint(
    db: DB, document: dict[str, Any], public_key: Ed25519PublicKey, name: str = "-"
) -> CheckpointVerdict:
    """Check the signature with the configured public key, then each chain against the trail."""
    body = document["checkpoint"]
    verdict = {"name": name, "at": body["at"], "key_id": body["key_id"], "chains": 0}
    expected = key_id(public_key)
    if body["key_id"] != expected:
        problem = f"signed with key {body['key_id']}, not with the configured key {expected}"
        return CheckpointVerdict(**verdict, problems=(problem,))
    signature = _base64(document["signature"].encode("utf-8")) or b""
    try:
        public_key.verify(signature, canonical(body).encode("utf-8"))
    except InvalidSignature:
        problem = f"the signature is not valid for key {expected}: the checkpoint was altered"
        return CheckpointVerdict(**verdict, problems=(problem,))
    lengths = {head["organisation"]: head["length"] for head in store.chain_heads(db)}
    problems = []
    for chain in body["chains"]:
        org, length = chain["organisation"], chain["length"]
        found = store.chain_entry_at(db, org, length)
        if found is None:
            problems.append(
                f"{_chain_name(org)}: the chain has {lengths.get(org, 0)} entries, the checkpoint "
                f"recorded {length} (up to seq {chain['seq']}): entries were removed"
            )
        elif found != (chain["seq"], chain["hash"]):
            differs = (
                "has another hash than"
                if found[0] == chain["seq"]
                else f"is seq {found[0]}, not seq {chain['seq']} as"
            )
            problems.append(
                f"{_chain_name(org)}: entry {length} of the chain {differs} the checkpoint "
                "recorded: entries up to it were removed or rewritten"
            )
    return CheckpointVerdict(**{**verdict, "chains": len(body["chains"])}, problems=tuple(problems))


# ---- the desk's own checkpoints -----------------------------------------------------------------


def latest_in(directory: Path) -> tuple[int, float]:
    """(newest seq, modification time) of the newest checkpoint in `directory`; (0, 0) if none."""
    newest = (0, 0.0)
    for path in Path(directory).glob("audit-*-*.json"):
        tail = path.stem.rsplit("-", 1)[-1]
        if tail.isdigit() and int(tail) >= newest[0]:
            newest = (int(tail), path.stat().st_mtime)
    return newest


class CheckpointSchedule:
    """When the desk writes a checkpoint into `directory`: once `every` entries were added since
    the newest one there, or once entries were added and it is older than `max_age` seconds.

    `due` is cheap (the caller passes the trail's newest seq) and claims the write, so one process
    writes once however many requests finish together; `write` runs after the response is sent.
    A failed write waits for the next threshold like a written one (the caller logs it); a claim
    never followed by a write (a response never closed) lapses after `CLAIM_LAPSES` seconds.
    """

    CLAIM_LAPSES = 300.0

    def __init__(
        self, directory: Path, key: Ed25519PrivateKey, *, every: int = 100, max_age: float = 3600
    ):
        self.directory, self.key = Path(directory), key
        self.every, self.max_age = every, max_age
        self._lock = threading.Lock()
        self._seq: int | None = None  # newest seq a checkpoint covers; read from disk on first use
        self._time = 0.0
        self._claimed: int | None = None
        self._claimed_at = 0.0

    def due(self, newest: int) -> bool:
        with self._lock:
            now = time.time()
            if self._claimed is not None and now - self._claimed_at < self.CLAIM_LAPSES:
                return False
            if self._seq is None:
                self._seq, self._time = latest_in(self.directory)
            if newest <= self._seq:
                return False
            if newest - self._seq < self.every and now - self._time < self.max_age:
                return False
            self._claimed, self._claimed_at = newest, now
            return True

    def write(self, db: DB) -> Path:
        written = self._claimed or 0
        try:
            path = write_checkpoint(db, self.key, self.directory)
            written = max(written, int(path.stem.rsplit("-", 1)[-1]))
            return path
        finally:
            with self._lock:
                self._seq, self._time, self._claimed = written, time.time(), None
