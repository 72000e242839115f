"""Load test of the command centre's API: concurrent simulated users on PostgreSQL.

Starts ``epicontrol serve`` (uvicorn, ``--workers`` processes) on loopback over
a PostgreSQL store that holds the demo city, logs in ``--users`` simulated
users and lets them work for ``--duration`` seconds: ``--read-share`` of their
requests are reads of the boards and lists (the city board, tasks, alerts,
zones, cases, contacts, persons, quarantine sites, the public zone list), the
rest writes (task start / complete by department officers, alert acknowledge
/ investigate / close by commanders and epidemiologists), each with the
``If-Match`` ETag of the record, each user working its own records.  A user
waits ``--think`` seconds (uniform around the mean) between requests.

Reported: p50 / p95 / p99 latency of reads, writes, all requests and each
endpoint, errors (5xx, transport errors with their exception, unexpected 4xx),
409 conflicts, throughput, and a check that every acknowledged (2xx) write is
in the store afterwards — the record at least at the acknowledged version and
state, and its audit row with the request's id.  The machine is shared: the
load average is sampled every 5 s during the load, and the CPU seconds used by
the server's processes, by every PostgreSQL process (any database: other jobs'
too) and by the load generator itself are reported, so that it can be said how
the cores were shared.

The generator is one asyncio process speaking HTTP/1.1 itself over one
keep-alive connection per user (0.04 cores at 60 requests/s; httpx needed
~0.15), so that it does not starve the server it measures.  The server's
keep-alive timeout is 600 s, above any idle time of a connection (the login
phase, the think times): with uvicorn's 5 s default a request could meet its
connection being closed (a transport error now and then).

The demo writes its city into SQLite; ``--from-sqlite`` copies that store into
the bench database first (it drops and re-creates the database's ``public``
schema — only ever pass a bench database), so that every run starts from the
same store::

    epicontrol demo -w var/bench-api
    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE epicontrol_bench'
    python bench/bench_api_load.py --workspace var/bench-api \\
        --from-sqlite var/bench-api/epicontrol.db --users 200 --duration 120

The benchmark adds its own accounts (``bench_*``) and work items (tasks with
kind ``bench_load``, alerts on the demo's communities routed to the officers'
departments) to the bench database before each run; it never touches another
database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
#: The server's keep-alive timeout in the bench (s).
KEEP_ALIVE_S = 600
DEPARTMENTS = ("health", "police", "transport", "community")
READS = (
    "/api/board",
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
    upgrade(source)  # as every command that opens a store does: the same schema on both sides
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
        data=UserIn(name=name, password=PASSWORD, role=role, department=department),
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
                        recipients=[
                            {
                                "kind": "department",
                                "code": DEPARTMENTS[(i * per_user + k) % len(DEPARTMENTS)],
                                "name": "bench",
                                "name_en": "bench",
                            }
                        ],
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
    # fresh statistics for the rows just added, as autovacuum keeps them in service
    with engine.connect() as c:
        c.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("ANALYZE tasks, alerts, alert_recipients, users")
        )
    engine.dispose()
    return accounts


# --------------------------------------------------------------------------- load


@dataclass
class Sample:
    kind: str  # read | write
    path: str
    status: int  # 0 = transport error
    seconds: float
    error: str | None = None
    #: When the request was sent (``time.perf_counter()``).
    sent: float = 0.0


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
    #: GETs sent again on a new connection after a kept-alive one was found closed.
    retries: int = 0


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RawConnection:
    """One HTTP/1.1 keep-alive connection to the server (a user's browser tab, say).

    Enough of HTTP for this bench: requests with a JSON body, answers with a
    ``Content-Length`` or chunked body.  A GET that finds its kept-alive connection
    closed before any byte of the answer is sent again once on a new connection
    (as browsers do; counted in ``retries``); a POST never is.
    """

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def _exchange(self, head: bytes, body: bytes) -> tuple[Reply, bool]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("connection closed before the answer")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            data = b"".join(parts)
        else:
            data = await self.reader.readexactly(length) if length else b""
        return Reply(status, data), close

    async def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        payload: Any = None,
        out: Outcome | None = None,
    ) -> Reply:
        body = b"" if payload is None else json.dumps(payload).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if payload is not None:
            lines.append("Content-Type: application/json")
        if payload is not None or method != "GET":
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        for attempt in (0, 1):
            reused = self.writer is not None
            if not reused:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                reply, close = await asyncio.wait_for(self._exchange(head, body), self.timeout)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                self.close()
                first_byte_lost = isinstance(exc, ConnectionError)
                if attempt == 0 and reused and method == "GET" and first_byte_lost:
                    if out is not None:
                        out.retries += 1
                    continue
                raise
            except BaseException:
                self.close()
                raise
            if close:
                self.close()
            return reply
        raise AssertionError("unreachable")


TRANSPORT_ERRORS = (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError)

TASK_STEPS = (("start", "in_progress"), ("complete", "done"))
ALERT_STEPS = (
    ("acknowledge", "acknowledged", None),
    ("investigate", "investigating", None),
    ("close", "closed", "false_alarm"),
)


class SimUser:
    """One simulated user: logs in, then reads and writes until the deadline."""

    def __init__(
        self, account: Account, seed: int, read_share: float, think: float, conn: RawConnection
    ) -> None:
        self.acc = account
        self.rng = random.Random(seed)
        self.read_share = read_share
        self.think = think
        self.conn = conn
        self.headers: dict[str, str] = {}
        # work items: (id, next step index, version)
        self.items: list[list[int]] = [[i, 0, 1] for i in (account.tasks or account.alerts)]

    async def login(self) -> None:
        for _ in range(5):
            try:
                r = await self.conn.request(
                    "POST", "/api/auth/login", {}, {"name": self.acc.name, "password": PASSWORD}
                )
                if r.status == 200:
                    self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
                    return
            except TRANSPORT_ERRORS:
                self.conn.close()
            await asyncio.sleep(1.0)
        raise RuntimeError(f"login failed for {self.acc.name}")

    async def _timed(
        self, kind: str, method: str, path: str, out: Outcome, payload: Any = None, **headers: str
    ) -> Reply | None:
        key = re.sub(r"/\d+", "/{id}", path.split("?")[0])
        t0 = time.perf_counter()
        try:
            r = await self.conn.request(method, path, {**self.headers, **headers}, payload, out)
        except TRANSPORT_ERRORS as exc:
            error = f"{type(exc).__name__}: {exc}"[:200]
            out.samples.append(Sample(kind, key, 0, time.perf_counter() - t0, error, t0))
            return None
        out.samples.append(Sample(kind, key, r.status, time.perf_counter() - t0, None, t0))
        return r

    async def write(self, out: Outcome) -> None:
        live = [it for it in self.items if it[1] < (2 if self.acc.tasks else 3)]
        if not live:
            await self.read(out)
            return
        item = live[0] if self.rng.random() < 0.7 else self.rng.choice(live)
        rid = uuid.uuid4().hex
        extra = {"If-Match": f'"v{item[2]}"', "X-Request-ID": rid}
        if self.acc.tasks:
            action, state = TASK_STEPS[item[1]]
            body = {"evidence": "load test evidence"} if action == "complete" else {}
            path = f"/api/tasks/{item[0]}/{action}"
            r = await self._timed("write", "POST", path, out, body, **extra)
            entity = "task"
        else:
            action, state, outcome = ALERT_STEPS[item[1]]
            payload: dict[str, Any] = {"action": action}
            if outcome:
                payload["outcome"] = outcome
            path = f"/api/alerts/{item[0]}/transition"
            r = await self._timed("write", "POST", path, out, payload, **extra)
            entity = "alert"
        if r is not None and r.status == 200:
            version = int(r.json()["version"])
            item[1] += 1
            item[2] = version
            out.acks.append(Ack(entity, item[0], state, version, rid))

    async def read(self, out: Outcome) -> None:
        path = self.rng.choice(READS)
        if self.acc.role == "department_officer" and path.startswith(
            ("/api/cases", "/api/contacts", "/api/persons")
        ):
            path = "/api/tasks?limit=50"
        await self._timed("read", "GET", path, out)

    async def run(self, deadline: float, out: Outcome) -> None:
        await asyncio.sleep(self.rng.uniform(0, self.think * 2))
        while time.perf_counter() < deadline:
            if self.rng.random() < self.read_share:
                await self.read(out)
            else:
                await self.write(out)
            await asyncio.sleep(self.rng.uniform(0.5 * self.think, 1.5 * self.think))


@dataclass
class Usage:
    """Load average and CPU seconds sampled during the load."""

    loadavg: list[tuple[float, float, float, float]] = field(default_factory=list)
    cpu_start: dict[str, float] = field(default_factory=dict)
    cpu_end: dict[str, float] = field(default_factory=dict)


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    kids = [int(p) for p in out.split()]
    return kids + [g for k in kids for g in _children(k)]


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the server (its process tree), of every PostgreSQL process
    and of this load generator."""
    pg = subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True).stdout
    return {
        "server": sum(_proc_cpu(p) for p in [server_pid, *_children(server_pid)]),
        "postgres_all": sum(_proc_cpu(int(p)) for p in pg.split()),
        "generator": time.process_time(),
    }


