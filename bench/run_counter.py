"""Benchmark counter sales through gunicorn: sales per second and latency per number of tills.

Each till is a point of sale of the Hallenbad with its own logged-in cashier. A till sells
in a closed loop with no pause: one order of two lines (two adult day tickets and one
evening ticket, 10,50 EUR), paid in cash with 20,00 EUR tendered, through
``POST /kasse/<pos_id>/verkauf``. The load generator runs on the same machine.

    .venv/bin/python -m bench.run_counter --db sqlite,postgres --tills 1,8,32
"""

import argparse
import logging
import os
import subprocess
import uuid

from bench import cpu
from bench.client import Session
from bench.environment import (
    DATABASES,
    REPO_DIR,
    BenchError,
    Installation,
    machine_facts,
    stop_on_sigterm,
    write_result,
)
from bench.load import run_load

logger = logging.getLogger("bench.run_counter")

LOGIN_PATH = "/kasse/anmelden/"
TENDERED_CENTS = 2000


def counter_till(spec: dict):
    """Log a till's cashier in and return the function that makes one cash sale."""
    session = Session(spec["base_url"])
    session.login(spec.get("login_path", LOGIN_PATH), spec["username"], spec["password"])
    path = f"/kasse/{spec['pos_id']}/verkauf"
    expected_total = spec["total_cents"]

    def sell() -> tuple[bool, str]:
        payload = {
            "token": str(uuid.uuid4()),
            "lines": spec["lines"],
            "method": "cash",
            "tendered_cents": TENDERED_CENTS,
        }
        response = session.post_json(path, payload)
        if response.status != 201:
            return False, f"HTTP {response.status}: {response.text[:200]}"
        body = response.json()
        if body.get("total_cents") != expected_total:
            return False, f"total_cents {body.get('total_cents')} != {expected_total}"
        if body.get("change_cents") != TENDERED_CENTS - expected_total:
            return False, f"change_cents {body.get('change_cents')} is wrong"
        return True, ""

    return sell


def parse_server(text: str) -> tuple[int, int]:
    """Parse a server setting written as WORKERSxTHREADS, for example 2x8."""
    try:
        workers, threads = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid server setting {text!r}; write workers x threads, for example 2x8"
        ) from None
    return workers, threads


def default_server_setting() -> str:
    """Return the gunicorn setting ./serve uses: WEB_CONCURRENCY x GUNICORN_THREADS, else 2x8."""
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    threads = os.environ.get("GUNICORN_THREADS", "8")
    return f"{workers}x{threads}"


def git_revision(installation: Installation) -> dict:
    """Describe the code a result was measured on: a commit, or the working tree."""
    if installation.commit:
        return {"commit": installation.commit[:12], "working_tree": False}
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
    ).stdout
    head = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_DIR, capture_output=True, text=True
    ).stdout.strip()
    return {"commit": head, "working_tree": True, "uncommitted_changes": bool(status.strip())}


def bench_database(database: str, args) -> dict:
    """Run every server setting and till count against one fresh installation."""
    installation = Installation(
        database,
        postgres_database=args.pg_database,
        keep=args.keep,
        revision=None if args.revision == "worktree" else args.revision,
    )
    with installation:
        facts = machine_facts(installation)
        data = installation.prepare("tills", "--count", str(max(args.tills)))
        runs = []
        for workers, threads in args.servers:
            installation.start_server(
                workers=workers, threads=threads, access_log=not args.no_access_log
            )
            for tills in args.tills:
                users = [
                    {
                        **till,
                        "base_url": installation.base_url,
                        "lines": data["counter_lines"],
                        "total_cents": data["counter_total_cents"],
                    }
                    for till in data["tills"][:tills]
                ]
                quiet = cpu.wait_until_quiet(args.quiet_below, args.quiet_wait)
                meter = cpu.RunMeter(installation.server.pid, installation.postgres_name)
                load = run_load(
                    counter_till,
                    users,
                    processes=args.client_processes,
                    warmup=args.warmup,
                    duration=args.duration,
                    meter=meter,
                )
                summary = {
                    "server": dict(installation.server_settings),
                    "tills": tills,
                    "sales_answered": load.total_successes,
                    **load.summary(),
                    "cpu": meter.usage(load.total_successes),
                    "machine_at_start": quiet,
                }
                summary.pop("users")
                runs.append(summary)
                print(_line(database, summary), flush=True)
            installation.stop_server()
        stored = installation.prepare("orders").get("counter/paid", 0)
        answered = sum(run["sales_answered"] for run in runs)
        if stored != answered:
            logger.warning(
                "stored %d paid counter orders, but %d sale requests succeeded", stored, answered
            )
        facts["load_average_after"] = os.getloadavg()
    return {
        "benchmark": "counter",
        "database": database,
        "machine": facts,
        "revision": git_revision(installation),
        "sale": {
            "lines": data["counter_lines"],
            "total_cents": data["counter_total_cents"],
            "tendered_cents": TENDERED_CENTS,
        },
        "paid_counter_orders_stored": stored,
        "sales_answered": answered,
        "runs": runs,
    }


