"""Count the SQL queries of one counter sale and one portal checkout, for two catalog sizes.

The server runs with bench.settings, which adds a middleware that counts each request's
queries. The benchmark adds a small number of generated products to the demo catalog,
measures, grows the catalog to a large number of generated products and measures again.
A request whose count grows with the catalog queries per product somewhere.

    .venv/bin/python -m bench.queries --db sqlite,postgres --small 10 --large 10000
"""

import argparse
import json
import logging
import os

from bench.client import HttpError
from bench.environment import (
    DATABASES,
    BenchError,
    Installation,
    machine_facts,
    stop_on_sigterm,
    write_result,
)
from bench.middleware import QUERY_LOG_NAME
from bench.run_checkout import checkout_citizen
from bench.run_counter import counter_till, git_revision

logger = logging.getLogger("bench.queries")

# Each flow runs this often per catalog size, and only the last run is reported. The first
# requests of a fresh worker fill caches (content types, permissions) and send more.
REPEATS = 3


def read_query_log(installation: Installation) -> list[dict]:
    path = installation.data_dir / QUERY_LOG_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def clear_query_log(installation: Installation) -> None:
    (installation.data_dir / QUERY_LOG_NAME).unlink(missing_ok=True)


def measure_flow(installation: Installation, run_once) -> list[dict]:
    """Run a flow REPEATS times and return the request log entries of the last run."""
    for _ in range(REPEATS - 1):
        run_once()
    clear_query_log(installation)
    run_once()
    return read_query_log(installation)


def measure(installation: Installation, data: dict, portal: dict, flows: list[str]) -> dict:
    """Count the queries of a sale and of a checkout with the current catalog."""
    till = {
        **data["tills"][0],
        "base_url": installation.base_url,
        "lines": data["counter_lines"],
        "total_cents": data["counter_total_cents"],
    }
    try:
        sell = counter_till(till)
    except HttpError as error:
        raise BenchError(f"cashier login failed: {error}") from None

    def sell_once() -> None:
        try:
            success, detail = sell()
        except HttpError as error:
            raise BenchError(f"counter sale failed: {error}") from None
        if not success:
            raise BenchError(f"counter sale failed: {detail}")

    def checkout_once() -> None:
        buy = checkout_citizen({"name": "citizen", "base_url": installation.base_url, **portal})
        try:
            buy()
        except HttpError as error:
            raise BenchError(f"portal checkout failed: {error}") from None

    runners = {"sale": sell_once, "checkout": checkout_once}
    return {
        flow: [_entry(entry) for entry in measure_flow(installation, runners[flow])]
        for flow in flows
    }


def _entry(entry: dict) -> dict:
    return {
        "request": f"{entry['method']} {entry['path']}",
        "status": entry["status"],
        "queries": entry["queries"],
        "statements": [statement[:160] for statement in entry["statements"]],
    }


def bench_database(database: str, args) -> dict:
    installation = Installation(
        database,
        postgres_database=args.pg_database,
        keep=args.keep,
        revision=None if args.revision == "worktree" else args.revision,
    )
    with installation:
        facts = machine_facts(installation)
        data = installation.prepare("tills", "--count", "1")
        portal = installation.prepare("portal")
        sizes = {}
        added = 0
        for size in (args.small, args.large):
            installation.prepare("products", "--count", str(size - added))
            added = size
            # One worker, so that every request of a flow meets the same warm caches. It
            # needs a second thread: the demo platform's payment request sends the
            # notification to Stadtkasse in the same server while it waits for the response.
            installation.start_server(
                workers=1, threads=4, access_log=False, settings_module="bench.settings"
            )
            sizes[str(size)] = measure(installation, data, portal, args.flows)
            installation.stop_server()
            print(_report(database, size, sizes[str(size)]), flush=True)
        facts["load_average_after"] = os.getloadavg()
    small, large = sizes[str(args.small)], sizes[str(args.large)]
    return {
        "benchmark": "queries",
        "database": database,
        "machine": facts,
        "revision": git_revision(installation),
        "generated_products": [args.small, args.large],
        "by_generated_products": sizes,
        "constant": _counts(small) == _counts(large),
    }


def _counts(measured: dict) -> list[tuple[str, int]]:
    return [
        (entry["request"].split("/")[1], entry["queries"])
        for flow in measured
        for entry in measured[flow]
    ]


def _report(database: str, size: int, measured: dict) -> str:
    lines = [f"{database}: demo catalog + {size} generated products"]
    for flow in measured:
        total = sum(entry["queries"] for entry in measured[flow])
        lines.append(f"  {flow}: {total} queries in {len(measured[flow])} requests")
        for entry in measured[flow]:
            lines.append(f"    {entry['queries']:3d}  {entry['status']}  {entry['request']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Count the SQL queries of a counter sale and a portal checkout for a "
        "small and a large catalog.",
    )
    parser.add_argument(
        "--db",
        default="sqlite,postgres",
        help="databases to measure, comma-separated: sqlite, postgres",
    )
    parser.add_argument(
        "--small",
        type=int,
        default=10,
        help="generated products added to the demo catalog first (default 10)",
    )
    parser.add_argument(
        "--large",
        type=int,
        default=10_000,
        help="generated products in the catalog for the second count (default 10000)",
    )
    parser.add_argument(
        "--flows", default="sale,checkout", help="flows to count, comma-separated: sale, checkout"
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
    args = parser.parse_args()
    args.flows = [name.strip() for name in args.flows.split(",")]
    for name in args.flows:
        if name not in ("sale", "checkout"):
            parser.error(f"unknown flow {name!r}; use sale or checkout")
    if not 0 <= args.small < args.large:
        parser.error(f"--small ({args.small}) must be smaller than --large ({args.large})")
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
        path = write_result(f"queries-{database}", result)
        verdict = "equal" if result["constant"] else "NOT equal"
        print(f"{database}: counts for {args.small} and {args.large} products are {verdict}")
        print(f"results written to {path}")


if __name__ == "__main__":
    main()
