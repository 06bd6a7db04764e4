"""Benchmark duplicate payment notifications: many copies of one, at once, confirm once.

A payment provider may send the same notification several times, and a retry can
overlap the first delivery. This benchmark starts one demo e-payment, then sends the
provider's signed "paid" notification for it N times (default 500) from C concurrent
clients (default 16), over real HTTP to gunicorn on 127.0.0.1. Afterwards it checks in
the database that the payment is confirmed exactly once: one transition to confirmed,
one payment of the order confirmed, the order paid, no payment flagged for
clarification, and one stored event per notification.

    .venv/bin/python -m bench.notifications --db sqlite,postgres
    .venv/bin/python -m bench.notifications --db postgres --notifications 500 --clients 16

Each database gets a fresh installation of the committed code (git HEAD): SQLite in a
temporary data folder, PostgreSQL in its own database (default stadtkasse_bench_notify),
both removed at the end. Results go to bench/results/notifications-<db>.json.
"""

import argparse
import hashlib
import hmac
import json
import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.client import Session
from bench.environment import (
    DATABASES,
    PYTHON,
    BenchError,
    Installation,
    machine_facts,
    stop_on_sigterm,
    write_result,
)
from bench.load import latency_ms

logger = logging.getLogger("bench.notifications")

NOTIFY_PATH = "/zahlung/benachrichtigung/demo/"
SIGNATURE_HEADER = "X-Demo-Epay-Signature"
# The benchmark's own secret for the demo platform, given to the server by environment.
BENCH_SECRET = "bench-notifications-secret"


# Steps run inside the installation (a subprocess with its environment)


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stadtkasse.settings")
    if "STADTKASSE_DATA_DIR" not in os.environ:
        sys.exit("STADTKASSE_DATA_DIR is not set; this step only writes to a bench folder.")
    import django

    django.setup()


def start_payment() -> dict:
    """Check out a portal order and start a demo e-payment; return what a notification needs."""
    from stadtkasse.catalog.models import Product
    from stadtkasse.core.models import Municipality
    from stadtkasse.orders.cart import add_item, checkout
    from stadtkasse.orders.models import Cart
    from stadtkasse.orders.pricing import LineRequest
    from stadtkasse.payments.services import start_online_payment

    municipality = Municipality.objects.order_by("pk").first()
    cart = Cart.objects.create(municipality=municipality)
    ticket = Product.objects.get(slug="tageskarte")
    add_item(cart, LineRequest(ticket.pk, ticket.variants.get(name="Erwachsene").pk, 1))
    order = checkout(cart, email="bench@musterstadt.example")
    payment, _url = start_online_payment(
        order,
        provider_id="demo",
        return_url="http://127.0.0.1/zahlung/__REF__/zurueck/",
        notify_url=f"http://127.0.0.1{NOTIFY_PATH}",
    )
    return {
        "reference": str(payment.reference),
        "amount_cents": payment.amount_cents,
        "order": order.code,
    }


def check_payment(reference: str) -> dict:
    """Count what the notifications left behind for one payment."""
    from stadtkasse.payments.models import Payment, PaymentState

    payment = Payment.objects.select_related("order").get(reference=reference)
    events = payment.events.all()
    return {
        "payment_state": payment.state,
        "needs_clarification": payment.needs_clarification,
        "order_state": payment.order.state,
        "confirmed_payments_of_order": payment.order.payments.filter(
            state=PaymentState.CONFIRMED
        ).count(),
        "transitions_to_confirmed": events.filter(to_state=PaymentState.CONFIRMED)
        .exclude(from_state=PaymentState.CONFIRMED)
        .count(),
        "events": events.count(),
    }


def _step_main(argv: list[str]) -> None:
    _setup_django()
    if argv[0] == "start":
        print(json.dumps(start_payment()))
    elif argv[0] == "check":
        print(json.dumps(check_payment(argv[1])))
    else:
        sys.exit(f"unknown step {argv[0]!r}")


