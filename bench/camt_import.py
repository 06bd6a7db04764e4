"""Measure the bank statement import: one camt.053 file against as many open orders.

For each database and size the benchmark creates a fresh database, bulk-inserts the open
orders, writes a camt.053.001.08 file with one entry per order, and runs
``python -m stadtkasse import_bank_statement`` in a child process. It reports the wall
time of the import, the child's CPU time (user and system) and peak resident memory
(ru_maxrss), the CPU time of the PostgreSQL backends, and the load average and the CPU
that other programs used meanwhile, so that a run on a busy machine can be judged. Two
sizes show whether memory grows with the file.

    .venv/bin/python -m bench.camt_import --db sqlite,postgres --entries 10000,100000

Every 100th entry carries no Kassenzeichen, so that the candidate search for unmatched
lines is part of the measurement; the others write the Kassenzeichen in rotating forms
(plain, grouped with spaces, dotted, without check digit).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import cpu
from stadtkasse.core import kassenzeichen as kz

REPO = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
POSTGRES_NAME = "stadtkasse_bench_camt"
IBAN = "DE44250501800000123456"
PREFIX, WIDTH, METHOD = "51", 8, "mod10"


def database_env(database: str, data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "STADTKASSE_DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    if database == "postgres":
        postgres_admin(
            f'DROP DATABASE IF EXISTS "{POSTGRES_NAME}"', f'CREATE DATABASE "{POSTGRES_NAME}"'
        )
        env["DATABASE_URL"] = f"{POSTGRES_SERVER}/{POSTGRES_NAME}"
    return env


def postgres_admin(*statements: str, database: str = "postgres") -> None:
    """Run statements outside a transaction, as CREATE DATABASE and VACUUM need."""
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/{database}", autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def run(env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, *args], env=env, cwd=REPO, capture_output=True, text=True
    )
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


def setup(entries: int, file_path: Path) -> None:
    """Create the town and the open orders, and write the statement file (child process)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stadtkasse.settings")
    django.setup()
    from stadtkasse.core.models import Municipality
    from stadtkasse.orders.models import Order

    town = Municipality.objects.create(
        slug="bench",
        name="Benchstadt",
        kassenzeichen_prefix=PREFIX,
        kassenzeichen_width=WIDTH,
        kassenzeichen_method=METHOD,
    )
    numbers = []
    number = 1
    while len(numbers) < entries:
        if kz.build(PREFIX, number, WIDTH, METHOD):
            numbers.append(number)
        number += 1
    batch = []
    for index, number in enumerate(numbers):
        batch.append(
            Order(
                municipality=town,
                code=f"BENCH{index:08d}",
                kassenzeichen=kz.build(PREFIX, number, WIDTH, METHOD),
                channel="portal",
                total_cents=1000 + index % 5000,
                state="pending_payment",
            )
        )
        if len(batch) == 5000:
            Order.objects.bulk_create(batch)
            batch = []
    Order.objects.bulk_create(batch)

    with file_path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:'
            'tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>BENCH-1</MsgId>'
            "<CreDtTm>2026-03-03T06:00:00+01:00</CreDtTm></GrpHdr><Stmt><Id>BENCH-STMT-1</Id>"
            "<ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>2026-03-03T06:00:00+01:00</CreDtTm>"
            f"<Acct><Id><IBAN>{IBAN}</IBAN></Id></Acct>\n"
        )
        for index, number in enumerate(numbers):
            out.write(_entry(index, kz.build(PREFIX, number, WIDTH, METHOD), 1000 + index % 5000))
        out.write("</Stmt></BkToCstmrStmt></Document>\n")


