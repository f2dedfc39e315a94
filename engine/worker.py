"""Supervised worker processes, so a fault in durable-rules never takes down the caller.

durable-rules is a C extension that can segfault, loop forever or exhaust memory on some inputs,
and none of that can be caught inside the process it happens in. `WorkerPool.call` runs a function
in a long-lived child process instead (module-level caches such as compiled rulesets survive
between calls), under a wall-clock limit and an address-space limit, with a fresh child whenever
one dies.
"""

from __future__ import annotations

import contextlib
import faulthandler
import importlib
import multiprocessing
import os
import queue
import resource
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from engine.errors import EngineCrashed, EngineFailure, EngineMemoryExceeded, EngineTimeout

# Exit status of a worker that hit MemoryError and could not even send a reply.
_EXIT_MEMORY = 86


def _resolve(target: str) -> Callable[[Any], Any]:
    module_name, _, attribute = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj


def _worker_main(conn: Connection, memory_limit: int | None) -> None:
    """Serve (target, payload) requests until told to stop or the parent goes away."""
    # Ctrl-C in a terminal reaches the whole process group; the parent decides what happens to a
    # running call, and a KeyboardInterrupt here would only look like a crash.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A signal mask survives fork and exec; a server thread may have blocked signals we rely on.
    signal.pthread_sigmask(signal.SIG_SETMASK, ())
    # A segfault then leaves the Python stack of the call in the log, not just "SIGSEGV".
    faulthandler.enable()
    if memory_limit is not None:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_limit if hard == resource.RLIM_INFINITY else min(memory_limit, hard)
        # Soft and hard alike, so code run here cannot lift it again.
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    functions: dict[str, Callable[[Any], Any]] = {}
    while True:
        try:
            request = conn.recv()
            if request is None:
                return
            target, payload = request
            try:
                if target not in functions:
                    functions[target] = _resolve(target)
                conn.send(("ok", functions[target](payload)))
            except MemoryError:
                raise
            except Exception as exc:  # also covers a result that does not pickle
                conn.send(("error", type(exc).__name__, str(exc)))
        except MemoryError:
            # The heap (ours or a C extension's) may be half-updated: report if there is room,
            # then exit so the parent starts a clean worker.
            try:
                conn.send(("memory",))
            finally:
                os._exit(_EXIT_MEMORY)
        except (EOFError, OSError):
            return  # the parent has gone; nobody is left to answer


def _describe_exit(code: int | None) -> str:
    if code is None or code >= 0:
        return f"exit code {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    pending: bool = False  # a request was sent and its reply not read: the pipe is out of step
    dead: bool = False
    exitcode: int | None = None


