"""Print the results under bench/results/ as Markdown tables for docs/benchmarks.md.

.venv/bin/python -m bench.report
"""

import json
import sys

from bench.environment import RESULTS_DIR


def _load(name: str) -> dict | None:
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _cpu_columns(run: dict) -> str:
    cpu = run["cpu"]
    postgres = cpu["postgres_cpu_ms_per_iteration"] or 0
    return (
        f"{cpu['server_cpu_ms_per_iteration']} | {postgres} | "
        f"{cpu['client_cpu_ms_per_iteration']} | {cpu['other_cpu_ms_per_iteration']}"
    )


def load_table(name: str, users_key: str, users_label: str, rate_label: str) -> list[str]:
    """Return a table of the runs of a load benchmark on both databases."""
    rows = [
        f"| database | gunicorn | {users_label} | {rate_label} | p50 ms | p95 ms | p99 ms "
        "| errors | server CPU ms | PostgreSQL CPU ms | client CPU ms | other CPU ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for database in ("sqlite", "postgres"):
        result = _load(f"{name}-{database}")
        if result is None:
            continue
        for run in result["runs"]:
            server = run["server"]
            rows.append(
                f"| {database} | {server['workers']}×{server['threads']} | {run[users_key]} "
                f"| {run['per_second']} | {run['p50_ms']} | {run['p95_ms']} | {run['p99_ms']} "
                f"| {run['errors']} | {_cpu_columns(run)} |"
            )
    return rows


def query_table() -> list[str]:
    rows = []
    for database in ("sqlite", "postgres"):
        result = _load(f"queries-{database}")
        if result is None:
            continue
        small, large = (str(n) for n in result["generated_products"])
        measured = result["by_generated_products"]
        rows += [
            f"{database} (equal: {'yes' if result['constant'] else 'no'})",
            "",
            f"| request | queries, +{small} products | queries, +{large} products |",
            "| --- | ---: | ---: |",
        ]
        for flow in measured[small]:
            for before, after in zip(measured[small][flow], measured[large][flow], strict=True):
                request = before["request"]
                if request.startswith("GET /zahlung/"):
                    request = "GET /zahlung/<reference>/zurueck/"
                if request.startswith("GET /bestellung/"):
                    request = "GET /bestellung/<code>/"
                rows.append(f"| {request} | {before['queries']} | {after['queries']} |")
            total_small = sum(entry["queries"] for entry in measured[small][flow])
            total_large = sum(entry["queries"] for entry in measured[large][flow])
            rows.append(f"| **{flow} in total** | **{total_small}** | **{total_large}** |")
        rows.append("")
    return rows


def main() -> None:
    sections = [
        ("Counter sales", load_table("counter", "tills", "tills", "sales/s")),
        ("Portal checkouts", load_table("checkout", "citizens", "citizens", "checkouts/s")),
        ("Server settings", load_table("counter-sweep", "tills", "tills", "sales/s")),
        ("Queries", query_table()),
    ]
    for title, rows in sections:
        sys.stdout.write(f"## {title}\n\n" + "\n".join(rows) + "\n\n")


if __name__ == "__main__":
    main()
