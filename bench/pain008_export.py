"""Measure the pain.008 export: 10,000 scheduled direct debits into one file.

For each database the benchmark creates a fresh database, bulk-inserts the orders,
pending payments, mandates and debits, then runs ``python -m stadtkasse
export_direct_debits`` in a child process. It reports the wall time of that process
(Django start included) and the export time inside it. A third of the mandates are
one-off (OOFF), a third recurring and unused (FRST), a third recurring and used (RCUR).

    .venv/bin/python -m bench.pain008_export --db sqlite,postgres --debits 10000
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
POSTGRES_NAME = "stadtkasse_bench_pain008"
BATCH = 5000


def database_env(database: str, data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "STADTKASSE_DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    if database == "postgres":
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_NAME}"')
            connection.execute(f'CREATE DATABASE "{POSTGRES_NAME}"')
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{POSTGRES_NAME}"
    return env


def run(env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, *args], env=env, cwd=REPO, capture_output=True, text=True
    )
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


def setup(debits: int) -> None:
    """Create the town, its SEPA settings and the scheduled debits (child process)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stadtkasse.settings")
    django.setup()
    from django.utils import timezone

    from stadtkasse.core.models import Municipality
    from stadtkasse.orders.models import Order
    from stadtkasse.payments.models import Payment
    from stadtkasse.sepa.demo import load_demo_sepa_settings
    from stadtkasse.sepa.models import DirectDebit, SepaMandate

    town = Municipality.objects.create(slug="bench", name="Benchstadt")
    load_demo_sepa_settings(town)
    now = timezone.now()
    due = date(2026, 3, 2)
    for start in range(0, debits, BATCH):
        indexes = range(start, min(start + BATCH, debits))
        orders = Order.objects.bulk_create(
            Order(
                municipality=town,
                code=f"P{index:09d}",
                kassenzeichen=f"51{index:09d}",
                channel="portal",
                total_cents=1000 + index % 5000,
                state="pending_payment",
            )
            for index in indexes
        )
        payments = Payment.objects.bulk_create(
            Payment(
                order=order,
                method="sepa_debit",
                provider="sepa_debit",
                state="pending",
                amount_cents=order.total_cents,
                reference=uuid.uuid4(),
            )
            for order in orders
        )
        mandates = SepaMandate.objects.bulk_create(
            SepaMandate(
                municipality=town,
                reference=f"MS-{order.kassenzeichen}",
                mandate_type="OOFF" if index % 3 == 0 else "RCUR",
                account_holder=f"Zahlende Person {index} Müller",
                iban="DE02120300000000202051",
                bic="BYLADEM1001",
                creditor_id="DE98ZZZ09999999999",
                signed_on=due,
                text="Mandatstext",
                first_used_at=now if index % 3 == 2 else None,
            )
            for index, order in zip(indexes, orders, strict=True)
        )
        DirectDebit.objects.bulk_create(
            DirectDebit(
                payment=payment,
                mandate=mandate,
                amount_cents=payment.amount_cents,
                due_date=due,
                end_to_end_id=payment.reference.hex,
            )
            for payment, mandate in zip(payments, mandates, strict=True)
        )


def export_and_report(out: Path) -> None:
    """Run the export in this process and print the export time without Django's start."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stadtkasse.settings")
    django.setup()
    started = time.perf_counter()
    call_command(
        "export_direct_debits",
        due="2099-12-31",
        out=str(out),
        municipality="bench",
        skip_checks=True,
    )
    print("export_seconds", round(time.perf_counter() - started, 2))


def measure(database: str, debits: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="pain008-bench-") as folder:
        data_dir = Path(folder)
        env = database_env(database, data_dir)
        run(env, "-m", "stadtkasse", "migrate", "--skip-checks", "-v", "0")
        run(env, "-m", "bench.pain008_export", "--setup", str(debits))
        out = data_dir / "bench.pain008.xml"

        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-m", "bench.pain008_export", "--export", str(out)],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if child.returncode != 0:
            raise SystemExit(f"export failed:\n{child.stdout}\n{child.stderr}")
        output, timing = child.stdout.strip().rsplit("\n", 1)
        return {
            "database": database,
            "debits": debits,
            "file_mb": round(out.stat().st_size / 1e6, 1),
            "wall_seconds": round(seconds, 2),
            "export_seconds": float(timing.split()[-1]),
            "output": output.strip(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", help="sqlite, postgres or both, comma-separated")
    parser.add_argument("--debits", default="10000", help="numbers of debits, comma-separated")
    parser.add_argument("--setup", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--export", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export:
        export_and_report(args.export)
        return
    if args.setup:
        setup(args.setup)
        return
    for database in args.db.split(","):
        for debits in (int(value) for value in args.debits.split(",")):
            print(json.dumps(measure(database, debits), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
