#!/usr/bin/env bash
# Reproduces the server figures in BENCHMARKS.md: a release `tessera serve`
# on a fresh SQLite file, pinned to CPU 0, loaded by wrk pinned to CPU 1.
# Needs wrk (apt-get install wrk) and util-linux's taskset. Loopback only.
# The server logs at warn (no per-request lines); LOG=info (and LOG_FORMAT=json)
# measures it writing one line per request to a file.
# ID_TOKEN=1 adds native id-token sign-ins (POST /auth/oauth/bench/id-token)
# next to the password logins: a stand-in OpenID provider (bench/oidc_provider.py,
# python3, standard library only) serves discovery and a JWKS on loopback, and
# one ES256 id_token minted with `tessera token issue` signs the same user in
# again and again (the returning-user case).
# SATURATE=1 adds /auth/verify under a login flood (see below).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
duration=${DURATION:-10}
port=${PORT:-18080}
base="http://127.0.0.1:$port"

# TESSERA_BIN: an already built binary (e.g. an older commit's, for a
# before/after comparison in one sitting); DATABASE_URL is passed on, so
# `DATABASE_URL=postgres://…/EMPTY_DB bench/server.sh` measures PostgreSQL;
# REDIS_URL (and TESSERA_REDIS_PREFIX) are passed on the same way, so
# `REDIS_URL=redis://127.0.0.1:6379 TESSERA_REDIS_PREFIX=bench: bench/server.sh`
# measures an instance with Redis configured.
if [ -n "${TESSERA_BIN:-}" ]; then
  bin=$TESSERA_BIN
else
  cargo build --quiet --release --bin tessera --manifest-path "$root/Cargo.toml"
  bin="$root/target/release/tessera"
fi
work=$(mktemp -d)
cd "$work"
server=""
provider=""
# `|| true`: under set -e the killed processes' status (143) would otherwise
# become the script's.
trap 'kill $server $provider 2>/dev/null; wait $server $provider 2>/dev/null || true; rm -rf "$work"' EXIT
social_env=()
if [ "${ID_TOKEN:-0}" = 1 ]; then
  issuer="http://127.0.0.1:${OIDC_PORT:-$((port + 1))}"
  mkdir provider
  "$bin" keygen --alg ES256 --out provider/keys >/dev/null 2>&1
  # The provider answers two requests (discovery, JWKS) in the whole run, so it
  # shares wrk's CPU; its log counts them (the keys must stay cached).
  taskset -c 1 python3 "$root/bench/oidc_provider.py" "${issuer##*:}" provider/keys/public.pem \
    2>provider/requests.log &
  provider=$!
  id_token=$(cd provider && JWT_ALGORITHM=ES256 JWT_PRIVATE_KEY="$PWD/keys/private.pem" \
    JWT_PUBLIC_KEY="$PWD/keys/public.pem" JWT_ENCODE_ISSUER="$issuer" JWT_ENCODE_AUDIENCE=bench-client \
    "$bin" token issue --sub bench-subject --expires 86400 \
    --claims '{"email": "bench@example.com", "email_verified": true, "name": "Bench"}')
  social_env=(TESSERA_OIDC_PROVIDERS=bench TESSERA_OIDC_BENCH_ISSUER="$issuer"
    TESSERA_OIDC_BENCH_CLIENT_ID=bench-client TESSERA_OIDC_BENCH_CLIENT_SECRET=bench-secret
    TESSERA_OIDC_ALLOW_LOOPBACK_HTTP=1)
  for _ in $(seq 1 50); do curl -fs "$issuer/jwks.json" >/dev/null && break; sleep 0.1; done
fi
# Rate limits are raised so the load generator is not refused as an attacker.
env "${social_env[@]}" TESSERA_BIND="127.0.0.1:$port" TESSERA_IP_MAX_ATTEMPTS=1000000000 \
  TESSERA_LOG="${LOG:-warn}" TESSERA_LOG_FORMAT="${LOG_FORMAT:-text}" taskset -c 0 "$bin" serve >server.log 2>&1 &
server=$!
for _ in $(seq 1 50); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done

json='Content-Type: application/json'
credentials='{"username": "bench", "password": "correct horse battery staple"}'
curl -fs -X POST "$base/auth/register" -H "$json" -d "$credentials" >/dev/null
login() { curl -fs -X POST "$base/auth/login" -H "$json" -d "$credentials"; }
field() { sed -E "s/.*\"$1\":\"([^\"]+)\".*/\1/"; }
access=$(login | field access_token)

