"""`credstack batch --dask`: a Dask LocalCluster of two worker processes writes the very bytes
the local worker pool writes (fingerprints included), in input order."""

from __future__ import annotations

from pathlib import Path

import dask

from tests.test_batch import FIXTURES, _documents, _jsonl, batch


def test_a_dask_cluster_writes_the_bytes_the_local_pool_writes(tmp_path: Path) -> None:
    wallets = _jsonl(tmp_path / "wallets.jsonl", [*_documents(), {"credentials": "no list"}])
    local, dask = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    assert batch(out=local, wallets=wallets).exit_code == 1  # the last wallet is bad
    result = batch("--dask", "local", "--chunk-size", "3", out=dask, wallets=wallets)
    assert result.exit_code == 1, result.stderr
    assert dask.read_bytes() == local.read_bytes()
    assert local.read_bytes().count(b'"fingerprint":"sha256:') == len(_documents())
    # A folder, continued after an interruption, on Dask too.
    whole = tmp_path / "folder.jsonl"
    assert batch(out=whole, wallets=FIXTURES / "learners").exit_code == 0
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(whole.read_bytes()[: len(whole.read_bytes()) // 2])
    again = batch("--dask", "local", out=cut, wallets=FIXTURES / "learners")
    assert again.exit_code == 0, again.stderr
    assert cut.read_bytes() == whole.read_bytes()


def test_an_unreachable_scheduler_exits_2_and_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = batch("--dask", "tcp://127.0.0.1:9", out=out, wallets=FIXTURES / "learners")
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert not out.exists()
