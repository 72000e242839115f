"""``epicontrol users add|list`` and ``epicontrol serve`` (a real uvicorn process)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from epicontrol.cli.main import app

runner = CliRunner()
ENV = {"EPICONTROL_DATABASE_URL": "", "EPICONTROL_LANG": "en"}


def _add(ws: Path, *args: str, password: str = "a-long-password") -> tuple[int, dict[str, object]]:
    result = runner.invoke(
        app,
        ["users", "add", *args, "--password-stdin", "--json", "-w", str(ws)],
        input=password + "\n",
        env=ENV,
    )
    return result.exit_code, json.loads(result.stdout)


def test_users_add_and_list(tmp_path: Path) -> None:
    code, out = _add(tmp_path, "chief", "--role", "commander")
    assert code == 0 and out["role"] == "commander" and out["name"] == "chief"
    code, out = _add(tmp_path, "chief", "--role", "commander")
    assert code == 3 and "exists" in str(out["error"])
    code, out = _add(tmp_path, "g1", "--role", "grid_worker")
    assert code == 2 and out["field"] == "community_id"
    code, out = _add(tmp_path, "g1", "--role", "grid_worker", "--community", "999")
    assert code == 2 and "no community" in str(out["error"])
    code, out = _add(tmp_path, "p1", "--role", "department_officer", "--department", "army")
    assert code == 2 and out["field"] == "department"
    code, out = _add(tmp_path, "short", "--role", "commander", password="short")
    assert code == 2 and out["field"] == "password"
    code, out = _add(tmp_path, "p1", "--role", "department_officer", "--department", "police")
    assert code == 0
    listed = runner.invoke(app, ["users", "list", "--json", "-w", str(tmp_path)], env=ENV)
    assert listed.exit_code == 0
    users = json.loads(listed.stdout)["users"]
    assert [(u["name"], u["role"], u["department"]) for u in users] == [
        ("chief", "commander", None),
        ("p1", "department_officer", "police"),
    ]
    assert "hash" not in listed.stdout and "a-long-password" not in listed.stdout
    human = runner.invoke(app, ["users", "list", "-w", str(tmp_path), "--lang", "zh-CN"], env=ENV)
    assert human.exit_code == 0 and "指挥长" in human.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_answers_login_over_http(tmp_path: Path) -> None:
    assert _add(tmp_path, "chief", "--role", "commander")[0] == 0
    port = _free_port()
    env = {**os.environ, **ENV}
    env.pop("EPICONTROL_DATABASE_URL")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "epicontrol.cli.main",
            "serve",
            "-w",
            str(tmp_path),
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"serve did not start: {proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.2)
        r = httpx.post(
            f"{base}/api/auth/login", json={"name": "chief", "password": "a-long-password"}
        )
        assert r.status_code == 200
        me = httpx.get(
            f"{base}/api/auth/me",
            headers={"Authorization": f"Bearer {r.json()['access_token']}"},
        )
        assert me.json()["role"] == "commander"
        secret = tmp_path / "secret.key"
        assert secret.exists() and (secret.stat().st_mode & 0o777) == 0o600
    finally:
        proc.terminate()
        proc.wait(timeout=20)
