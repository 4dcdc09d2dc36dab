#!/usr/bin/env bash
# What the review desk costs on the wire: bytes per frame and per key, measured by
# ../shared/tools/ptybench.py on the release binary and the default demo database, at 80x24
# and 120x40, plus the slow-link run (1200 bytes/s, 60 presses of j, 50 ms apart).
#
#   benches/ptybench.sh                 # prints the table (about two minutes)
#   PTYBENCH=/path/to/ptybench.py benches/ptybench.sh
#   KEEP=/some/dir benches/ptybench.sh  # also keeps every run's JSON there
#
# The queue shows (rows - 5) cases, so at 80x24 the 19th `j` is the last one inside the page
# and each `j` after it scrolls the list by one row.
set -euo pipefail
cd "$(dirname "$0")/.."
PTYBENCH=${PTYBENCH:-../shared/tools/ptybench.py}
[ -f "$PTYBENCH" ] || { echo "ptybench.sh: no $PTYBENCH (set PTYBENCH)" >&2; exit 1; }

cargo build --release --locked --quiet
BIN=$PWD/target/release/pingshen
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT=${KEEP:-$TMP}
mkdir -p "$OUT"
# The desk reads no settings of the user's own; Chinese, as in the office.
export XDG_CONFIG_HOME=$TMP/config XDG_DATA_HOME=$TMP/data
DB=$TMP/bench.db
"$BIN" --db "$DB" demo >/dev/null

bench() {
    local name=$1
    shift
    python3 "$PTYBENCH" --lang C.UTF-8 --out "$OUT/$name.json" "$@" -- "$BIN" --db "$DB" --lang zh \
        >/dev/null
}

for size in 80x24 120x40; do
    rows=${size#*x}
    page=$((rows - 5))
    echo "measuring $size ..." >&2
    # First frame, idle bytes, one-row moves inside the page.
    bench "move-$size" --size "$size" --idle-ms 3000 --keys 'j#move*10'
    # Moves at the list's bottom edge: each one scrolls the list by a row.
    bench "edge-$size" --size "$size" --pre-keys "j*$((page - 1))" --keys 'j#edge*10'
    # Page down from the top (the list moves by one row and the selection to the bottom),
    # then a second page down (a whole new page, as far as the demo's cases go).
    bench "page-$size" --size "$size" --keys 'PgDn#page1 PgDn#page2'
    # Open the first case and go back to the queue, three times.
    bench "open-$size" --size "$size" --keys 'Enter#open q#back Enter#open q#back Enter#open q#back'
    echo "slow link at $size ..." >&2
    for run in 1 2 3; do
        bench "slow-$size-$run" --size "$size" --rate 1200 --key-interval-ms 50 --keys 'j*60'
    done
done

# write(2) calls per key (needs strace): a frame and its cursor question go in one write.
if command -v strace >/dev/null; then
    echo "writes per key at 120x40 ..." >&2
    bench writes --size 120x40 --strace "$OUT/strace.txt" --keys 'j#move*10 PgDn#page*2'
fi

python3 - "$OUT" <<'EOF'
import json, sys, os

out = sys.argv[1]

def load(name):
    with open(os.path.join(out, name + ".json")) as f:
        return json.load(f)

def key(d, label, stat="median"):
    k = d["keys"].get(label)
    return "-" if k is None else f"{k['bytes'][stat]:.0f}"

sizes = ["80x24", "120x40"]
rows = []
for s in sizes:
    m, e, p, o = (load(f"{n}-{s}") for n in ("move", "edge", "page", "open"))
    slow = sorted((load(f"slow-{s}-{i}")["rate"] for i in (1, 2, 3)),
                  key=lambda r: r["last_byte_after_last_key_ms"])
    r = slow[1]
    runs = ", ".join("%.2f" % (x["last_byte_after_last_key_ms"] / 1000) for x in slow)
    rows.append([
        s,
        f"{m['startup']['first_frame_bytes']} ({m['startup']['first_frame_ms']:.0f} ms)",
        key(m, "move"),
        key(e, "edge"),
        f"{key(p, 'page1')} / {key(p, 'page2')}",
        key(o, "open"),
        key(o, "back"),
        f"{m['idle']['bytes']} in {m['idle']['ms'] / 1000:.0f} s",
        f"{r['last_byte_after_last_key_ms'] / 1000:.2f} s ({r['bytes_after_first_key']} B; "
        f"runs {runs})",
    ])
head = ["size", "first frame (time)", "j in page", "j at edge (scrolls)", "PgDn 1st / 2nd",
        "Enter (open case)", "q (back)", "idle", "slow link: settled after last key (bytes)"]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for r in rows:
    print("| " + " | ".join(r) + " |")
print()
print("bytes written by the app; per-key figures are medians. Slow link: --rate 1200 "
      "--key-interval-ms 50 --keys 'j*60', the median of three runs.")
if os.path.exists(os.path.join(out, "writes.json")):
    w = load("writes")
    per = {k: v.get("app_writes", {}).get("max") for k, v in w["keys"].items()}
    print(f"write(2) calls per key at 120x40 (most): j {per.get('move')}, PgDn {per.get('page')}.")
EOF