def _entry(index: int, value: str, cents: int) -> str:
    forms = [value, f"{value[:4]} {value[4:8]} {value[8:]}", kz.display(value), value[:-1]]
    text = "Spende ohne Angabe" if index % 100 == 99 else f"Gebühr Kassenzeichen {forms[index % 4]}"
    amount = f"{cents // 100}.{cents % 100:02d}"
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
        f"<BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-02</Dt></ValDt>"
        f"<AcctSvcrRef>BENCH{index:010d}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT"
        f"</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs>"
        f'<EndToEndId>NOTPROVIDED</EndToEndId></Refs><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>'
        f"CRDT</CdtDbtInd><RltdPties><Dbtr><Pty><Nm>Zahlende Person {index}</Nm></Pty></Dbtr>"
        f"<DbtrAcct><Id><IBAN>DE02370501980001802057</IBAN></Id></DbtrAcct></RltdPties>"
        f"<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n"
    )


def import_and_report(file_path: Path) -> None:
    """Run the import command in this process and print its peak resident memory."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stadtkasse.settings")
    django.setup()
    call_command("import_bank_statement", str(file_path), municipality="bench", skip_checks=True)
    # ru_maxrss is in KiB on Linux. For children it is the largest of them: the process
    # that parsed the file, where the import used one.
    print(
        "peak_rss_kib",
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )


def measure(database: str, entries: int) -> dict:
    try:
        return _measure(database, entries)
    finally:
        if database == "postgres":
            postgres_admin(f'DROP DATABASE IF EXISTS "{POSTGRES_NAME}"')


def _measure(database: str, entries: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="camt-bench-") as folder:
        data_dir = Path(folder)
        env = database_env(database, data_dir)
        run(env, "-m", "stadtkasse", "migrate", "--skip-checks", "-v", "0")
        file_path = data_dir / "bench.camt053.xml"
        run(env, "-m", "bench.camt_import", "--setup", str(entries), "--file", str(file_path))
        if database == "postgres":
            # Give the planner statistics of the new orders, and keep autovacuum from
            # doing so during the measurement.
            postgres_admin("VACUUM ANALYZE", database=POSTGRES_NAME)

        load_before = os.getloadavg()
        reference = cpu.reference_ms()
        before = cpu.snapshot(None)
        with cpu.PostgresCpu(POSTGRES_NAME if database == "postgres" else None) as postgres:
            started = time.perf_counter()
            child = subprocess.run(
                [sys.executable, "-m", "bench.camt_import", "--import", str(file_path)],
                env=env,
                cwd=REPO,
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - started
        after = cpu.snapshot(None)
        if child.returncode != 0:
            raise SystemExit(f"import failed:\n{child.stdout}\n{child.stderr}")
        output, peak_line = child.stdout.strip().rsplit("\n", 1)
        peak_kib, parser_peak_kib = (int(value) for value in peak_line.split()[1:])
        # The snapshot's client time is the CPU of every waited-for child, here the import.
        child_cpu = after.client - before.client
        machine_busy = after.machine_busy - before.machine_busy
        return {
            "database": database,
            "entries": entries,
            "file_mb": round(file_path.stat().st_size / 1e6, 1),
            "seconds": round(seconds, 1),
            "cpu_seconds": round(child_cpu, 1),
            "postgres_cpu_seconds": round(postgres.seconds, 1),
            "other_cpu_seconds": round(machine_busy - child_cpu - postgres.seconds, 1),
            "peak_rss_mb": round(peak_kib / 1024, 1),
            # The parsing process shares most of its pages with the import (it is forked
            # from it), so the two peaks overlap and do not simply add up.
            "parser_peak_rss_mb": round(parser_peak_kib / 1024, 1),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "reference_ms": reference,
            "output": output.strip(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", help="sqlite, postgres or both, comma-separated")
    parser.add_argument("--entries", default="100000", help="file sizes, comma-separated")
    parser.add_argument("--setup", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--import", dest="import_file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_file:
        import_and_report(args.import_file)
        return
    if args.setup:
        setup(args.setup, args.file)
        return
    for database in args.db.split(","):
        for entries in (int(value) for value in args.entries.split(",")):
            print(json.dumps(measure(database, entries), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