def _run_step(installation: Installation, *args: str) -> dict:
    done = subprocess.run(
        [PYTHON, "-m", "bench.notifications", "--step", *args],
        env=installation.env(),
        cwd=installation.code_dir,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BenchError(f"step {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# The load


def signed_notification(payment: dict) -> tuple[bytes, str]:
    """Build the demo platform's "paid" notification and its HMAC-SHA256 signature."""
    body = json.dumps(
        {
            "reference": payment["reference"],
            "status": "paid",
            "amount": payment["amount_cents"],
            "transaction": "bench-tx-1",
        }
    ).encode()
    signature = hmac.new(BENCH_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, signature


def send_notifications(base_url: str, payment: dict, *, count: int, clients: int) -> dict:
    """Send ``count`` copies of one notification from ``clients`` threads; time each request."""
    body, signature = signed_notification(payment)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
    sessions = threading.local()
    durations: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def warm_up(_index: int) -> None:
        sessions.session = Session(base_url)
        barrier.wait()

    def send(_index: int) -> None:
        start = time.perf_counter()
        response = sessions.session.request("POST", NOTIFY_PATH, body=body, headers=headers)
        elapsed = time.perf_counter() - start
        with lock:
            durations.append(elapsed)
            statuses[response.status] = statuses.get(response.status, 0) + 1

    with ThreadPoolExecutor(max_workers=clients) as pool:
        # One session per thread, all created before the clock starts.
        list(pool.map(warm_up, range(clients)))
        started = time.perf_counter()
        list(pool.map(send, range(count)))
        wall = time.perf_counter() - started

    return {
        "notifications": count,
        "clients": clients,
        "seconds": round(wall, 3),
        "per_second": round(count / wall, 1),
        "statuses": {str(status): number for status, number in sorted(statuses.items())},
        "latency": latency_ms(durations),
    }


def run(database: str, *, count: int, clients: int, workers: int, threads: int, pg_db: str):
    installation = Installation(database, postgres_database=pg_db)
    with installation:
        installation.start_server(workers=workers, threads=threads, access_log=False)
        payment = _run_step(installation, "start")
        load = send_notifications(installation.base_url, payment, count=count, clients=clients)
        outcome = _run_step(installation, "check", payment["reference"])
        facts = machine_facts(installation)

    failures = _check(outcome, load, count)
    result = {
        "benchmark": "notifications",
        "database": database,
        "server": {"workers": workers, "threads": threads, "worker_class": "gthread"},
        **load,
        "outcome": outcome,
        "failures": failures,
        "machine": facts,
    }
    path = write_result(f"notifications-{database}", result)
    _print(result, path)
    return failures


def _check(outcome: dict, load: dict, count: int) -> list[str]:
    expected = {
        "payment_state": "confirmed",
        "needs_clarification": False,
        "order_state": "paid",
        "confirmed_payments_of_order": 1,
        "transitions_to_confirmed": 1,
        # The redirect to the provider, then one event per notification.
        "events": 1 + count,
    }
    failures = [
        f"{key}: {outcome.get(key)!r}, expected {value!r}"
        for key, value in expected.items()
        if outcome.get(key) != value
    ]
    if load["statuses"] != {"200": count}:
        failures.append(f"HTTP statuses {load['statuses']}, expected 200 for all {count}")
    return failures


def _print(result: dict, path) -> None:
    latency = result["latency"]
    print(
        f"{result['database']}: {result['notifications']} notifications from "
        f"{result['clients']} clients in {result['seconds']} s = {result['per_second']}/s; "
        f"latency p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms, "
        f"p99 {latency['p99_ms']} ms, max {latency['max_ms']} ms"
    )
    print(f"  outcome: {json.dumps(result['outcome'])}")
    print("  exactly one confirmed payment: " + ("yes" if not result["failures"] else "NO"))
    for failure in result["failures"]:
        print(f"  FAILED {failure}")
    print(f"  result written to {path}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        _step_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgres", help="comma-separated: sqlite,postgres")
    parser.add_argument("--notifications", type=int, default=500, help="copies to send")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument(
        "--pg-database", default="stadtkasse_bench_notify", help="PostgreSQL database to create"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop_on_sigterm()
    # The server and the steps inherit the secret; the notifications are signed with it.
    os.environ["DEMO_EPAY_SECRET"] = BENCH_SECRET

    databases = [name.strip() for name in args.db.split(",") if name.strip()]
    unknown = [name for name in databases if name not in DATABASES]
    if unknown:
        parser.error(f"unknown database {unknown[0]!r}, use one of {', '.join(DATABASES)}")
    failures = []
    for database in databases:
        failures += run(
            database,
            count=args.notifications,
            clients=args.clients,
            workers=args.workers,
            threads=args.threads,
            pg_db=args.pg_database,
        )
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
