"""Ingest benchmark: responses/s through ``POST /api/v1/responses`` under gunicorn.

Run:  python benchmarks/ingest.py [--seconds 10] [--clients 16] [--workers 4] [--batch 50]
      [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

In one run, on one machine, with the same 16 loopback clients and the same gunicorn set-up
(4 sync workers), it measures:

1. the real app (PostgreSQL) storing valid ``nok_culture`` responses, each with a fresh id;
2. the ceiling of the server answering a constant response (no Flask, no database:
   ``benchmarks/constant_app.py``);
3. the ceiling of the server doing a bare one-row insert per request (no Flask: read the
   body, INSERT it with its id, COMMIT, answer 201: ``benchmarks/bare_insert_app.py``) —
   the rate the issue's goal is measured against (``app_vs_bare_insert``);
4. for reference, the database alone: the same INSERT + COMMIT from 16 threads, no HTTP;
5. the kiosk batch path: ``POST /api/v1/kiosk/batches`` with batches of 50 responses from
   16 clients, each a paired kiosk with its own device token (issue 11's goal: at least 5x
   the single-response rate). Every acknowledged item must be stored exactly once: the set
   of ids answered ``created`` equals the set of kiosk responses in the database.

It checks that the number of responses in the database equals the number of 201s (for the
app and for the bare insert), and prints one JSON object as its last line.  It creates a
scratch database beside the one named and drops it afterwards.  Nothing here is a test: it
only prints figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import psycopg
from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ANSWERS = {
    "q1": 1,
    "q2": 1,
    "q3": 1,
    "q4": 0,
    "q5": 1,
    "q6": 0,
    "q8": 1,
    "q9": 1,
    "q10": 0,
    "q12": 1,
    "q13": 1,
    "q14": 1,
    "q16": "female",
    "q17": 34,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


def start_gunicorn(target: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--preload",
            "--chdir",
            str(ROOT),
            target,
        ],
        env=env,
        start_new_session=True,
    )
    wait_for(port)
    return process


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (those that have ended count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def pids_of(*command: str) -> list[int]:
    found = subprocess.run(["pgrep", *command], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def load(
    port: int,
    clients: int,
    seconds: float,
    make_body,
    server: subprocess.Popen | None = None,
    *,
    path: str = "/api/v1/responses",
    headers_of=lambda index: {},
    on_reply=None,
) -> dict[str, object]:
    """Run ``clients`` keep-alive connections for ``seconds``; return counts and latencies.

    With ``server``, also the CPU time per request of the server's processes (master and
    workers), of PostgreSQL's processes (backends and background writers) and of this
    process (the 16 client threads): where a request's cost goes on a shared machine.
    """
    if server is not None:
        server_pids = [server.pid, *pids_of("-P", str(server.pid))]
        postgres_pids = pids_of("-x", "postgres")
        cpu_before = (cpu_seconds(server_pids), cpu_seconds(postgres_pids), time.process_time())
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[dict[int, int]] = [{} for _ in range(clients)]
    stop_at = time.monotonic() + seconds

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Content-Type": "application/json", **headers_of(index)}
        while time.monotonic() < stop_at:
            body = json.dumps(make_body()).encode()
            begin = time.perf_counter()
            connection.request("POST", path, body, headers)
            reply = connection.getresponse()
            content = reply.read()
            if on_reply is not None:
                on_reply(reply.status, content)
            latencies[index].append(time.perf_counter() - begin)
            statuses[index][reply.status] = statuses[index].get(reply.status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    begin = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - begin
    flat = sorted(x for chunk in latencies for x in chunk)
    counts: dict[int, int] = {}
    for chunk in statuses:
        for status, count in chunk.items():
            counts[status] = counts.get(status, 0) + count
    figures: dict[str, object] = {
        "elapsed_s": round(elapsed, 3),
        "requests": len(flat),
        "per_second": round(len(flat) / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(flat), 2),
        "p99_ms": round(1000 * flat[int(0.99 * (len(flat) - 1))], 2),
        "statuses": counts,
    }
    if server is not None:
        cpu_after = (cpu_seconds(server_pids), cpu_seconds(postgres_pids), time.process_time())
        spent = [after - before for before, after in zip(cpu_before, cpu_after, strict=True)]
        figures["cpu_ms_per_request"] = {
            name: round(1000 * seconds / max(len(flat), 1), 2)
            for name, seconds in zip(("server", "postgres", "client"), spent, strict=True)
        }
    return figures


def conninfo_of(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def reset_bare_table(url: str) -> None:
    with psycopg.connect(conninfo_of(url), autocommit=True) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS bare (id uuid PRIMARY KEY, payload text)")
        connection.execute("TRUNCATE bare")


def count_rows(url: str, table: str) -> int:
    with psycopg.connect(conninfo_of(url)) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def database_inserts(url: str, clients: int, seconds: float) -> dict[str, object]:
    """``clients`` threads, each: INSERT one row, COMMIT, repeat (no HTTP)."""
    conninfo = conninfo_of(url)
    reset_bare_table(url)
    counts = [0] * clients
    stop_at = time.monotonic() + seconds

    def worker(index: int) -> None:
        with psycopg.connect(conninfo) as connection:
            while time.monotonic() < stop_at:
                connection.execute("INSERT INTO bare VALUES (%s, %s)", (uuid.uuid4(), "x"))
                connection.commit()
                counts[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    begin = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"rows": sum(counts), "per_second": round(sum(counts) / (time.monotonic() - begin), 1)}


def kiosk_tokens(session, count: int) -> list[str]:
    """Create and pair ``count`` kiosks of the demo library for the nok-2026 campaign."""
    from survey_app.services import kiosks
    from survey_app.services.accounts import Scope
    from survey_app.services.accounts import create_user

    admin = create_user(
        session,
        email="bench@example.org",
        password="bench-password-1",
        role="admin",
        name="bench",
        scope=Scope(),
    )
    tokens = []
    for n in range(count):
        _, code = kiosks.create_kiosk(
            session,
            actor=admin,
            library="kemerovo-central",
            name=f"bench {n}",
            campaign="nok-2026",
        )
        tokens.append(kiosks.pair(session, code)[1])
    session.commit()
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=50, help="responses per kiosk batch")
    args = parser.parse_args()

    from survey_app import create_app
    from survey_app.db import upgrade_database
    from survey_app.extensions import db
    from survey_app.models import Response
    from tests.database import scratch_database

    os.environ["SURVEY_TEST_DATABASE_URL"] = args.database
    with scratch_database(Path("/tmp")) as url:
        upgrade_database(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            from survey_app.services.demo import seed_demo

            seed_demo(db.session, responses=0)
            db.session.commit()
            tokens = kiosk_tokens(db.session, args.clients)
        engine = create_engine(url)

        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-secret",
            "SURVEY_ENV": "production",
            # production refuses to start without the address printed on posters
            "SURVEY_PUBLIC_BASE_URL": "http://127.0.0.1",
            # production refuses per-process limit counters (sign-in limits, issue 12 §6)
            "SURVEY_RATELIMIT_STORAGE_URI": os.environ.get(
                "SURVEY_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379"
            ),
        }
        port = free_port()

        def body() -> dict[str, object]:
            return {
                "id": str(uuid.uuid4()),
                "campaign": "nok-2026",
                "library": "kemerovo-central",
                "channel": "qr",
                "answers": ANSWERS,
            }

        server = start_gunicorn("survey_app:create_app()", port, args.workers, env)
        try:
            load(port, args.clients, 2.0, body)  # warm-up: imports, pools, caches
            with engine.begin() as connection:
                connection.execute(Response.__table__.delete())
            app_figures = load(port, args.clients, args.seconds, body, server)
        finally:
            stop(server)
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM responses")).scalar_one()

        # the kiosk batch path, same server set-up, one paired kiosk per client
        acknowledged: list[str] = []
        receipts: dict[str, int] = {}
        lock = threading.Lock()
        clock = iter(range(10**9))

        def batch() -> dict[str, object]:
            items = []
            for _ in range(args.batch):
                n = next(clock)
                # 30 s apart on the tablet's clock: no interval or burst flags
                moment = datetime(2026, 3, 2, tzinfo=UTC) + timedelta(seconds=30 * n)
                items.append(
                    {
                        "id": str(uuid.uuid4()),
                        "answers": ANSWERS,
                        "submitted_at": moment.isoformat(),
                    }
                )
            return {"items": items}

        def on_batch_reply(status: int, content: bytes) -> None:
            if status != 200:
                return
            results = json.loads(content)["results"]
            with lock:
                for result in results:
                    receipts[result["status"]] = receipts.get(result["status"], 0) + 1
                    if result["status"] == "created":
                        acknowledged.append(result["id"])

        server = start_gunicorn("survey_app:create_app()", port := free_port(), args.workers, env)
        try:
            load(
                port,
                args.clients,
                2.0,
                batch,
                path="/api/v1/kiosk/batches",
                headers_of=lambda i: {"Authorization": f"Bearer {tokens[i]}"},
            )  # warm-up
            with engine.begin() as connection:
                connection.execute(Response.__table__.delete())
            batch_figures = load(
                port,
                args.clients,
                args.seconds,
                batch,
                server,
                path="/api/v1/kiosk/batches",
                headers_of=lambda i: {"Authorization": f"Bearer {tokens[i]}"},
                on_reply=on_batch_reply,
            )
        finally:
            stop(server)
        with engine.connect() as connection:
            kiosk_ids = [
                str(row[0])
                for row in connection.execute(
                    text("SELECT client_uuid FROM responses WHERE channel = 'kiosk'")
                )
            ]
        engine.dispose()
        batch_figures["responses"] = receipts.get("created", 0)
        batch_figures["responses_per_second"] = round(
            receipts.get("created", 0) / batch_figures["elapsed_s"], 1
        )
        batch_figures["receipts"] = receipts

        port = free_port()
        server = start_gunicorn("benchmarks.constant_app:app", port, args.workers, env)
        try:
            load(port, args.clients, 1.0, body)  # warm-up
            constant = load(port, args.clients, args.seconds, body, server)
        finally:
            stop(server)

        reset_bare_table(url)
        port = free_port()
        server = start_gunicorn("benchmarks.bare_insert_app:app", port, args.workers, env)
        try:
            load(port, args.clients, 2.0, body)  # warm-up: connections
            reset_bare_table(url)
            bare = load(port, args.clients, args.seconds, body, server)
        finally:
            stop(server)
        bare_stored = count_rows(url, "bare")

        database = database_inserts(url, args.clients, args.seconds)

    created = app_figures["statuses"].get(201, 0)
    batch_rate = batch_figures["responses_per_second"]
    result = {
        "benchmark": "ingest",
        "workers": args.workers,
        "clients": args.clients,
        "seconds": args.seconds,
        "app": app_figures,
        "constant_response": constant,
        "bare_insert": bare,
        "database_insert": database,
        "kiosk_batches": batch_figures,
        "batch_vs_single": round(batch_rate / app_figures["per_second"], 2),
        "batch_vs_bare_insert": round(batch_rate / bare["per_second"], 2),
        "goal_batch_5x_single": batch_rate >= 5 * app_figures["per_second"],
        # every acknowledged item is stored, once, and nothing unacknowledged is stored
        "batch_stored_exactly_once": sorted(acknowledged) == sorted(kiosk_ids)
        and len(set(kiosk_ids)) == len(kiosk_ids),
        "batch_stored": len(kiosk_ids),
        "app_vs_bare_insert": round(app_figures["per_second"] / bare["per_second"], 3),
        "app_vs_constant": round(app_figures["per_second"] / constant["per_second"], 3),
        "app_vs_database_insert": round(app_figures["per_second"] / database["per_second"], 3),
        "goal_half_of_bare_insert": app_figures["per_second"] >= 0.5 * bare["per_second"],
        "goal_p99_under_50ms": app_figures["p99_ms"] < 50,
        "stored_equals_201s": stored == created,
        "bare_stored_equals_201s": bare_stored == bare["statuses"].get(201, 0),
        "stored": stored,
        "created_201": created,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
