"""A throwaway Stadtkasse installation for one benchmark: database, demo data, gunicorn.

Each benchmark gets its own data folder in a temporary directory, and on PostgreSQL its
own database. Everything listens on 127.0.0.1 only and is removed when the run ends.
"""

import json
import logging
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import cpu

logger = logging.getLogger(__name__)

REPO_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_DIR / "bench" / "results"
PYTHON = sys.executable
POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASES = ("sqlite", "postgres")


# The packages a benchmark copies out of a commit; the bench package itself is always
# taken from this checkout.
CODE_PACKAGES = ("stadtkasse", "stadtkasse_dev")


class BenchError(Exception):
    """The benchmark could not set up or run its installation; the message gives the reason."""


def stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so that a stopped benchmark still drops its database."""

    def stop(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, stop)


def export_code(revision: str, target: Path) -> str:
    """Copy the product's packages as committed in ``revision`` to ``target``.

    Benchmarks run committed code, so that edits in the working tree during a run cannot
    change the code under measurement. Returns the full commit id.
    """
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{revision}^{{commit}}"],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
    )
    if commit.returncode != 0:
        raise BenchError(f"git revision {revision!r} not found: {commit.stderr.strip()}")
    target.mkdir(parents=True)
    archive = subprocess.Popen(
        ["git", "archive", commit.stdout.strip(), *CODE_PACKAGES],
        cwd=REPO_DIR,
        stdout=subprocess.PIPE,
    )
    unpacked = subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout)
    archive.stdout.close()
    if archive.wait() != 0 or unpacked.returncode != 0:
        raise BenchError(f"could not export {CODE_PACKAGES} of {revision} to {target}")
    return commit.stdout.strip()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _psql(admin_url: str, sql: str) -> str:
    done = subprocess.run(
        ["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BenchError(f"psql failed on {sql!r}: {done.stderr.strip()}")
    return done.stdout.strip()


@dataclass
class Installation:
    """One Stadtkasse installation: a data folder, a database and at most one server."""

    database: str
    postgres_database: str = "stadtkasse_bench"
    postgres_admin_url: str = POSTGRES_ADMIN_URL
    keep: bool = False
    # A git revision to run, or None for the working tree as it is.
    revision: str | None = "HEAD"
    data_dir: Path = field(init=False)
    code_dir: Path = field(init=False)
    commit: str = field(default="", init=False)
    server: subprocess.Popen | None = field(default=None, init=False)
    port: int = field(default=0, init=False)
    server_settings: dict = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.database not in DATABASES:
            raise BenchError(f"unknown database {self.database!r}, use one of {DATABASES}")
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"stadtkasse-bench-{self.database}-"))
        self.code_dir = REPO_DIR
        self._created_postgres = False

    @property
    def database_url(self) -> str | None:
        if self.database != "postgres":
            return None
        base = self.postgres_admin_url.rsplit("/", 1)[0]
        return f"{base}/{self.postgres_database}"

    @property
    def postgres_name(self) -> str | None:
        """Return the name of this installation's PostgreSQL database, or None on SQLite."""
        return self.postgres_database if self.database == "postgres" else None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        """Return the environment for manage commands and the server of this installation."""
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        env.update(
            STADTKASSE_DATA_DIR=str(self.data_dir),
            STADTKASSE_DEMO="1",
            DJANGO_SETTINGS_MODULE="stadtkasse.settings",
            # The exported code comes first, so that it wins over the editable install.
            PYTHONPATH=f"{self.code_dir}{os.pathsep}{REPO_DIR}",
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(extra)
        return env

    # Setup and teardown

    def create(self) -> None:
        """Create the database, migrate it and load the Musterstadt demo, as ./serve does."""
        if self.revision is not None:
            self.code_dir = self.data_dir / "code"
            self.commit = export_code(self.revision, self.code_dir)
        if self.database == "postgres":
            exists = _psql(
                self.postgres_admin_url,
                f"SELECT 1 FROM pg_database WHERE datname = '{self.postgres_database}'",
            )
            if exists:
                raise BenchError(
                    f"PostgreSQL database {self.postgres_database} exists already; another "
                    f"benchmark may be using it. Drop it (dropdb -h 127.0.0.1 -U postgres "
                    f"{self.postgres_database}) or choose another with --pg-database."
                )
            _psql(self.postgres_admin_url, f'CREATE DATABASE "{self.postgres_database}"')
            self._created_postgres = True
        self.manage("migrate", "--no-input", "--verbosity", "0")
        self.manage("collectstatic", "--no-input", "--verbosity", "0")
        self.manage("load_demo")

    def destroy(self) -> None:
        """Stop the server, drop the database this run created and remove the data folder."""
        self.stop_server()
        if self.keep:
            logger.info("kept data folder %s", self.data_dir)
            return
        if self._created_postgres:
            _psql(
                self.postgres_admin_url,
                f'DROP DATABASE IF EXISTS "{self.postgres_database}" WITH (FORCE)',
            )
            self._created_postgres = False
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> "Installation":
        try:
            self.create()
        except BaseException:
            self.destroy()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.destroy()

    def manage(self, *args: str) -> str:
        """Run ``python -m stadtkasse`` with this installation's environment; return stdout."""
        done = subprocess.run(
            [PYTHON, "-m", "stadtkasse", *args],
            env=self.env(),
            cwd=self.code_dir,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BenchError(f"manage {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def prepare(self, *args: str) -> dict:
        """Run one step of bench.prepare against this installation; return its JSON output."""
        done = subprocess.run(
            [PYTHON, "-m", "bench.prepare", *args],
            env=self.env(),
            cwd=self.code_dir,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BenchError(f"bench.prepare {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout)

    # The server

    def start_server(
        self,
        *,
        workers: int,
        threads: int,
        access_log: bool = True,
        settings_module: str = "stadtkasse.settings",
    ) -> None:
        """Start gunicorn with the worker class and options of ./serve on a free port."""
        self.stop_server()
        self.port = free_port()
        self.server_settings = {
            "worker_class": "gthread",
            "workers": workers,
            "threads": threads,
            "access_log": access_log,
            "settings_module": settings_module,
        }
        command = [
            PYTHON,
            "-m",
            "gunicorn",
            "stadtkasse.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--forwarded-allow-ips",
            "127.0.0.1",
        ]
        if access_log:
            # ./serve writes the access log to stdout. Here it goes to a file in the data folder.
            command += ["--access-logfile", str(self.data_dir / "access.log")]
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - closed with the server
        self.server = subprocess.Popen(
            command,
            env=self.env(DJANGO_SETTINGS_MODULE=settings_module),
            cwd=self.code_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._server_log = log
        self._wait_until_ready()
        logger.info("gunicorn %s started on %s", self.server_settings, self.base_url)

    def _wait_until_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise BenchError(
                    f"gunicorn exited with {self.server.returncode}:\n{self.server_log()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not respond to /healthz within {timeout:.0f} s")

    def server_log(self) -> str:
        path = self.data_dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_server(self) -> None:
        if self.server is None:
            return
        self.server.terminate()  # gunicorn's arbiter stops its workers on SIGTERM
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
        self._server_log.close()
        self.server = None


# Facts about the machine, recorded with every result


def _command_output(*command: str) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine_facts(installation: Installation | None = None) -> dict:
    """Describe the machine and software versions a result was measured on."""
    import sqlite3

    cpu_model = ""
    for line in _command_output("lscpu").splitlines():
        if line.startswith("Model name:"):
            cpu_model = line.split(":", 1)[1].strip()
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    facts = {
        "cpu_model": cpu_model,
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "os": _os_name(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average_before": os.getloadavg(),
        "reference_ms": cpu.reference_ms(),
    }
    if installation is not None and installation.database == "postgres":
        facts["postgresql"] = _psql(installation.postgres_admin_url, "SHOW server_version")
    return facts


def _os_name() -> str:
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return platform.platform()


def write_result(name: str, result: dict) -> Path:
    """Write one result as JSON under bench/results/ and return the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return path
