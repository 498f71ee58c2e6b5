"""Mixed traffic against a running `tessera serve` for a set time (bench/soak.sh
starts the server and calls this). Standard library only.

Each worker thread loops over a user's life and the mistakes clients make:
register (every 201 is remembered), log in, verify and read /auth/me with
the access token, refresh (rotation), a wrong password, a garbage token,
malformed JSON, an oversized body, an unknown route. Every answer must be
the expected one for its request or a 429; anything else (a 5xx, a dropped
connection, a wrong status) is counted as an error and printed.

Writes a JSON summary to stdout: requests by kind, errors, and the
acknowledged usernames (for the durability check afterwards).
"""

import http.client
import json
import random
import sys
import threading
import time
import uuid

PASSWORD = "soak-passphrase-otter-umbrella"


class Client:
    def __init__(self, port):
        self.port = port
        self.conn = None

    def call(self, method, path, body=None, headers=None, raw=None):
        headers = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif raw is not None:
            headers.setdefault("Content-Type", "application/json")
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status, payload
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed while idle: one retry
                # on a fresh connection, as any HTTP client does.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise


class Soak:
    def __init__(self, port, seconds, workers):
        self.port = port
        self.deadline = time.monotonic() + seconds
        self.workers = workers
        self.lock = threading.Lock()
        self.counts = {}
        self.errors = []
        self.registered = []

    def expect(self, kind, got, expected, payload):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if got == 429:
                self.counts["throttled"] = self.counts.get("throttled", 0) + 1
                return False
            if got not in expected:
                if len(self.errors) < 50:
                    self.errors.append(f"{kind}: {got} (expected {expected}) {payload[:200]!r}")
                else:
                    self.errors.append(kind)
                return False
        return True

    def worker(self, number):
        client = Client(self.port)
        rng = random.Random(number)
        try:
            while time.monotonic() < self.deadline:
                name = f"soak-{number}-{uuid.uuid4().hex[:12]}"
                status, payload = client.call("POST", "/auth/register", {"username": name, "password": PASSWORD})
                if not self.expect("register", status, {201}, payload):
                    continue
                with self.lock:
                    self.registered.append(name)
                status, payload = client.call("POST", "/auth/login", {"username": name, "password": PASSWORD})
                if not self.expect("login", status, {200}, payload):
                    continue
                tokens = json.loads(payload)
                for _ in range(rng.randint(1, 4)):
                    bearer = {"Authorization": "Bearer " + tokens["access_token"]}
                    status, payload = client.call("GET", "/auth/verify", headers=bearer)
                    self.expect("verify", status, {200}, payload)
                    status, payload = client.call("GET", "/auth/me", headers=bearer)
                    self.expect("me", status, {200}, payload)
                    status, payload = client.call(
                        "POST", "/auth/refresh", headers={"Authorization": "Bearer " + tokens["refresh_token"]}
                    )
                    if self.expect("refresh", status, {200}, payload):
                        tokens = json.loads(payload)
                status, payload = client.call("POST", "/auth/login", {"username": name, "password": "wrong-" + PASSWORD})
                self.expect("wrong_password", status, {401}, payload)
                status, payload = client.call("GET", "/auth/me", headers={"Authorization": "Bearer not.a.token"})
                self.expect("garbage_token", status, {401}, payload)
                status, payload = client.call("POST", "/auth/login", raw=b'{"username": ')
                self.expect("malformed_json", status, {400}, payload)
                status, payload = client.call("POST", "/auth/login", raw=b'{"username":"' + b"x" * 70000 + b'"}')
                self.expect("oversized_body", status, {413}, payload)
                status, payload = client.call("GET", "/no/such/route")
                self.expect("unknown_route", status, {404}, payload)
                status, payload = client.call(
                    "POST", "/auth/logout", headers={"Authorization": "Bearer " + tokens["access_token"]}
                )
                self.expect("logout", status, {200}, payload)
                status, payload = client.call(
                    "POST", "/auth/refresh", headers={"Authorization": "Bearer " + tokens["refresh_token"]}
                )
                self.expect("refresh_after_logout", status, {401}, payload)
        except Exception as error:  # a dropped connection or a timeout
            with self.lock:
                self.errors.append(f"worker {number}: {type(error).__name__}: {error}")

    def run(self):
        threads = [threading.Thread(target=self.worker, args=(n,)) for n in range(self.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return {
            "requests": self.counts,
            "errors": self.errors,
            "registered": self.registered,
        }


def main():
    port, seconds, workers = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    json.dump(Soak(port, seconds, workers).run(), sys.stdout)


if __name__ == "__main__":
    main()
