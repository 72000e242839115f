"""Load test of the command centre's API: concurrent simulated users on PostgreSQL.

Starts ``epicontrol serve`` (uvicorn, ``--workers`` processes) on loopback over
a PostgreSQL store that holds the demo city, logs in ``--users`` simulated
users and lets them work for ``--duration`` seconds: ``--read-share`` of their
requests are reads of the boards and lists (tasks, alerts, zones, cases,
contacts, persons, quarantine sites, the public zone list), the rest writes
(task start / complete by department officers, alert acknowledge /
investigate / close by commanders and epidemiologists), each with the
``If-Match`` ETag of the record, each user working its own records.  A user
waits ``--think`` seconds (uniform around the mean) between requests.

Reported: p50 / p95 / p99 latency of reads, writes and all requests, errors
(5xx, transport errors, unexpected 4xx), 409 conflicts, throughput, and a check
that every acknowledged (2xx) write is in the store afterwards — the record at
least at the acknowledged version and state, and its audit row with the
request's id.  The machine is shared: the load average before and after is
recorded.

The demo writes its city into SQLite; ``--from-sqlite`` copies that store into
the bench database first (it drops and re-creates the database's ``public``
schema — only ever pass a bench database)::

    epicontrol demo -w var/bench-api
    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE epicontrol_bench'
    python bench/bench_api_load.py --workspace var/bench-api \\
        --from-sqlite var/bench-api/epicontrol.db --users 200 --duration 120

The benchmark adds its own accounts (``bench_*``) and work items (tasks with
kind ``bench_load``, alerts on the demo's communities) to the bench database
before each run; it never touches another database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Integer, func, select, text
from sqlalchemy.orm import Session

from epicontrol.domains.city.models import Area, City
from epicontrol.domains.surveillance.models import Alert
from epicontrol.domains.tasks import service as tasks_service
from epicontrol.domains.tasks.models import Task
from epicontrol.domains.users import service as users
from epicontrol.domains.users.models import User
from epicontrol.domains.users.schemas import UserIn
from epicontrol.store.engine import make_engine
from epicontrol.store.migrate import upgrade

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/epicontrol_bench"
PASSWORD = "bench-password-not-secret"
DEPARTMENTS = ("health", "police", "transport", "community")
READS = (
    "/api/tasks?status=active&limit=50",
    "/api/alerts?status=open&limit=50",
    "/api/zones?active=true&limit=50",
    "/api/cases?limit=50",
    "/api/contacts?limit=50",
    "/api/persons?limit=50",
    "/api/quarantine/sites",
    "/api/public/zones",
    "/api/facilities?limit=50",
    "/api/auth/me",
)


# --------------------------------------------------------------------------- preparation


def copy_store(sqlite_path: Path, url: str) -> dict[str, int]:
    """Copy every table of a demo SQLite store into the (emptied, migrated) bench database."""
    from epicontrol.domains.metadata import metadata

    source = make_engine(f"sqlite:///{sqlite_path.resolve()}")
    target = make_engine(url)
    with target.begin() as c:
        c.execute(text("DROP SCHEMA public CASCADE"))
        c.execute(text("CREATE SCHEMA public"))
    upgrade(target)
    counts: dict[str, int] = {}
    with source.connect() as src, target.begin() as dst:
        for table in metadata.sorted_tables:
            rows = [dict(r._mapping) for r in src.execute(table.select())]
            for i in range(0, len(rows), 5000):
                dst.execute(table.insert(), rows[i : i + 5000])
            counts[table.name] = len(rows)
            if "id" in table.c and rows and isinstance(table.c.id.type, Integer):
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name})) "
                        f"WHERE pg_get_serial_sequence('{table.name}', 'id') IS NOT NULL"
                    )
                )
    with target.connect() as c:
        c.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    source.dispose()
    target.dispose()
    return counts


@dataclass
class Account:
    name: str
    role: str
    department: str | None
    tasks: list[int] = field(default_factory=list)
    alerts: list[int] = field(default_factory=list)


def _ensure_user(session: Session, name: str, role: str, department: str | None) -> None:
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        return
    users.create_user(
        session=session,
        data=UserIn(name=name, password=PASSWORD, role=role, department=department),  # type: ignore[arg-type]
    )


def prepare(url: str, n_users: int, per_user: int, run_id: str) -> list[Account]:
    """Accounts and each user's own work items (tasks or alerts) for this run."""
    engine = make_engine(url)
    upgrade(engine)
    accounts: list[Account] = []
    now = datetime.now(UTC).replace(tzinfo=None)
    with Session(engine) as session, session.begin():
        if session.scalar(select(City.id)) is None:
            raise SystemExit("the bench store holds no city: run `epicontrol demo` into it first")
        communities = list(
            session.scalars(select(Area.id).where(Area.level == "community").order_by(Area.id))
        )
        for i in range(n_users):
            if i % 2 == 0:
                dept = DEPARTMENTS[(i // 2) % len(DEPARTMENTS)]
                acc = Account(f"bench_officer_{i:03d}", "department_officer", dept)
            else:
                role = "commander" if i % 4 == 1 else "epidemiologist"
                acc = Account(f"bench_{role}_{i:03d}", role, None)
            _ensure_user(session, acc.name, acc.role, acc.department)
            accounts.append(acc)
        for i, acc in enumerate(accounts):
            for k in range(per_user):
                if acc.role == "department_officer":
                    assert acc.department is not None
                    out = tasks_service.create_task(
                        session=session,
                        kind="bench_load",
                        department=acc.department,
                        title_zh=f"压测任务 {run_id}-{i}-{k}",
                        title_en=f"Load test task {run_id}-{i}-{k}",
                        due_at=now + timedelta(hours=6),
                        created_at=now,
                        actor="bench",
                        dedupe_key=f"bench:{run_id}:{i}:{k}",
                    )
                    acc.tasks.append(out.id)
                else:
                    alert = Alert(
                        area_id=communities[(i * per_user + k) % len(communities)],
                        level="yellow",
                        status="raised",
                        outcome=None,
                        signals=["fever_clinic"],
                        detections=[],
                        first_day=0,
                        last_day=0,
                        window_days=7,
                        recipients=[],
                        message_zh=f"压测预警 {run_id}",
                        message_en=f"Load test alert {run_id}",
                        data_arrived_at=now,
                        raised_at=now,
                        latency_seconds=0.0,
                        updated_at=now,
                    )
                    session.add(alert)
                    session.flush()
                    acc.alerts.append(alert.id)
    engine.dispose()
    return accounts


# --------------------------------------------------------------------------- load


@dataclass
class Sample:
    kind: str  # read | write
    path: str
    status: int  # 0 = transport error
    seconds: float


@dataclass
class Ack:
    entity: str
    entity_id: int
    state: str
    version: int
    request_id: str


@dataclass
class Outcome:
    samples: list[Sample] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)


TASK_STEPS = (("start", "in_progress"), ("complete", "done"))
ALERT_STEPS = (
    ("acknowledge", "acknowledged", None),
    ("investigate", "investigating", None),
    ("close", "closed", "false_alarm"),
)


class SimUser:
    """One simulated user: logs in, then reads and writes until the deadline."""

    def __init__(self, account: Account, seed: int, read_share: float, think: float) -> None:
        self.acc = account
        self.rng = random.Random(seed)
        self.read_share = read_share
        self.think = think
        self.headers: dict[str, str] = {}
        # work items: (id, next step index, version)
        self.items: list[list[int]] = [[i, 0, 1] for i in (account.tasks or account.alerts)]

    async def login(self, client: httpx.AsyncClient) -> None:
        for _ in range(5):
            try:
                r = await client.post(
                    "/api/auth/login", json={"name": self.acc.name, "password": PASSWORD}
                )
                r.raise_for_status()
                self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
                return
            except httpx.HTTPError:
                await asyncio.sleep(1.0)
        raise RuntimeError(f"login failed for {self.acc.name}")

    async def _timed(
        self, client: httpx.AsyncClient, kind: str, method: str, path: str, out: Outcome, **kw: Any
    ) -> httpx.Response | None:
        key = re.sub(r"/\d+", "/{id}", path.split("?")[0])
        t0 = time.perf_counter()
        try:
            r = await client.request(method, path, **kw)
        except httpx.HTTPError:
            out.samples.append(Sample(kind, key, 0, time.perf_counter() - t0))
            return None
        out.samples.append(Sample(kind, key, r.status_code, time.perf_counter() - t0))
        return r

    async def write(self, client: httpx.AsyncClient, out: Outcome) -> None:
        live = [it for it in self.items if it[1] < (2 if self.acc.tasks else 3)]
        if not live:
            await self.read(client, out)
            return
        item = live[0] if self.rng.random() < 0.7 else self.rng.choice(live)
        rid = uuid.uuid4().hex
        headers = {**self.headers, "If-Match": f'"v{item[2]}"', "X-Request-ID": rid}
        if self.acc.tasks:
            action, state = TASK_STEPS[item[1]]
            body = {"evidence": "load test evidence"} if action == "complete" else {}
            path = f"/api/tasks/{item[0]}/{action}"
            r = await self._timed(client, "write", "POST", path, out, json=body, headers=headers)
            entity = "task"
        else:
            action, state, outcome = ALERT_STEPS[item[1]]
            payload: dict[str, Any] = {"action": action}
            if outcome:
                payload["outcome"] = outcome
            path = f"/api/alerts/{item[0]}/transition"
            r = await self._timed(client, "write", "POST", path, out, json=payload, headers=headers)
            entity = "alert"
        if r is not None and r.status_code == 200:
            version = int(r.json()["version"])
            item[1] += 1
            item[2] = version
            out.acks.append(Ack(entity, item[0], state, version, rid))

    async def read(self, client: httpx.AsyncClient, out: Outcome) -> None:
        path = self.rng.choice(READS)
        if self.acc.role == "department_officer" and path.startswith(
            ("/api/cases", "/api/contacts", "/api/persons")
        ):
            path = "/api/tasks?limit=50"
        await self._timed(client, "read", "GET", path, out, headers=self.headers)

    async def run(self, client: httpx.AsyncClient, deadline: float, out: Outcome) -> None:
        await asyncio.sleep(self.rng.uniform(0, self.think * 2))
        while time.perf_counter() < deadline:
            if self.rng.random() < self.read_share:
                await self.read(client, out)
            else:
                await self.write(client, out)
            await asyncio.sleep(self.rng.uniform(0.5 * self.think, 1.5 * self.think))


async def load(
    base: str, accounts: list[Account], args: argparse.Namespace
) -> tuple[Outcome, float]:
    limits = httpx.Limits(
        max_connections=len(accounts) + 10, max_keepalive_connections=len(accounts)
    )
    out = Outcome()
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:
        sims = [
            SimUser(acc, seed=args.seed + i, read_share=args.read_share, think=args.think)
            for i, acc in enumerate(accounts)
        ]
        sem = asyncio.Semaphore(8)  # logins are argon2 hashes: do not count them as load

        async def login(sim: SimUser) -> None:
            async with sem:
                await sim.login(client)

        await asyncio.gather(*(login(s) for s in sims))
        t0 = time.perf_counter()
        deadline = t0 + args.duration
        await asyncio.gather(*(s.run(client, deadline, out) for s in sims))
        elapsed = time.perf_counter() - t0
    return out, elapsed


# --------------------------------------------------------------------------- verification


def verify(url: str, acks: list[Ack]) -> dict[str, Any]:
    """Every acknowledged write is in the store: state, version and audit row."""
    engine = make_engine(url)
    latest: dict[tuple[str, int], Ack] = {}
    for a in acks:
        key = (a.entity, a.entity_id)
        if key not in latest or a.version > latest[key].version:
            latest[key] = a
    missing_state: list[str] = []
    with Session(engine) as session:
        task_ids = [k[1] for k in latest if k[0] == "task"]
        alert_ids = [k[1] for k in latest if k[0] == "alert"]
        rows: dict[tuple[str, int], tuple[str, int]] = {}
        for i in range(0, len(task_ids), 1000):
            for tid, st, ver in session.execute(
                select(Task.id, Task.status, Task.version).where(
                    Task.id.in_(task_ids[i : i + 1000])
                )
            ):
                rows[("task", tid)] = (st, ver)
        for i in range(0, len(alert_ids), 1000):
            for aid, st, ver in session.execute(
                select(Alert.id, Alert.status, Alert.version).where(
                    Alert.id.in_(alert_ids[i : i + 1000])
                )
            ):
                rows[("alert", aid)] = (st, ver)
        for key, ack in latest.items():
            got = rows.get(key)
            if got is None or got[0] != ack.state or got[1] < ack.version:
                missing_state.append(f"{key}: acked {ack.state} v{ack.version}, stored {got}")
        rids = [a.request_id for a in acks]
        audited: set[str] = set()
        for i in range(0, len(rids), 1000):
            audited.update(
                session.scalars(
                    text(
                        "SELECT request_id FROM audit_log WHERE request_id = ANY(:ids)"
                    ).bindparams(ids=rids[i : i + 1000])
                )
            )
        total_audit = session.scalar(select(func.count()).select_from(text("audit_log")))
    engine.dispose()
    missing_audit = [r for r in rids if r not in audited]
    return {
        "acknowledged_writes": len(acks),
        "records_checked": len(latest),
        "missing_or_stale": len(missing_state),
        "missing_audit_rows": len(missing_audit),
        "examples": missing_state[:5] + missing_audit[:5],
        "audit_rows_total": int(total_audit or 0),
    }


# --------------------------------------------------------------------------- report


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k] * 1000