class WorkerPool:
    """A fixed number of worker processes; each serves one call at a time, threads may share it."""

    def __init__(
        self,
        size: int = 1,
        timeout: float | None = 10.0,
        memory_limit_mb: int | None = 1024,
        start_method: str = "forkserver",
    ) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, not {size}")
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout}")
        # fork would copy a multi-threaded web process (locks held by other threads included) and
        # any durable-rules state; forkserver and spawn start from a clean interpreter.
        if start_method not in ("forkserver", "spawn"):
            raise ValueError(f"start_method must be 'forkserver' or 'spawn', not {start_method!r}")
        self._ctx = multiprocessing.get_context(start_method)
        self._timeout = timeout
        self._memory_limit_mb = memory_limit_mb
        # One token per process slot; None means "not started yet", so nothing starts until the
        # first call. LIFO hands out the most recently used worker, whose caches are warm.
        self._idle: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(size):
            self._idle.put(None)
        self._lock = threading.Lock()
        self._closed = False
        self._stats = dict.fromkeys(("calls", "crashes", "timeouts", "memory_kills", "restarts"), 0)

    def call(self, target: str, payload: Any, timeout: float | None = None) -> Any:
        """Return `function(payload)`, run in a worker, for `target` "module.path:function".

        Raises EngineTimeout, EngineCrashed, EngineMemoryExceeded (the worker is replaced) or
        EngineFailure (the function raised; the worker is kept). A payload that does not pickle
        raises the pickling error unchanged.
        """
        module_name, sep, attribute = target.partition(":")
        if not (module_name and sep and attribute):
            raise ValueError(f"target must look like 'module.path:function', not {target!r}")
        limit = self._timeout if timeout is None else timeout
        self._count("calls")
        worker = self._acquire()
        try:
            return self._exchange(worker, target, payload, limit)
        finally:
            self._release(worker)

    def stats(self) -> dict[str, int]:
        """Counts of calls, crashes, timeouts, memory_kills and restarts since the pool was made."""
        with self._lock:
            return dict(self._stats)

    def close(self) -> None:
        """Stop idle workers now; a worker busy in another thread stops when its call returns."""
        drained: list[_Worker | None] = []
        with self._lock:
            self._closed = True
            while not self._idle.empty():
                drained.append(self._idle.get_nowait())
        for worker in drained:
            if worker is not None:
                self._stop(worker)
            self._idle.put(None)  # keeps the token count, so waiting threads wake up and leave

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _exchange(self, worker: _Worker, target: str, payload: Any, limit: float | None) -> Any:
        try:
            worker.conn.send((target, payload))
        except (EOFError, OSError):
            raise self._crashed(worker, target) from None
        worker.pending = True
        if not worker.conn.poll(limit):
            self._kill(worker)
            self._count("timeouts")
            raise EngineTimeout(f"{target} exceeded the time limit of {limit:g} s; worker killed")
        try:
            status, *rest = worker.conn.recv()
        except (EOFError, OSError):
            raise self._crashed(worker, target) from None
        worker.pending = False
        if status == "ok":
            return rest[0]
        if status == "memory":
            self._kill(worker)
            raise self._memory_exceeded(target)
        raise EngineFailure(*rest)

    def _crashed(self, worker: _Worker, target: str) -> Exception:
        self._kill(worker, grace=2.0)  # usually already dead; the grace lets us read its status
        code = worker.exitcode
        if code == _EXIT_MEMORY:
            return self._memory_exceeded(target)
        self._count("crashes")
        return EngineCrashed(f"engine worker died while running {target} ({_describe_exit(code)})")

    def _memory_exceeded(self, target: str) -> Exception:
        self._count("memory_kills")
        limit = self._memory_limit_mb
        return EngineMemoryExceeded(f"{target} exceeded the worker memory limit of {limit} MB")

    def _acquire(self) -> _Worker:
        token = self._idle.get()
        try:
            if self._closed:
                raise RuntimeError("WorkerPool is closed")
            if token is not None and not token.process.is_alive():
                # Died while idle (killed by an operator or the OOM killer): no call was lost.
                self._kill(token)
                self._count("restarts")
                token = None
            return token if token is not None else self._start()
        except BaseException:
            if token is not None:
                self._stop(token)
            self._idle.put(None)  # the slot stays, empty, so the token count never drops
            raise

    def _release(self, worker: _Worker) -> None:
        if worker.pending:
            # Interrupted mid-call (e.g. KeyboardInterrupt in this thread): the late reply would
            # be read as the answer to the next call, so this worker cannot be reused.
            self._kill(worker)
        token: _Worker | None = worker
        if worker.dead and not self._closed:
            # Replace now rather than on the next call: the child boots while this error travels.
            try:
                token = self._start()
                self._count("restarts")
            except Exception:
                token = None  # the next call retries the start and reports its error
        with self._lock:  # close() drains under this lock, so nothing slips in behind it
            if not self._closed:
                self._idle.put(token)
                return
        self._stop(worker)
        if token is not None:
            self._stop(token)
        self._idle.put(None)

    def _start(self) -> _Worker:
        parent_conn, child_conn = self._ctx.Pipe()
        limit = None if self._memory_limit_mb is None else self._memory_limit_mb * 1024 * 1024
        process = self._ctx.Process(
            target=_worker_main,
            args=(child_conn, limit),
            name="credstack-engine-worker",
            # Daemon workers are terminated at interpreter exit, so a pool that was never closed
            # cannot hang the exit of the web process or the CLI.
            daemon=True,
        )
        try:
            process.start()
        except BaseException:
            parent_conn.close()
            raise
        finally:
            # Our copy of the child's end must go, or its death would never show up as EOF.
            child_conn.close()
        return _Worker(process, parent_conn)

    def _stop(self, worker: _Worker) -> None:
        if not worker.dead:
            with contextlib.suppress(OSError):
                worker.conn.send(None)  # ask politely; _kill reaps it or, failing that, kills it
        self._kill(worker, grace=1.0)

    def _kill(self, worker: _Worker, grace: float = 0.0) -> None:
        """Make sure the process is gone and reaped, waiting `grace` seconds before SIGKILL."""
        if worker.dead:
            return
        worker.dead = True
        worker.process.join(grace)
        if worker.process.exitcode is None:
            worker.process.kill()
            worker.process.join()
        worker.exitcode = worker.process.exitcode
        worker.conn.close()
        worker.process.close()

    def _count(self, key: str) -> None:
        with self._lock:
            self._stats[key] += 1
