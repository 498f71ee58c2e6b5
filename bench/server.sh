#!/usr/bin/env bash
# Reproduces the server figures in BENCHMARKS.md: a release `tessera serve`
# on a fresh SQLite file, pinned to CPU 0, loaded by wrk pinned to CPU 1.
# Needs wrk (apt-get install wrk) and util-linux's taskset. Loopback only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
duration=${DURATION:-10}
port=${PORT:-18080}
base="http://127.0.0.1:$port"

cargo build --quiet --release --bin tessera --manifest-path "$root/Cargo.toml"
bin="$root/target/release/tessera"
work=$(mktemp -d)
cd "$work"
# Rate limits are raised so the load generator is not refused as an attacker.
TESSERA_BIND="127.0.0.1:$port" TESSERA_IP_MAX_ATTEMPTS=1000000000 TESSERA_LOG=warn \
  taskset -c 0 "$bin" serve >server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done

json='Content-Type: application/json'
credentials='{"username": "bench", "password": "correct horse battery staple"}'
curl -fs -X POST "$base/auth/register" -H "$json" -d "$credentials" >/dev/null
login() { curl -fs -X POST "$base/auth/login" -H "$json" -d "$credentials"; }
field() { sed -E "s/.*\"$1\":\"([^\"]+)\".*/\1/"; }
access=$(login | field access_token)

load() { taskset -c 1 wrk --latency -d"${duration}s" "$@" | awk '/Requests\/sec/ {rps=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF} END {printf "%10.0f req/s   p99 %-8s non-2xx %s\n", rps, p99, (bad==""?0:bad)}'; }

# healthz and verify alternate, REPEAT times each; the ratio uses the medians.
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
health_runs=(); verify_runs=()
for round in $(seq 1 "${REPEAT:-3}"); do
  h=$(load -t1 -c32 -H "Authorization: Bearer $access" "$base/healthz")
  v=$(load -t1 -c32 -H "Authorization: Bearer $access" "$base/auth/verify")
  echo "round $round  GET /healthz (same token header) $h"
  echo "round $round  GET /auth/verify                 $v"
  health_runs+=("$(echo "$h" | awk '{print $1}')"); verify_runs+=("$(echo "$v" | awk '{print $1}')")
done
h=$(printf '%s\n' "${health_runs[@]}" | median); v=$(printf '%s\n' "${verify_runs[@]}" | median)
echo "median: healthz $h req/s, verify $v req/s, verify/healthz = $(awk -v a="$v" -v b="$h" 'BEGIN {printf "%.2f", a/b}')"
echo "GET /healthz (no header)     $(load -t1 -c32 "$base/healthz")"
echo "GET /auth/me                 $(load -t1 -c32 -H "Authorization: Bearer $access" "$base/auth/me")"
tokens=""
for _ in 1 2 3 4; do tokens="$tokens $(login | field refresh_token)"; done
echo "POST /auth/refresh           $(REFRESH_TOKENS="$tokens" load -t4 -c4 -s "$root/bench/refresh.lua" "$base")"
echo "POST /auth/login             $(load -t1 -c4 -s "$root/bench/login.lua" "$base/auth/login")"
