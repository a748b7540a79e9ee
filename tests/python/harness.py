"""Starts the real `openti` binary on a loopback port with a fresh database holding
fixtures/all-kinds.ndjson and a ReadWrite token; used by the Python suites.

Environment: OPENTI_BIN (default target/debug/openti).
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("OPENTI_BIN", str(REPO / "target" / "debug" / "openti"))


def run(*args: str) -> str:
    out = subprocess.run([BIN, *args], capture_output=True, text=True, check=False,
                         env={**os.environ, "OPENTI_LOG": "warn"})
    if out.returncode not in (0, 2):
        raise RuntimeError(f"openti {' '.join(args)} failed ({out.returncode}): {out.stderr}")
    return out.stdout


@contextlib.contextmanager
def server(extra_args: tuple[str, ...] = ()):
    """Yields (base_url, token) of a server with the all-kinds fixture loaded."""
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "sdk.db")
        run("ingest", "--database", db, str(REPO / "fixtures" / "all-kinds.ndjson"))
        token = run("token", "create", "--database", db, "--name", "python-suite",
                    "--permission", "ThreatIntelligence.ReadWrite.All").strip()
        proc = subprocess.Popen(
            [BIN, "serve", "--database", db, "--listen", "127.0.0.1:0", *extra_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "OPENTI_LOG": "warn"})
        try:
            base = None
            deadline = time.time() + 60
            assert proc.stderr is not None
            while time.time() < deadline:
                line = proc.stderr.readline()
                if not line:
                    break
                if "listening on " in line:
                    base = line.split("listening on ")[1].split()[0]
                    break
            if base is None:
                raise RuntimeError("server did not report its address")
            # keep draining stderr so the server never blocks on a full pipe
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            while time.time() < deadline:
                try:
                    with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.05)
            yield base, token
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
