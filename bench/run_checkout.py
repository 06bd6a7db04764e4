"""Benchmark portal checkouts through gunicorn: completed purchases per second.

Each simulated citizen is a new guest with a new browser session and runs the whole
purchase as a browser would, parsing every form from the page it got:

1. product pages: open two products and put them into the cart (a registration
   certificate and an adult day ticket), each POST redirected to the cart page;
2. checkout page: enter an e-mail address, choose the demo e-payment, submit;
3. the demo payment platform (/dev/epay/pay/): press "Bezahlen", which sends the signed
   notification to Stadtkasse and redirects back to the portal's return page.

Then the next citizen starts at once (a closed loop). The load generator runs on the same
machine.

    .venv/bin/python -m bench.run_checkout --db sqlite,postgres --citizens 8
"""

import logging
import os
import time

from bench import cpu
from bench.client import HttpError, Response, Session, find_form, submit
from bench.environment import (
    Installation,
    machine_facts,
)
from bench.load import run_load
from bench.run_counter import git_revision, run_load_benchmark

logger = logging.getLogger("bench.run_checkout")

CITIZEN_EMAIL = "buerger.bench@musterstadt.example"
PAY_BUTTON = "Bezahlen"


class _Steps:
    """Add up the seconds of the named steps of one purchase."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def run(self, name: str, call, *args, **kwargs):
        start = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


def _expect(response: Response, status: int, step: str) -> Response:
    if response.status != status:
        raise HttpError(
            f"{step}: HTTP {response.status} (expected {status}) for {response.url}: "
            f"{response.text[:200]}",
            response.status,
            response.body[:500],
        )
    return response


def buy(session: Session, spec: dict, steps: _Steps) -> Response:
    """Run one purchase from the first product page to the page after the payment."""
    for line in spec["lines"]:
        page = _expect(steps.run("product_page", session.get, line["url"]), 200, "product page")
        form = find_form(page.text, field="quantity")
        changes = {"quantity": str(line["quantity"])}
        if "variant" in form.field_names() or form.selects.get("variant") is not None:
            changes["variant"] = str(line["variant"])
        added = _expect(
            steps.run("add_to_cart", submit, session, page, form, **changes), 302, "add to cart"
        )
        _expect(steps.run("add_to_cart", session.follow, added), 200, "cart page")

    page = _expect(
        steps.run("checkout_page", session.get, spec["checkout_url"]), 200, "checkout page"
    )
    form = find_form(page.text, field="email")
    placed = _expect(
        steps.run("place_order", submit, session, page, form, email=CITIZEN_EMAIL, provider="demo"),
        302,
        "place order",
    )
    pay_page = _expect(steps.run("payment_page", session.follow, placed), 200, "payment page")
    pay_form = find_form(pay_page.text, button=PAY_BUTTON)
    paid = _expect(
        steps.run("pay", submit, session, pay_page, pay_form, button=PAY_BUTTON), 302, "pay"
    )
    return _expect(steps.run("return_page", session.follow, paid), 200, "return page")


def checkout_citizen(spec: dict):
    """Return the function that runs one purchase as a new guest citizen."""

    def purchase() -> tuple[bool, str, dict[str, float]]:
        session = Session(spec["base_url"])
        steps = _Steps()
        try:
            buy(session, spec, steps)
        finally:
            session.close()
        return True, "", steps.seconds

    return purchase


def bench_database(database: str, args) -> dict:
    installation = Installation(
        database,
        postgres_database=args.pg_database,
        keep=args.keep,
        revision=None if args.revision == "worktree" else args.revision,
    )
    with installation:
        facts = machine_facts(installation)
        items = installation.prepare("portal")
        runs = []
        for workers, threads in args.servers:
            installation.start_server(
                workers=workers, threads=threads, access_log=not args.no_access_log
            )
            for citizens in args.citizens:
                users = [
                    {"name": f"citizen-{n}", "base_url": installation.base_url, **items}
                    for n in range(citizens)
                ]
                quiet = cpu.wait_until_quiet(args.quiet_below, args.quiet_wait)
                meter = cpu.RunMeter(installation.server.pid, installation.postgres_name)
                load = run_load(
                    checkout_citizen,
                    users,
                    processes=args.client_processes,
                    warmup=args.warmup,
                    duration=args.duration,
                    meter=meter,
                )
                summary = {
                    "server": dict(installation.server_settings),
                    "citizens": citizens,
                    "checkouts_answered": load.total_successes,
                    **load.summary(),
                    "cpu": meter.usage(load.total_successes),
                    "machine_at_start": quiet,
                }
                summary.pop("users")
                runs.append(summary)
                print(_line(database, summary), flush=True)
            installation.stop_server()
        stored = installation.prepare("orders").get("portal/paid", 0)
        answered = sum(run["checkouts_answered"] for run in runs)
        if stored != answered:
            logger.warning(
                "stored %d paid portal orders, but %d checkouts succeeded", stored, answered
            )
        facts["load_average_after"] = os.getloadavg()
    return {
        "benchmark": "checkout",
        "database": database,
        "machine": facts,
        "revision": git_revision(installation),
        "cart": items["lines"],
        "paid_portal_orders_stored": stored,
        "checkouts_answered": answered,
        "runs": runs,
    }


def _line(database: str, run: dict) -> str:
    server = run["server"]
    return (
        f"{database:8} {server['workers']}x{server['threads']:<2} citizens={run['citizens']:<3} "
        f"{run['per_second']:6.1f} checkouts/s  p50={run['p50_ms']} ms  p95={run['p95_ms']} ms"
        f"  p99={run['p99_ms']} ms  errors={run['errors']}"
        f"  cpu={run['cpu']}"
    ) + (f"\n  first error: {run['first_errors'][0][:300]}" if run.get("first_errors") else "")


def main() -> None:
    run_load_benchmark(
        description="Measure complete portal checkouts (cart, checkout, demo payment) per "
        "second through gunicorn.",
        clients="citizens",
        clients_default="8",
        client_noun="number of citizens",
        output_default="checkout",
        bench_database=bench_database,
    )


if __name__ == "__main__":
    main()
