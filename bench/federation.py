"""Federation's speed on loopback: fan-out to followers, and verified inbox POSTs.

python -m bench.federation [--database-url postgresql://…] [--rounds 3] [--seconds 3] [--scale 1]

Measured in one run, with the app under gunicorn (2 workers) and its task queue's worker beside it:
- one case study published by an agency with 1,000 followers spread over 50 servers, each server with a shared
  inbox (50 small HTTP servers in this process, on loopback ports): the deliveries made, which must be 50, one
  per server, and the time from the request that publishes it until the fiftieth server has its signed POST;
- the inbox: POSTs signed by a known remote actor (signature, Digest and Date verified, then accepted and
  ignored, 202) per second, as a ratio to an unsigned POST of the same body to a route that only reads the body
  (bench/federation_app.py), on the same server in the same rounds.
"""

from __future__ import annotations

import json
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
import sqlalchemy as sa

from bench.runner import ROOT, WRK_CONNECTIONS, WRK_THREADS, app_for, arguments, database, environment, free_port, gunicorn, machine, migrate, parse_wrk

FOLLOWERS = 1_000
HOSTS = 50
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


class Receivers:
    """HOSTS small servers on loopback ports, each counting the POSTs its shared inbox gets."""

    def __init__(self, count: int) -> None:
        self.received: dict[int, int] = {}
        self.lock = threading.Lock()
        self.servers: list[ThreadingHTTPServer] = []
        receivers = self

        class Inbox(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receivers.lock:
                    port = self.server.server_address[1]
                    receivers.received[port] = receivers.received.get(port, 0) + 1
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        for _ in range(count):
            server = ThreadingHTTPServer(("127.0.0.1", 0), Inbox)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)

    @property
    def ports(self) -> list[int]:
        return [server.server_address[1] for server in self.servers]

    def total(self) -> int:
        with self.lock:
            return sum(self.received.values())

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def build(ports: list[int], followers: int) -> dict[str, str]:
    """An agency and its admin's write token; followers spread over the receivers' hosts, each host with a shared
    inbox; and one remote actor, with a key this benchmark holds, to sign inbox POSTs."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from cop.accounts.services import create_user
    from cop.agencies.services import create_agency
    from cop.api.services import create_token
    from cop.clock import utcnow
    from cop.extensions import db
    from cop.federation.models import Follower, RemoteActor

    agency = create_agency(None, "origin", "Origin Council", "GB", "local", "", ["origin.example"])
    admin = create_user("admin@origin.example", "correct-horse-battery-staple-9", "Origin Admin", "agency_admin", agency)
    _token, secret = create_token(admin, "Benchmark", "write")
    db.session.commit()

    now = utcnow()
    actors = []
    for i in range(followers):
        port = ports[i % len(ports)]
        base = f"http://127.0.0.1:{port}"
        actors.append({"uri": f"{base}/users/u{i}", "domain": f"127.0.0.1:{port}", "actor_type": "Person",
                       "preferred_username": f"u{i}", "name": f"Follower {i}", "summary": "", "url": "", "icon_url": "",
                       "inbox": f"{base}/users/u{i}/inbox", "shared_inbox": f"{base}/inbox", "outbox": "", "followers_url": "",
                       "key_id": f"{base}/users/u{i}#main-key", "public_key_pem": "", "fetched_at": now})
    db.session.execute(sa.insert(RemoteActor), actors)
    ids = db.session.execute(sa.select(RemoteActor.id, RemoteActor.uri)).all()
    db.session.execute(sa.insert(Follower), [
        {"agency_id": agency.id, "remote_actor_id": actor_id, "follow_uri": f"{uri}/follows/1", "state": "accepted",
         "follow_activity": {"type": "Follow", "id": f"{uri}/follows/1", "actor": uri}, "created_at": now, "decided_at": now}
        for actor_id, uri in ids
    ])

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer = f"http://127.0.0.1:{ports[0]}/users/signer"
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    db.session.add(RemoteActor(uri=signer, domain=f"127.0.0.1:{ports[0]}", actor_type="Person", preferred_username="signer",
                               inbox=f"{signer}/inbox", shared_inbox=f"http://127.0.0.1:{ports[0]}/inbox",
                               key_id=f"{signer}#main-key", public_key_pem=public_pem, fetched_at=now))
    db.session.commit()
    return {"token": secret, "signer": signer, "key_id": f"{signer}#main-key", "private_pem": private_pem}


def publish(base: str, token: str) -> str:
    """A complete case study, drafted and sent for review; the slug to publish it by."""
    headers = {"Authorization": f"Bearer {token}"}
    body = {"title": "Road closures on WhatsApp", "summary": "A broadcast list.", "service_area": "transport-and-roads",
            "modes": ["broadcast"], "level": "202",
            "sections": {"challenge": "Closures.", "approach": "A list.", "results": "4,000 subscribers.", "lessons": "Keep it short."}}
    created = requests.post(f"{base}/api/v1/case-studies", json=body, headers=headers, timeout=60)
    created.raise_for_status()
    slug = created.json()["slug"]
    requests.patch(f"{base}/api/v1/case-studies/{slug}", json={"status": "in_review"}, headers=headers, timeout=60).raise_for_status()
    return slug


def wrk_post(url: str, seconds: float, body: bytes, headers: dict[str, str], folder: Path) -> float:
    """Requests per second wrk reaches POSTing this body with these headers."""
    script = folder / "post.lua"
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body.decode())}"]
    lines += [f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in headers.items() if name.lower() != "host"]
    script.write_text("\n".join(lines) + "\n")
    output = subprocess.run(["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{max(round(seconds), 1)}s", "-s", str(script), url],
                            capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


def main() -> None:
    options = arguments(__doc__.splitlines()[0])
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: make bench installs it (apt-get install wrk)")
    logging.basicConfig(level=logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="cop-bench-"))
    backend = "PostgreSQL" if options.database_url else "SQLite"
    receivers = Receivers(HOSTS)
    try:
        with database(options.database_url, folder) as url:
            port = free_port()
            env = environment(folder, url, port)
            # The followers' servers are on this machine's loopback address.
            env["COP_ALLOW_PRIVATE_ADDRESSES"] = "1"
            started = time.monotonic()
            migrate(env)
            followers = max(int(FOLLOWERS * options.scale), HOSTS)
            with app_for(env):
                made = build(receivers.ports, followers)
            built = time.monotonic() - started
            print(f"\n## Federation: {backend}\n\nData built in {built:.0f} s. Machine: {machine()}.\n")
            worker_log = (folder / "worker.log").open("w")
            worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--workers", "4"],
                                      cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT)
            try:
                with gunicorn(env, port, folder / "gunicorn.log", app="bench.federation_app:app") as base:
                    slug = publish(base, made["token"])
                    began = time.perf_counter()
                    requests.patch(f"{base}/api/v1/case-studies/{slug}", json={"status": "published"},
                                   headers={"Authorization": f"Bearer {made['token']}"}, timeout=60).raise_for_status()
                    deadline = time.monotonic() + 300
                    while receivers.total() < HOSTS and time.monotonic() < deadline:
                        time.sleep(0.01)
                    fan_out = time.perf_counter() - began
                    time.sleep(1)  # any delivery made twice would arrive by now
                    per_host = sorted(set(receivers.received.values()))
                    print(f"Fan-out: one Create to {followers:,} followers on {HOSTS} servers: "
                          f"{receivers.total()} deliveries (each server got {', '.join(map(str, per_host))}), "
                          f"the last {fan_out:.2f} s after the request that published it.")
                    if receivers.total() != HOSTS or per_host != [1]:
                        sys.exit(f"expected one delivery per server, {HOSTS} in all; the worker's log:\n{(folder / 'worker.log').read_text()[-3000:]}")

                    inbox_rates, noop_rates = _inbox_rounds(base, made, options, folder)
            finally:
                worker.terminate()
                worker.wait(timeout=30)
                worker_log.close()
            with app_for(env):
                from cop.extensions import db
                from cop.federation.models import Delivery

                stored = db.session.scalar(sa.select(sa.func.count(Delivery.id)))
                db.session.remove()
            inbox, noop = statistics.median(inbox_rates), statistics.median(noop_rates)
            print(f"Deliveries stored for it: {stored}.\n")
            print("| POST | req/s | × the do-nothing POST |")
            print("| --- | --- | --- |")
            print(f"| unsigned, to a route that does nothing (/bench/noop) | {noop:.0f} | 1.0 |")
            print(f"| signed, verified and accepted by the shared inbox (/inbox) | {inbox:.0f} | {noop / inbox:.1f} |")
    finally:
        receivers.close()
        shutil.rmtree(folder, ignore_errors=True)


def _inbox_rounds(base: str, made: dict[str, str], options, folder: Path) -> tuple[list[float], list[float]]:
    """Signed inbox POSTs and do-nothing POSTs, interleaved over the rounds."""
    from cop.federation.signatures import sign_request

    activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{made['signer']}/likes/1", "type": "Like",
                "actor": made["signer"], "object": f"{base}/agencies/origin", "to": [AS_PUBLIC]}
    body = json.dumps(activity).encode()
    headers = sign_request("POST", f"{base}/inbox", key_id=made["key_id"], private_key_pem=made["private_pem"], body=body,
                           headers={"Content-Type": "application/activity+json"})
    # Both must succeed before anything is timed: a refused POST would be measured as a fast one.
    checked = requests.post(f"{base}/inbox", data=body, headers=headers, timeout=30)
    if checked.status_code != 202:
        sys.exit(f"the signed POST was refused: {checked.status_code} {checked.text[:500]}")
    requests.post(f"{base}/bench/noop", data=body, headers=headers, timeout=30).raise_for_status()
    inbox_rates, noop_rates = [], []
    wrk_post(f"{base}/inbox", 1, body, headers, folder)
    wrk_post(f"{base}/bench/noop", 1, body, headers, folder)
    for _round in range(options.rounds):
        noop_rates.append(wrk_post(f"{base}/bench/noop", options.seconds, body, headers, folder))
        inbox_rates.append(wrk_post(f"{base}/inbox", options.seconds, body, headers, folder))
    return inbox_rates, noop_rates


if __name__ == "__main__":
    main()
