"""How the desk's codes read inside its sentences ("the case is decided; …", "no credit policy
is in force …", "batch 3 is running"): translatable words, the English the same as the code
with spaces."""

from __future__ import annotations

from models.messages import N_

_STATUS = {
    "open": N_("open"),
    "evaluated": N_("evaluated"),
    "waiting_for_applicant": N_("waiting for applicant"),
    "awaiting_confirmation": N_("awaiting confirmation"),
    "decided": N_("decided"),
    "reopened": N_("reopened"),
    "appealed": N_("appealed"),
}
_JOB_STATUS = {  # of a batch or an impact report
    "queued": N_("queued"),
    "running": N_("running"),
    "done": N_("done"),
    "failed": N_("failed"),
}
_PURPOSE = {
    "admission": N_("admission"),
    "credit": N_("credit"),
    "employment": N_("employment"),
}


def status_word(status: str) -> str:
    return _STATUS.get(status, status.replace("_", " "))


def job_status_word(status: str) -> str:
    return _JOB_STATUS.get(status, status)


def purpose_word(purpose: str) -> str:
    return _PURPOSE.get(purpose, purpose)