# One wrk run: requests/s, p99, non-2xx, and the server's CPU time per request
# (user + system, read from /proc before and after). CPU per request is the
# steadier figure on a shared machine: it does not move when a neighbour
# steals cycles, and its inverse is the server's capacity on one core.
ticks_per_second=$(getconf CLK_TCK)
server_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
load() {
  local before after out
  before=$(server_ticks)
  out=$(taskset -c 1 wrk --latency -d"${duration}s" "$@")
  after=$(server_ticks)
  echo "$out" | awk -v ticks=$((after - before)) -v hz="$ticks_per_second" '
    /requests in/ {n=$1} /Requests\/sec/ {rps=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
    END {printf "%10.0f req/s   p99 %-8s non-2xx %-4s cpu %5.1f us/req\n", rps, p99, (bad==""?0:bad), ticks * 1e6 / hz / n}'
}

# healthz (bare, and with the same Authorization header verify gets) and
# verify alternate, REPEAT rounds. A neighbour on a shared machine can slow
# any one run, so each round's runs (adjacent in time) give one ratio, and
# the median of those ratios is the figure reported.
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a/b}'; }
field_of() { echo "$1" | awk -v n="$2" '{print (n > 0 ? $n : $(NF + n))}'; }
same_rps=(); same_cpu=(); bare_rps=(); bare_cpu=(); me_rps=(); me_cpu=()
for round in $(seq 1 "${REPEAT:-3}"); do
  b=$(load -t1 -c32 "$base/healthz")
  h=$(load -t1 -c32 -H "Authorization: Bearer $access" "$base/healthz")
  v=$(load -t1 -c32 -H "Authorization: Bearer $access" "$base/auth/verify")
  u=$(load -t1 -c32 -H "Authorization: Bearer $access" "$base/auth/me")
  echo "round $round  GET /healthz (no header)         $b"
  echo "round $round  GET /healthz (same token header) $h"
  echo "round $round  GET /auth/verify                 $v"
  echo "round $round  GET /auth/me                     $u"
  me_rps+=("$(ratio "$(field_of "$u" 1)" "$(field_of "$h" 1)")")
  me_cpu+=("$(ratio "$(field_of "$h" -1)" "$(field_of "$u" -1)")")
  same_rps+=("$(ratio "$(field_of "$v" 1)" "$(field_of "$h" 1)")")
  bare_rps+=("$(ratio "$(field_of "$v" 1)" "$(field_of "$b" 1)")")
  same_cpu+=("$(ratio "$(field_of "$h" -1)" "$(field_of "$v" -1)")")
  bare_cpu+=("$(ratio "$(field_of "$b" -1)" "$(field_of "$v" -1)")")
done
# SATURATE=1: /auth/verify measured again while a second wrk (64
# connections, on wrk's core) floods POST /auth/login, so password hashing is
# saturated the whole time; the flood's refusals are 503 server_busy. (The
# cpu/req figure of that run counts the flood's hashing too.)
if [ "${SATURATE:-0}" = 1 ]; then
  taskset -c 1 wrk -t1 -c64 -d"$((duration + 2))s" -s "$root/bench/login.lua" "$base/auth/login" >flood.txt 2>&1 &
  flood=$!
  sleep 1
  echo "GET /auth/verify, logins saturating hashing $(load -t1 -c32 -H "Authorization: Bearer $access" "$base/auth/verify")"
  wait $flood
  echo "  the login flood meanwhile: $(awk '/Requests\/sec/ {printf "%s req/s ", $2} /Non-2xx/ {printf "%s non-2xx ", $NF}' flood.txt)"
fi
m() { printf '%s\n' "$@" | median; }
echo "verify/healthz (same header), median of per-round ratios: requests/s $(m "${same_rps[@]}"), capacity (cpu/req) $(m "${same_cpu[@]}")"
echo "verify/healthz (bare),        median of per-round ratios: requests/s $(m "${bare_rps[@]}"), capacity (cpu/req) $(m "${bare_cpu[@]}")"
echo "me/healthz (same header),     median of per-round ratios: requests/s $(m "${me_rps[@]}"), capacity (cpu/req) $(m "${me_cpu[@]}")"
tokens=""
for _ in 1 2 3 4; do tokens="$tokens $(login | field refresh_token)"; done
echo "POST /auth/refresh           $(REFRESH_TOKENS="$tokens" load -t4 -c4 -s "$root/bench/refresh.lua" "$base")"
echo "POST /auth/login             $(load -t1 -c4 -s "$root/bench/login.lua" "$base/auth/login")"
if [ -n "$provider" ]; then
  # The first sign-in creates the user (and reads discovery and the JWKS);
  # every one measured after it is a returning user's.
  status=$(curl -s -o provider/first.json -w '%{http_code}' -X POST \
    "$base/auth/oauth/bench/id-token" -H "$json" -d "{\"id_token\": \"$id_token\"}")
  [ "$status" = 200 ] || { echo "the first id-token sign-in got $status: $(cat provider/first.json)" >&2; exit 1; }
  echo "POST /auth/oauth/bench/id-token $(BENCH_ID_TOKEN="$id_token" load -t1 -c4 -s "$root/bench/id_token.lua" "$base/auth/oauth/bench/id-token")"
  echo "(requests the stand-in provider answered, the script's readiness check included: $(wc -l <provider/requests.log))"
fi
