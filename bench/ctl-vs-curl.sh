#!/usr/bin/env bash
# owox-ctl data-marts stream vs curl on the same URL and token, side by side in one run
# (issue 9's benchmark). Starts `owox serve --demo` on a fresh data directory, streams the
# demo's Orders data mart (1M rows) into /dev/null with each client, alternating, and prints
# the MB/s of each and the ratio owox-ctl / curl (target: at least 0.9).
#
#   cargo build --workspace --bins && bench/ctl-vs-curl.sh [rounds]
#
# Only talks to 127.0.0.1; stops the server at the end.
set -euo pipefail
rounds=${1:-3}
bin="${CARGO_TARGET_DIR:-$HOME/.cache/owox-target}/debug"
[ -x "$bin/owox" ] && [ -x "$bin/owox-ctl" ] || { echo "build first: cargo build --workspace --bins" >&2; exit 2; }
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OWOX_DATA_DIR=$data LOG_LEVEL=warn PUBLIC_ORIGIN="http://127.0.0.1:$port" "$bin/owox" serve --demo --port "$port" > "$data/out.txt" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/health/ready" > /dev/null && break
  sleep 0.2
done
key=$(sed -n 's/^ *export OWOX_API_KEY=//p' "$data/out.txt")
mart=$(sed -n 's/.*owox-ctl data-marts stream \([^ ]*\).*/\1/p' "$data/out.txt")
read -r id secret < <(python3 -c '
import base64, json, sys
k = sys.argv[1][len("owox_key_"):]
p = json.loads(base64.urlsafe_b64decode(k + "=" * (-len(k) % 4)))
print(p["apiKeyId"], p["apiKeySecret"])' "$key")
token=$(curl -s -X POST "http://127.0.0.1:$port/api/auth/api-keys/exchange" -H "X-OWOX-Api-Key-Id: $id" \
  -H 'Content-Type: application/json' -d "{\"apiKeySecret\":\"$secret\"}" | python3 -c 'import json,sys;print(json.load(sys.stdin)["accessToken"])')
url="http://127.0.0.1:$port/api/external/http-data/data-marts/$mart.ndjson"

run_curl() { curl -s -o /dev/null -w '%{size_download}' "$url" -H "X-OWOX-Authorization: Bearer $token" -H "X-OWOX-Api-Key-Id: $id"; }
run_ctl() { OWOX_API_KEY=$key "$bin/owox-ctl" data-marts stream "$mart" | wc -c; }
timed() { local t0=$EPOCHREALTIME; local bytes; bytes=$("$@"); local t1=$EPOCHREALTIME; python3 -c "print($bytes, $t1 - $t0)"; }

curl_bytes=0; curl_s=0; ctl_bytes=0; ctl_s=0
for r in $(seq 1 "$rounds"); do
  read -r b s < <(timed run_curl); curl_bytes=$((curl_bytes + b)); curl_s=$(python3 -c "print($curl_s + $s)")
  read -r b s < <(timed run_ctl); ctl_bytes=$((ctl_bytes + b)); ctl_s=$(python3 -c "print($ctl_s + $s)")
  echo "round $r done"
done
python3 - "$curl_bytes" "$curl_s" "$ctl_bytes" "$ctl_s" <<'PY'
import sys
cb, cs, ob, os_ = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
c, o = cb / cs / 1e6, ob / os_ / 1e6
print(f"curl      {c:7.1f} MB/s  ({cb} bytes in {cs:.2f} s)")
print(f"owox-ctl  {o:7.1f} MB/s  ({ob} bytes in {os_:.2f} s)")
print(f"ratio owox-ctl / curl: {o / c:.2f} (target >= 0.9)")
PY
