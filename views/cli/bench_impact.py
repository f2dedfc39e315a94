"""The impact report over 10,000 stored cases: how long `credstack policy impact` takes.

Builds (once, in the file given) a desk database of one organisation with a synthetic policy of
50 recognition rules (`bench.synthetic`) and N cases of synthetic learners with 10 credentials
each, writes a draft that raises one workload threshold by 1 ECTS, then times
`credstack policy impact` over every case (median of the runs), on every core.

    python -m views.cli.bench_impact [--cases 10000] [--runs 3] [--db FILE] [--draft FILE]

A command, not a test: it takes minutes. Kept here because `bench/` does not reach the desk.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from bench.synthetic import AS_OF, policy_document, wallet_document
from models.desk import admin as desk_admin
from models.desk import cases as desk
from models.desk import impact as desk_impact
from models.store import database as store

RULES, CREDENTIALS = 50, 10
ADMIN, OFFICER = "admin@bench.example", "officer@bench.example"
_FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def build(path: Path, cases: int, log: Any = print) -> None:
    """A database with `cases` cases under the synthetic policy (kept if it has them)."""
    db = store.open_db(path)
    try:
        have = db.conn.execute("SELECT count(*) FROM cases").fetchone()[0]
        if have >= cases:
            return
        if have == 0:
            store.create_organisation(db, "bench", "Benchmark University")
            for email, role in ((ADMIN, "admin"), (OFFICER, "officer")):
                data = {"email": email, "display_name": role, "role": role,
                        "password": "benchmark password"}  # fmt: skip
                desk_admin.create_user(db, None, data, organisation="bench", hasher=_FAST)
            admin = desk_admin.find_user(db, ADMIN)
            desk_admin.publish_policy(db, admin, policy_document(RULES))
        officer = desk_admin.find_user(db, OFFICER)
        document = policy_document(RULES)
        started = time.perf_counter()
        for n in range(have, cases):
            data = {"wallet": wallet_document(CREDENTIALS, n), "purpose": "credit",
                    "application_date": AS_OF.isoformat(), "received_on": AS_OF.isoformat(),
                    "policy_id": document["id"], "policy_version": document["version"]}  # fmt: skip
            desk.open_case(db, officer, data)
            if (n + 1) % 1000 == 0:
                log(f"  {n + 1:,} cases opened ({time.perf_counter() - started:.0f} s)")
    finally:
        db.close()


def draft() -> dict[str, Any]:
    """The synthetic policy with the first ECTS threshold raised by 1, as a new version."""
    document = copy.deepcopy(policy_document(RULES))
    for rule in document["recognition"]:
        for condition in rule["checks"].get("workload", []):
            if condition.get("element") == "ects" and isinstance(
                condition.get("value"), int | float
            ):
                condition["value"] += 1
                document["version"] = "draft"
                return document
    raise RuntimeError("no ECTS threshold in the synthetic policy")


def measure(path: Path, runs: int, workers: int, log: Any = print) -> dict[str, Any]:
    db = store.open_db(path)
    try:
        admin = desk_admin.find_user(db, ADMIN)
        plan = desk_impact.plan_report(db, admin, desk_impact.load_draft(draft()), None, "all")
    finally:
        db.close()
    seconds, outcome = [], None
    for run in range(runs):
        started = time.perf_counter()
        outcome = desk_impact.run_plan(plan, b"bench", workers)
        seconds.append(time.perf_counter() - started)
        log(f"  run {run + 1}: {seconds[-1]:.1f} s, {outcome.changed:,} changed")
    median = statistics.median(seconds)
    assert outcome is not None
    return {"cases": len(plan.cases), "workers": workers, "runs": seconds, "median_s": median,
            "cases_per_s": len(plan.cases) / median, "changed": outcome.changed,
            "by_kind": outcome.by_kind}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--db", default="/tmp/credstack-impact-bench.sqlite")
    parser.add_argument("--draft", help="Also write the draft here, as JSON (for the CLI).")
    args = parser.parse_args()
    path = Path(args.db)
    print(f"database {path}: {args.cases:,} cases of {CREDENTIALS} credentials, {RULES} rules")
    build(path, args.cases)
    if args.draft:
        # JSON (a policy file may be JSON): YAML would write shared parts as aliases.
        Path(args.draft).write_text(json.dumps(draft(), ensure_ascii=False, indent=1), "utf-8")
    f = measure(path, args.runs, args.workers)
    print(f"impact report over {f['cases']:,} stored cases on {f['workers']} worker(s): "
          f"median {f['median_s']:.1f} s of {len(f['runs'])} runs "
          f"({f['cases_per_s']:.0f} cases/s); {f['changed']:,} cases changed")  # fmt: skip
    print(f"by kind: {f['by_kind']}")


if __name__ == "__main__":
    main()