def _line(database: str, run: dict) -> str:
    server = run["server"]
    return (
        f"{database:8} {server['workers']}x{server['threads']:<2} tills={run['tills']:<3} "
        f"{run['per_second']:7.1f} sales/s  p50={run['p50_ms']} ms  p95={run['p95_ms']} ms  "
        f"p99={run['p99_ms']} ms  errors={run['errors']}"
        f"  cpu={run['cpu']}"
    ) + (f"\n  first error: {run['first_errors'][0][:300]}" if run.get("first_errors") else "")


def run_load_benchmark(
    *,
    description: str,
    clients: str,
    clients_default: str,
    client_noun: str,
    output_default: str,
    bench_database,
) -> None:
    """Parse the options shared by the load benchmarks and run one per database.

    ``clients`` names the option with the numbers of concurrent clients (``tills`` or
    ``citizens``); its parsed list of integers lands on ``args`` under that name.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--db",
        default="sqlite,postgres",
        help="databases to measure, comma-separated: sqlite, postgres",
    )
    parser.add_argument(
        f"--{clients}",
        default=clients_default,
        help=f"numbers of concurrent {clients}, comma-separated (default {clients_default})",
    )
    parser.add_argument(
        "--servers",
        default=default_server_setting(),
        help="gunicorn settings as WORKERSxTHREADS, comma-separated; default "
        "from WEB_CONCURRENCY and GUNICORN_THREADS as ./serve does (2x8)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=20.0,
        help=f"measured seconds per {client_noun} (default 20)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=3.0,
        help="seconds of load before measuring, not counted (default 3)",
    )
    parser.add_argument(
        "--client-processes",
        type=int,
        default=2,
        help=f"processes of the load generator; {clients} run as threads in them",
    )
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=20.0,
        help="start each run only when the machine is less busy than this, "
        "in percent of all CPUs (default 20)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=300.0,
        help="seconds to wait for a quiet machine before running anyway; "
        "the result then says quiet: false (default 300)",
    )
    parser.add_argument(
        "--no-access-log",
        action="store_true",
        help="run gunicorn without the access log that ./serve writes",
    )
    parser.add_argument(
        "--revision",
        default="HEAD",
        help="git revision whose code to run (default HEAD); 'worktree' runs the working tree "
        "with its uncommitted changes",
    )
    parser.add_argument(
        "--pg-database",
        default="stadtkasse_bench",
        help="PostgreSQL database to create on 127.0.0.1:5432 and drop after",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the data folder and the PostgreSQL database for inspection",
    )
    parser.add_argument(
        "--output",
        default=output_default,
        help="result file name under bench/results/, without -<db>.json",
    )
    args = parser.parse_args()
    setattr(args, clients, [int(n) for n in getattr(args, clients).split(",")])
    args.servers = [parse_server(text) for text in args.servers.split(",")]
    databases = [name.strip() for name in args.db.split(",")]
    for name in databases:
        if name not in DATABASES:
            parser.error(f"unknown database {name!r}; use sqlite or postgres")

    stop_on_sigterm()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for database in databases:
        try:
            result = bench_database(database, args)
        except BenchError as error:
            raise SystemExit(f"{database}: {error}") from None
        path = write_result(f"{args.output}-{database}", result)
        print(f"results written to {path}")


def main() -> None:
    run_load_benchmark(
        description="Measure counter sales per second and their latency through gunicorn.",
        clients="tills",
        clients_default="1,8,32",
        client_noun="till count",
        output_default="counter",
        bench_database=bench_database,
    )


if __name__ == "__main__":
    main()
