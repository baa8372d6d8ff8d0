"""The supervisor of `ecmahost serve --workers N`: forks N workers from this process, which has bound the socket
and loaded the app (so they start with it loaded and share its memory pages, instead of each importing it all
again), replaces a worker that dies, and stops them all on SIGTERM/SIGINT.

It knows nothing of HTTP: each worker runs `work()` (`server.serve_worker`) and the worker's own server does the
graceful part (stop accepting, let requests in flight finish). Signals:

- SIGTERM, SIGINT: each worker is sent SIGTERM, and the supervisor returns once all have ended. Another one
  meanwhile is sent on to every worker again (a worker in its lame-duck drain then stops at once).
- SIGHUP: each worker in turn is replaced: its replacement is forked first, then it is sent SIGTERM and finishes
  its requests (the socket is shared, so no connection is refused meanwhile).

A worker that exits with `startup_failure` (its app, TLS or socket is broken, and would be on every restart) stops
the supervisor instead of being replaced. Uses only `multiprocessing`'s fork context and `signal`: POSIX only by
design (SIGHUP and fork do not exist on Windows, where the host runs as one process).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable
from multiprocessing.process import BaseProcess

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
RESTART_SIGNAL = signal.SIGHUP
CHECK_SECONDS = 0.5


class Supervisor:
    """Runs `count` processes of `work`, each forked after `before_work` (in the child: drop what belongs to the
    supervisor, such as its log handlers)."""

    def __init__(
        self,
        count: int,
        work: Callable[[], None],
        *,
        before_work: Callable[[], None] = lambda: None,
        startup_failure: int | None = None,
    ) -> None:
        self.count = count
        self.work = work
        self.before_work = before_work
        self.startup_failure = startup_failure
        self.workers: list[BaseProcess] = []
        self._signals: list[int] = []
        self._wake = threading.Event()
        self._stopping = False
        self._context = multiprocessing.get_context("fork")  # POSIX only: server.worker_count checks os.fork

    def run(self) -> None:
        """Serve until a stop signal, then stop every worker and wait for them."""
        for number in (*STOP_SIGNALS, RESTART_SIGNAL):
            signal.signal(number, self._queue)
        logger.info("supervisor %s starting %d workers", multiprocessing.current_process().pid, self.count)
        self.workers = [self._start() for _ in range(self.count)]
        while not self._stopping:
            self._wake.wait(CHECK_SECONDS)
            self._wake.clear()
            self._handle_signals()
            self._replace_dead()
        for worker in self.workers:
            _terminate(worker)
        while any(worker.is_alive() for worker in self.workers):
            self._wake.wait(CHECK_SECONDS)
            self._wake.clear()
            if self._handle_signals():  # another stop: each worker ends its drain (`ecmahost.drain`) at once
                for worker in self.workers:
                    _terminate(worker)
        for worker in self.workers:
            worker.join()
        logger.info("supervisor stopped")

    def _queue(self, number: int, _frame: object) -> None:
        self._signals.append(number)
        self._wake.set()

    def _handle_signals(self) -> bool:
        """Act on the signals queued; True when one was a stop signal."""
        stop = False
        while self._signals:
            number = self._signals.pop(0)
            if number in STOP_SIGNALS:
                logger.info("received %s, stopping the workers", signal.Signals(number).name)
                self._stopping = stop = True
            elif number == RESTART_SIGNAL and not self._stopping:
                logger.info("received SIGHUP, replacing each worker")
                self._restart_all()
        return stop

    def _replace_dead(self) -> None:
        for index, worker in enumerate(self.workers):
            if self._stopping or worker.is_alive():
                continue
            worker.join()
            if self.startup_failure is not None and worker.exitcode == self.startup_failure:
                logger.error("worker %s failed to start; stopping", worker.pid)
                self._stopping = True
                return
            logger.warning("worker %s ended (exit code %s); starting another", worker.pid, worker.exitcode)
            self.workers[index] = self._start()

    def _restart_all(self) -> None:
        for index, old in enumerate(self.workers):
            self.workers[index] = self._start()
            _terminate(old)
            old.join()

    def _start(self) -> BaseProcess:
        process = self._context.Process(target=self._child, name="ecmahost-worker")  # type: ignore[attr-defined]
        process.start()
        return process

    def _child(self) -> None:
        """In the worker: default signal handlers (not the supervisor's, which only queue signals), then work."""
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for number in (signal.SIGTERM, RESTART_SIGNAL):
            signal.signal(number, signal.SIG_DFL)
        self.before_work()
        with contextlib.suppress(KeyboardInterrupt):  # the supervisor stops the workers: no traceback on Ctrl-C
            self.work()


def _terminate(worker: BaseProcess) -> None:
    if worker.exitcode is None and worker.pid is not None:
        worker.terminate()  # SIGTERM: the worker's server stops gracefully
