#!/usr/bin/env bash
# Soak: mixed traffic (registrations, logins, verifies, /auth/me, refreshes,
# logouts, and bad inputs: wrong passwords, garbage tokens, malformed and
# oversized bodies, unknown routes) against a real `tessera serve` on a fresh
# SQLite file, for DURATION seconds (default 600). Passes when
#   - every answer was the expected one for its request, or a 429
#     (no 5xx, no dropped connection, no wrong status);
#   - the server's RSS stayed flat: the median of the last quarter of the
#     samples is within max(16 MiB, 25%) of the median of the second quarter
#     (the first quarter is warm-up);
#   - every acknowledged registration (201) is in the database after the
#     server stopped, and a restarted server signs a sample of them in.
# Usage: bench/soak.sh [SECONDS]; WORKERS (default 4), PORT, TESSERA_BIN.
# Needs python3 (standard library) and curl. Prints one summary line per check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
duration=${1:-${DURATION:-600}}
workers=${WORKERS:-4}
port=${PORT:-$((20000 + RANDOM % 20000))}
base="http://127.0.0.1:$port"

if [ -n "${TESSERA_BIN:-}" ]; then
  bin=$TESSERA_BIN
else
  cargo build --quiet --bin tessera --manifest-path "$root/Cargo.toml"
  bin="$root/target/debug/tessera"
fi
work=$(mktemp -d)
cd "$work"
server=""
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT

start_server() {
  # Per-IP limits are raised (every worker is 127.0.0.1); the account
  # limits keep their defaults. The public URL names a host, as a
  # deployment's does (passkeys need a domain name, not an IP address).
  TESSERA_BIND="127.0.0.1:$port" TESSERA_PUBLIC_URL="http://localhost:$port" \
    TESSERA_IP_MAX_ATTEMPTS=1000000000 TESSERA_LOG=warn \
    "$bin" serve >>server.log 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "soak: the server did not start"; cat server.log; exit 1
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$server/status"; }

start_server
echo "soak: ${duration}s of mixed traffic, $workers workers, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$root/bench/soak.py" "$port" "$duration" "$workers" >summary.json &
driver=$!
: >rss.txt
while kill -0 "$driver" 2>/dev/null; do
  rss_kib >>rss.txt
  sleep 2
done
wait "$driver"
kill -TERM "$server"
wait "$server" || true
server=""

status=0
python3 - "$work" <<'PY' || status=1
import json, sqlite3, statistics, sys
work = sys.argv[1]
summary = json.load(open(f"{work}/summary.json"))
requests = summary["requests"]
total = sum(count for kind, count in requests.items() if kind != "throttled")
print(f"soak: {total} requests: " + ", ".join(f"{k} {v}" for k, v in sorted(requests.items())))
failed = False
if summary["errors"]:
    print(f"soak: FAIL {len(summary['errors'])} unexpected answers, first ones:")
    for line in summary["errors"][:20]:
        print("   ", line)
    failed = True
else:
    print("soak: ok, no unexpected answer (only the expected 4xx, and 429)")
rss = [int(line) for line in open(f"{work}/rss.txt") if line.strip()]
if len(rss) < 8:
    print(f"soak: FAIL only {len(rss)} RSS samples")
    failed = True
else:
    quarter = len(rss) // 4
    early = statistics.median(rss[quarter:2 * quarter])
    late = statistics.median(rss[-quarter:])
    allowed = max(16 * 1024, early * 0.25)
    verdict = "ok" if late - early <= allowed else "FAIL"
    failed |= verdict == "FAIL"
    print(f"soak: {verdict} RSS flat: second quarter median {early / 1024:.1f} MiB, last quarter {late / 1024:.1f} MiB, "
          f"peak {max(rss) / 1024:.1f} MiB ({len(rss)} samples)")
db = sqlite3.connect(f"file:{work}/tessera.db?mode=ro", uri=True)
stored = {row[0] for row in db.execute("SELECT username FROM users")}
missing = [name for name in summary["registered"] if name not in stored]
verdict = "FAIL" if missing else "ok"
failed |= bool(missing)
print(f"soak: {verdict} {len(summary['registered']) - len(missing)}/{len(summary['registered'])} acknowledged registrations stored")
json.dump(summary["registered"][:: max(1, len(summary["registered"]) // 20)], open(f"{work}/sample.json", "w"))
sys.exit(1 if failed else 0)
PY

# A restarted server on the same file signs a sample of them in.
start_server
signed_in=0
sampled=0
for name in $(python3 -c "import json,sys; print(' '.join(json.load(open(sys.argv[1]))))" "$work/sample.json"); do
  sampled=$((sampled + 1))
  if curl -fs -X POST "$base/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\": \"$name\", \"password\": \"soak-passphrase-otter-umbrella\"}" >/dev/null; then
    signed_in=$((signed_in + 1))
  fi
done
if [ "$signed_in" -eq "$sampled" ] && [ "$sampled" -gt 0 ]; then
  echo "soak: ok a restarted server signs in $signed_in/$sampled sampled users"
else
  echo "soak: FAIL a restarted server signs in $signed_in/$sampled sampled users"
  status=1
fi
# An ERROR-level line or a panic (the level is the word after the time
# stamp; a WARN line's fields may well say "error=...").
if grep -qE '^[^ ]+ +ERROR |panicked' server.log; then
  echo "soak: FAIL the server logged errors:"; grep -E '^[^ ]+ +ERROR |panicked' server.log | head -20
  status=1
fi
exit $status
