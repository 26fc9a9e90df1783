#!/usr/bin/env bash
# Byte-for-byte check of the NDJSON encoding between two builds (issue 7):
#
#   bench/hash-streams.sh OLD_OWOX_BIN; bench/hash-streams.sh NEW_OWOX_BIN   # same hashes = same bytes
#
# Starts `owox serve --demo` on a fresh data directory (DUCKDB_THREADS=1, so the row order is
# fixed), streams the demo's Orders mart (1M rows) and a 1M-row SQL mart of stream-bench's
# columns plus FLOAT and small DOUBLE values, and prints each body's line count and sha256 (and
# that of its sorted lines). Only talks to 127.0.0.1; stops the server at the end.
set -euo pipefail
bin=$1
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OWOX_DATA_DIR=$data LOG_LEVEL=warn DUCKDB_THREADS=1 PUBLIC_ORIGIN="http://127.0.0.1:$port" "$bin" serve --demo --port "$port" > "$data/out.txt" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/health/ready" > /dev/null && break; sleep 0.2; done
key=$(cd "$data" && OWOX_DATA_DIR=$data "$bin" api-keys create --name hash --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["apiKey"])')
mart=$(sed -n 's/.*owox-ctl data-marts stream \([^ ]*\).*/\1/p' "$data/out.txt")
read -r id secret < <(python3 -c '
import base64, json, sys
k = sys.argv[1][len("owox_key_"):]
p = json.loads(base64.urlsafe_b64decode(k + "=" * (-len(k) % 4)))
print(p["apiKeyId"], p["apiKeySecret"])' "$key")
base="http://127.0.0.1:$port"
token=$(curl -s -X POST "$base/api/auth/api-keys/exchange" -H "X-OWOX-Api-Key-Id: $id" \
  -H 'Content-Type: application/json' -d "{\"apiKeySecret\":\"$secret\"}" | python3 -c 'import json,sys;print(json.load(sys.stdin)["accessToken"])')
H=(-H "X-OWOX-Authorization: Bearer $token" -H "X-OWOX-Api-Key-Id: $id" -H 'Content-Type: application/json')
storage=$(curl -s "${H[@]}" "$base/api/data-marts/$mart" | python3 -c 'import json,sys;print(json.load(sys.stdin)["storage"]["id"])')
sql="SELECT i AS id, 9007199254740993 + i AS big, CAST(i % 1000 AS INTEGER) AS qty, CAST(i % 100000 AS DECIMAL(12,2)) / 4 AS amount, i / 7.0 AS price, CAST(i % 97 AS FLOAT) / 8 AS ratio, 'customer ' || (i % 50000) AS customer, ['DE','FR','US','GB','PL'][1 + i % 5] AS country, DATE '2020-01-01' + CAST(i % 2000 AS INTEGER) AS day, to_timestamp(1577836800 + i) AS created_at, i % 3 = 0 AS paid, CASE WHEN i % 10 = 0 THEN NULL ELSE 'note ' || i END AS note, CAST(i AS FLOAT) / 3 AS flt, i * 1e-9 AS dbl FROM range(1000000) t(i)"
wide=$(curl -s "${H[@]}" -X POST "$base/api/data-marts" -d "{\"title\":\"wide\",\"storageId\":\"$storage\"}" | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
python3 -c 'import json,sys; print(json.dumps({"definitionType":"SQL","definition":{"sqlQuery":sys.argv[1]}}))' "$sql" > "$data/def.json"
curl -sf "${H[@]}" -X PUT "$base/api/data-marts/$wide/definition" -d @"$data/def.json" > /dev/null
curl -sf "${H[@]}" -X PUT "$base/api/data-marts/$wide/publish" -d '{}' > /dev/null
for m in "$mart" "$wide"; do
  curl -s "${H[@]}" "$base/api/external/http-data/data-marts/$m.ndjson" -o "$data/body"
  echo "$m lines=$(wc -l < "$data/body") sha256=$(sha256sum < "$data/body" | cut -c1-16) sorted=$(LC_ALL=C sort "$data/body" | sha256sum | cut -c1-16)"
  head -c 600 "$data/body" | head -2
done