def summarise(out: Outcome, elapsed: float) -> dict[str, Any]:
    def block(samples: list[Sample]) -> dict[str, Any]:
        lat = [s.seconds for s in samples]
        errors = [
            s
            for s in samples
            if s.status == 0 or s.status >= 500 or s.status in (400, 401, 403, 404, 422, 428)
        ]
        return {
            "requests": len(samples),
            "p50_ms": round(_pct(lat, 50), 1),
            "p95_ms": round(_pct(lat, 95), 1),
            "p99_ms": round(_pct(lat, 99), 1),
            "max_ms": round(max(lat) * 1000, 1) if lat else None,
            "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else None,
            "errors": len(errors),
            "conflicts_409": sum(1 for s in samples if s.status == 409),
            "throughput_rps": round(len(samples) / elapsed, 1),
        }

    by_path: dict[str, list[Sample]] = {}
    for s in out.samples:
        by_path.setdefault(f"{s.kind} {s.path}", []).append(s)
    statuses: dict[str, int] = {}
    for s in out.samples:
        statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
    return {
        "all": block(out.samples),
        "reads": block([s for s in out.samples if s.kind == "read"]),
        "writes": block([s for s in out.samples if s.kind == "write"]),
        "by_endpoint": {k: block(v) for k, v in sorted(by_path.items())},
        "statuses": statuses,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(args: argparse.Namespace, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "EPICONTROL_DATABASE_URL": args.url, "EPICONTROL_LANG": "en"}
    cmd = [
        sys.executable,
        "-m",
        "epicontrol.cli.main",
        "serve",
        "-w",
        str(args.workspace),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise SystemExit(f"serve exited: {err}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("serve did not start within 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL URL of the bench store.")
    parser.add_argument("--workspace", type=Path, default=Path("var/bench-api"))
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=float, default=120.0, help="Seconds of load.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--read-share", type=float, default=0.7)
    parser.add_argument("--think", type=float, default=3.0, help="Mean think time (s).")
    parser.add_argument("--per-user", type=int, default=20, help="Work items per user.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument(
        "--from-sqlite",
        type=Path,
        default=None,
        help="First replace the bench database with a copy of this SQLite store "
        "(e.g. the demo's var/demo/epicontrol.db).",
    )
    args = parser.parse_args()
    if not args.url.startswith("postgresql"):
        raise SystemExit("--url must be a PostgreSQL URL (the bench is for the multi-user store)")

    if args.from_sqlite is not None:
        t = time.perf_counter()
        counts = copy_store(args.from_sqlite, args.url)
        print(
            f"copied {sum(counts.values())} rows of {len(counts)} tables into the bench "
            f"database in {time.perf_counter() - t:.1f} s",
            file=sys.stderr,
        )
    run_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    load_before = os.getloadavg()
    t = time.perf_counter()
    accounts = prepare(args.url, args.users, args.per_user, run_id)
    prep_seconds = time.perf_counter() - t
    port = _free_port()
    server = start_server(args, port)
    try:
        out, elapsed = asyncio.run(load(f"http://127.0.0.1:{port}", accounts, args))
        load_during = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)
    check = verify(args.url, out.acks)
    summary = summarise(out, elapsed)
    result = {
        "benchmark": "api_load",
        "users": args.users,
        "duration_s": round(elapsed, 1),
        "workers": args.workers,
        "read_share": args.read_share,
        "think_s": args.think,
        "prepare_s": round(prep_seconds, 1),
        "summary": summary,
        "verification": check,
        "loadavg_before": load_before,
        "loadavg_end_of_load": load_during,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
    }
    rows = [("all", summary["all"]), ("reads", summary["reads"]), ("writes", summary["writes"])]
    print("| requests | n | p50 ms | p95 ms | p99 ms | errors | 409 | req/s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, b in rows:
        print(
            f"| {name} | {b['requests']} | {b['p50_ms']} | {b['p95_ms']} | {b['p99_ms']} "
            f"| {b['errors']} | {b['conflicts_409']} | {b['throughput_rps']} |"
        )
    print()
    print(
        f"acknowledged writes {check['acknowledged_writes']}, missing or stale "
        f"{check['missing_or_stale']}, missing audit rows {check['missing_audit_rows']}; "
        f"load average before {load_before}, at the end {load_during}"
    )
    print(json.dumps(result, indent=2, default=str))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
