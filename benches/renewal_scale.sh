#!/usr/bin/env bash
# Province scale: 10,000 institutions and 5,000,000 certificate records. Builds that
# database with `pingshen demo`, then prints each figure the renewal-statistics issue sets:
#
#   stats renewal --json          under 1 s
#   statistics pane, first frame  under 150 ms (the key that opens it, to its last byte)
#   each key in the pane          under 16 ms
#   the app's memory              under 60 MB (peak resident set)
#
# The 1M-row import (under 5 s) is `cargo bench --bench import_certificates`.
#
#   benches/renewal_scale.sh                    # builds the database (a few minutes), measures
#   SCALE_DB=/tmp/scale.db benches/renewal_scale.sh   # keeps the database there, reuses it
#   PTYBENCH=/path/to/ptybench.py benches/renewal_scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PTYBENCH=${PTYBENCH:-../shared/tools/ptybench.py}
[ -f "$PTYBENCH" ] || { echo "renewal_scale.sh: no $PTYBENCH (set PTYBENCH)" >&2; exit 1; }

cargo build --release --locked --quiet
BIN=$PWD/target/release/pingshen
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export XDG_CONFIG_HOME=$TMP/config XDG_DATA_HOME=$TMP/data
DB=${SCALE_DB:-$TMP/scale.db}

secs() { python3 -c 'import time; print(f"{time.monotonic():.3f}")'; }

if [ ! -s "$DB" ]; then
    echo "building $DB (10,000 institutions, 5,000,000 certificates) ..." >&2
    t0=$(secs)
    "$BIN" --db "$DB" demo --institutions 10000 --certificates 5000000 >"$TMP/demo.txt"
    t1=$(secs)
    echo "demo database built in $(python3 -c "print(f'{$t1 - $t0:.1f}')") s"
fi
python3 - "$DB" <<'EOF'
import os, sqlite3, sys
db = sys.argv[1]
c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
n = lambda q: c.execute(q).fetchone()[0]
size = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))
print(f"database: {n('SELECT count(*) FROM institutions')} institutions, "
      f"{n('SELECT count(*) FROM certificates')} certificates, "
      f"{n('SELECT count(*) FROM certificate_counts')} day counts, {size / 2**20:.0f} MiB")
EOF

# stats renewal --json, five runs (the first may read the file from disk).
for i in 1 2 3 4 5; do
    t0=$(secs)
    "$BIN" --db "$DB" stats renewal --json >"$TMP/stats.json"
    t1=$(secs)
    python3 -c "print(f'{($t1 - $t0) * 1000:.0f}')"
done >"$TMP/stats-ms"
python3 - "$TMP/stats-ms" "$TMP/stats.json" <<'EOF'
import json, statistics, sys
ms = [float(x) for x in open(sys.argv[1])]
d = json.load(open(sys.argv[2]))
print(f"stats renewal --json: median {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms "
      f"over {len(ms)} runs ({len(d['institutions'])} institutions, "
      f"{d['province']['at_risk']} at risk) - goal < 1000 ms")
EOF

# The desk in a pseudo-terminal: open the statistics pane, move, page, sort, filter, drill
# in and out. The app runs under a wrapper that records its peak resident set.
cat >"$TMP/rss.py" <<'EOF'
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)
EOF
for size in 80x24 120x40; do
    python3 "$PTYBENCH" --lang C.UTF-8 --size "$size" --out "$TMP/pane-$size.json" --quit-keys 'q q' \
        --keys 'S#open q#back S#open q#back S#open j#move*30 PgDn#page*5 o#sort*4 a#filter*2 Enter#drill q#back' \
        -- python3 "$TMP/rss.py" "$TMP/rss-$size" "$BIN" --db "$DB" --lang zh >/dev/null
done
python3 - "$TMP" <<'EOF'
import json, os, sys
tmp = sys.argv[1]
print()
print("| size | open pane (first frame) | j | PgDn | o (sort) | a (at-risk filter) | Enter (drill in) | q (back) | peak memory |")
print("|---|---|---|---|---|---|---|---|---|")
for size in ("80x24", "120x40"):
    d = json.load(open(os.path.join(tmp, f"pane-{size}.json")))
    def lat(label):
        k = d["keys"].get(label)
        if k is None:
            return "-"
        return f"{k['latency_ms']['median']:.1f} ms (max {k['latency_ms']['max']:.1f}), {k['bytes']['median']:.0f} B"
    rss = int(open(os.path.join(tmp, f"rss-{size}")).read()) / 1024
    print(f"| {size} | {lat('open')} | {lat('move')} | {lat('page')} | {lat('sort')} | "
          f"{lat('filter')} | {lat('drill')} | {lat('back')} | {rss:.0f} MB |")
print()
print("latency: from the key sent to the last byte of the frame (ptybench); goals: pane < 150 ms, "
      "each key < 16 ms, memory < 60 MB")
EOF