async def sample_usage(usage: Usage, t0: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        usage.loadavg.append((round(time.perf_counter() - t0, 1), *os.getloadavg()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 5.0)


async def load(
    base: str, accounts: list[Account], args: argparse.Namespace, server_pid: int
) -> tuple[Outcome, float, Usage, float]:
    host, port = base.removeprefix("http://").split(":")
    out = Outcome()
    usage = Usage()
    sims = [
        SimUser(
            acc,
            seed=args.seed + i,
            read_share=args.read_share,
            think=args.think,
            conn=RawConnection(host, int(port), 30.0),
        )
        for i, acc in enumerate(accounts)
    ]
    sem = asyncio.Semaphore(8)  # logins are argon2 hashes: do not count them as load

    async def login(sim: SimUser) -> None:
        async with sem:
            await sim.login()

    await asyncio.gather(*(login(s) for s in sims))
    t0 = time.perf_counter()
    deadline = t0 + args.duration
    stop = asyncio.Event()
    usage.cpu_start = cpu_seconds(server_pid)
    sampler = asyncio.create_task(sample_usage(usage, t0, stop))
    await asyncio.gather(*(s.run(deadline, out) for s in sims))
    elapsed = time.perf_counter() - t0
    usage.cpu_end = cpu_seconds(server_pid)
    stop.set()
    await sampler
    for s in sims:
        s.conn.close()
    return out, elapsed, usage, t0


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


def windows(out: Outcome, t0: float, seconds: float = 10.0) -> list[dict[str, Any]]:
    """p50 / p99 and throughput of each ``seconds`` window of the load (where the slow
    requests were: a burst of another job on the machine shows as one bad window)."""
    by: dict[int, list[float]] = {}
    for s in out.samples:
        by.setdefault(int((s.sent - t0) // seconds), []).append(s.seconds)
    return [
        {
            "from_s": k * seconds,
            "requests": len(v),
            "p50_ms": round(_pct(v, 50), 1),
            "p99_ms": round(_pct(v, 99), 1),
            "max_ms": round(max(v) * 1000, 1),
        }
        for k, v in sorted(by.items())
    ]


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
    transport: dict[str, int] = {}
    for s in out.samples:
        if s.error is not None:
            transport[s.error] = transport.get(s.error, 0) + 1
    return {
        "all": block(out.samples),
        "reads": block([s for s in out.samples if s.kind == "read"]),
        "writes": block([s for s in out.samples if s.kind == "write"]),
        "by_endpoint": {k: block(v) for k, v in sorted(by_path.items())},
        "statuses": statuses,
        "transport_errors": transport,
        "get_retries_on_closed_keepalive": out.retries,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def server_log(args: argparse.Namespace) -> Path:
    """Where the server's stderr goes (``<workspace>/bench-api-serve.log``)."""
    return Path(args.workspace) / "bench-api-serve.log"


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
        # longer than any idle time of a user's connection: the login phase (argon2
        # hashes of every account, minutes on a loaded machine) and the think times
        "--timeout-keep-alive",
        str(KEEP_ALIVE_S),
    ]
    # the server's log goes to a file: a pipe nobody reads would stall it once full
    log = server_log(args).open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    log.close()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited: {server_log(args).read_text(errors='replace')}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("serve did not start within 120 s")


def _cpu_share(usage: Usage, elapsed: float) -> dict[str, float]:
    """Mean cores used during the load by each side."""
    return {
        k: round((usage.cpu_end[k] - usage.cpu_start[k]) / elapsed, 2)
        for k in usage.cpu_start
        if k in usage.cpu_end
    }


def _table(header: list[str], rows: list[list[Any]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |")
    print()


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
        out, elapsed, usage, t_start = asyncio.run(
            load(f"http://127.0.0.1:{port}", accounts, args, server.pid)
        )
        load_during = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)
    check = verify(args.url, out.acks)
    summary = summarise(out, elapsed)
    summary["windows_10s"] = windows(out, t_start)
    loads = [row[1] for row in usage.loadavg]
    log_lines = server_log(args).read_text(errors="replace").splitlines()
    result = {
        "benchmark": "api_load",
        "users": args.users,
        "duration_s": round(elapsed, 1),
        "workers": args.workers,
        "read_share": args.read_share,
        "think_s": args.think,
        "client": "raw HTTP/1.1 keep-alive, one connection per user",
        "prepare_s": round(prep_seconds, 1),
        "summary": summary,
        "verification": check,
        "loadavg_before": load_before,
        "loadavg_end_of_load": load_during,
        "loadavg_1min_during": {
            "min": min(loads, default=None),
            "median": statistics.median(loads) if loads else None,
            "max": max(loads, default=None),
        },
        "loadavg_samples": usage.loadavg,
        "cores_used_during_load": _cpu_share(usage, elapsed),
        "server_log": {
            "path": str(server_log(args)),
            "lines": len(log_lines),
            "tracebacks": sum("Traceback" in line for line in log_lines),
            "workers_died": sum("died" in line for line in log_lines),
            "tail": log_lines[-15:],
        },
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
    }
    cols = ("requests", "p50_ms", "p95_ms", "p99_ms", "errors", "conflicts_409", "throughput_rps")
    _table(
        ["requests", "n", "p50 ms", "p95 ms", "p99 ms", "errors", "409", "req/s"],
        [[k, *(summary[k][c] for c in cols)] for k in ("all", "reads", "writes")],
    )
    _table(
        ["endpoint", "n", "p50 ms", "p95 ms", "p99 ms", "errors"],
        [[k, *(b[c] for c in cols[:5])] for k, b in summary["by_endpoint"].items()],
    )
    load_at = {round(row[0]): f"{row[1]:.1f}" for row in usage.loadavg}
    _table(
        ["from s", "n", "p50 ms", "p99 ms", "max ms", "1-min load"],
        [
            [w["from_s"], w["requests"], w["p50_ms"], w["p99_ms"], w["max_ms"], load_at.get(t, "")]
            for w in summary["windows_10s"]
            for t in [round(w["from_s"])]
        ],
    )
    print(
        f"acknowledged writes {check['acknowledged_writes']}, missing or stale "
        f"{check['missing_or_stale']}, missing audit rows {check['missing_audit_rows']}; "
        f"load average before {load_before}, 1-min load during "
        f"{result['loadavg_1min_during']}, at the end {load_during}; "
        f"cores used {result['cores_used_during_load']}"
    )
    print(json.dumps(result, indent=2, default=str))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
