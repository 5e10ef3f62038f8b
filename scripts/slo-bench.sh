#!/bin/sh
# Times `swarmcheck slo` over 1,000,000 lock events (30 days, 4 documents) and 1,000 pulse
# snapshots. Usage: scripts/slo-bench.sh [SWARMCHECK_BINARY] [RUNS]
set -eu
BIN=${1:-target/release/swarmcheck}
RUNS=${2:-5}
DIR=${TMPDIR:-/tmp}/swarmcheck-slo-bench
mkdir -p "$DIR"
if [ ! -s "$DIR/locks.jsonl" ]; then
python3 - "$DIR" <<'PY'
import datetime, os, random, sys
d = sys.argv[1]
rng = random.Random(1)
end = datetime.datetime(2026, 11, 20, 12, 0, 0)
start = end - datetime.timedelta(days=30)
n = 1_000_000
step = (end - start).total_seconds() / n
paths = ["state/task_queue.json", "state/agents.json", "state/registry.json", "state/results.json"]
with open(os.path.join(d, "locks.jsonl"), "w") as f:
    for i in range(n):
        t = start + datetime.timedelta(seconds=i * step)
        r = rng.random()
        outcome = "timeout" if r < 0.003 else ("error" if r < 0.004 else "ok")
        f.write('{"v":1,"ts":"%s.%03dZ","op":"update","path":"%s","pid":%d,"attempts":1,"wait_ms":%.2f,"hold_ms":%.2f,"outcome":"%s"}\n'
                % (t.strftime("%Y-%m-%dT%H:%M:%S"), t.microsecond // 1000, paths[i % 4], 4000 + i % 8,
                   rng.uniform(0, 800), rng.uniform(0, 5), outcome))
with open(os.path.join(d, "pulse.jsonl"), "w") as f:
    for i in range(1000):
        t = end - datetime.timedelta(minutes=43 * (1000 - i))
        a = rng.choice([6, 7, 8, 8, 8])
        f.write('{"v":1,"ts":"%sZ","agents":8,"active":%d,"idle":%d,"stale":0,"blocked":0,"done":0,"unknown":0}\n'
                % (t.strftime("%Y-%m-%dT%H:%M:%S"), a, 8 - a))
with open(os.path.join(d, "empty.json"), "w") as f:
    f.write('{"findings": []}')
PY
fi
for format in text json prometheus html; do
  i=0
  while [ "$i" -lt "$RUNS" ]; do
    /usr/bin/time -f "$format %e s, %M KB" "$BIN" slo "$DIR" --metrics "$DIR/locks.jsonl" \
      --pulse-history "$DIR/pulse.jsonl" --findings "$DIR/empty.json" \
      --now 2026-11-20T12:00:00Z --fail-on never --output-format "$format" > /dev/null
    i=$((i + 1))
  done
done
