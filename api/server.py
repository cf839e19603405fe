"""Several web processes: gunicorn's arbiter with uvicorn workers (the `uvicorn-worker` package).

gunicorn keeps the processes (starts them, replaces one that dies or hangs, stops them all on
SIGTERM after their requests, SIGINT at once). With `reuse_port` each worker opens its own
listening socket (SO_REUSEPORT, gunicorn ≥ 24) and the arbiter none, so the kernel spreads new
connections over the workers; see api/serve.py for why that matters.

The embedded worker runs in exactly one of them: the arbiter, which alone knows which workers are
alive, gives the role to a new worker when no live one has it (`pre_fork`); the worker starts it
once its app is built (`post_worker_init`) and stops it on the way out (`worker_exit`).
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from engine.settings import Settings

WORKER_CLASS = "uvicorn_worker.UvicornWorker"


class InsatsGunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("pre_fork", _give_the_worker_role)
        self.cfg.set("post_worker_init", _start_the_worker)
        self.cfg.set("worker_exit", _stop_the_worker)

    def load(self) -> Any:
        from api.app import create_app

        # The parent synced the definitions already; a worker only reads them.
        return create_app(self.settings.model_copy(update={"sync_definitions": False}))


def _give_the_worker_role(arbiter: Any, worker: Any) -> None:
    embedded = arbiter.app.settings.embedded_worker
    worker.embedded_worker = embedded and not any(
        getattr(w, "embedded_worker", False) for w in arbiter.WORKERS.values()
    )


def _start_the_worker(worker: Any) -> None:
    if getattr(worker, "embedded_worker", False):
        from api.serve import start_worker

        worker.scheduler = start_worker(worker.wsgi.state.services, worker.app.settings)


def _stop_the_worker(arbiter: Any, worker: Any) -> None:
    scheduler = getattr(worker, "scheduler", None)
    if scheduler is not None:
        scheduler.shutdown(wait=False)


def run_gunicorn(
    settings: Settings, host: str, port: int, workers: int, *, log_level: str = "info", access_log: bool = True
) -> int:
    """Serve until SIGTERM/SIGINT; returns 0 once every worker has stopped."""
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": WORKER_CLASS,
        "reuse_port": True,
        "keepalive": 5,  # uvicorn's default; gunicorn's 2 s would drop idle party-system connections sooner
        "graceful_timeout": 30,
        "loglevel": log_level,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
    }
    try:
        InsatsGunicorn(settings, options).run()
    except SystemExit as exc:  # the arbiter exits when it has stopped its workers
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0
