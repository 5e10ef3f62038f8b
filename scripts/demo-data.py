#!/usr/bin/env python3
"""Regenerates the demo swarm's lock metrics and pulse history (fixtures/demo-swarm/metrics/).

The data ends at the demo's pinned evaluation time (`evaluate-at` in its swarmcheck.toml) and is
shaped so that `swarmcheck slo fixtures/demo-swarm` shows every verdict:
  - lock-success: rare timeouts, well within 95%            -> meeting
  - queue-availability: minutes with a failure on the queue  -> violating (budget of 0.1% spent)
  - lock-latency: slow waits during the last hour            -> at_risk (fast-burn page)
  - registry-writes: a handful of events                     -> no_data (below min-events)
  - agents-active: history mostly >= 4 active, 3 active now  -> at_risk (P1 agents floor)
  - memory-growth: Agent-3's resident memory climbs 40 MB/h for the last 6 hours, the other
    agents stay flat                                         -> at_risk (P2 page-slow), with
    the SWC1xx findings of the `swarm` package it runs as suspects
  - open-handles: every agent under 30 descriptors          -> meeting
Deterministic: a fixed seed, so regenerating gives the same files.
"""
import json
import os
import random
from datetime import datetime, timedelta, timezone

END = datetime(2026, 11, 20, 12, 0, 0, tzinfo=timezone.utc)
DAYS = 30
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "demo-swarm", "metrics")
rng = random.Random(20261120)


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def event(t, path, wait, hold, outcome, attempts=1, error=None):
    e = {"v": 1, "ts": stamp(t), "op": "update", "path": path, "pid": 4000 + rng.randrange(8),
         "attempts": attempts, "wait_ms": round(wait, 2), "hold_ms": round(hold, 2), "outcome": outcome}
    if error:
        e["error_code"] = error
    return e


events = []
start = END - timedelta(days=DAYS)
t = start
while t < END - timedelta(hours=1):
    # The queue: one update every ~15 minutes; 0.6% time out after 5 s.
    t += timedelta(seconds=rng.uniform(600, 1200))
    if rng.random() < 0.006:
        events.append(event(t, "state/task_queue.json", 5000.0, 0.0, "timeout", attempts=9, error="LOCK_TIMEOUT"))
    else:
        attempts = 1 if rng.random() < 0.9 else 2
        events.append(event(t, "state/task_queue.json", rng.uniform(0.2, 40.0) * attempts, rng.uniform(0.5, 4.0), "ok", attempts))
t = start
while t < END:
    # Agent status writes: every ~45 minutes, always fine.
    t += timedelta(seconds=rng.uniform(2100, 3300))
    if t < END:
        events.append(event(t, "state/agents.json", rng.uniform(0.1, 8.0), rng.uniform(0.3, 2.0), "ok"))
# The last hour: the queue gets busy and lock waits climb past 500 ms for a third of updates.
t = END - timedelta(hours=1)
while True:
    t += timedelta(seconds=rng.uniform(40, 80))
    if t >= END:
        break
    slow = rng.random() < 0.35
    wait = rng.uniform(600, 2400) if slow else rng.uniform(5, 120)
    events.append(event(t, "state/task_queue.json", wait, rng.uniform(0.5, 4.0), "ok", 3 if slow else 1))
# The registry is written rarely: too few events to judge.
for days_ago in (25, 18, 11, 4, 1):
    events.append(event(END - timedelta(days=days_ago, minutes=7), "state/registry.json", 1.2, 0.8, "ok"))
events.sort(key=lambda e: e["ts"])
with open(os.path.join(HERE, "locks.jsonl"), "w") as f:
    for e in events:
        f.write(json.dumps(e, separators=(",", ":")) + "\n")

# Pulse history: a snapshot every 30 minutes; mostly 5 or 6 of 6 agents active, with dips.
# Which agents are the idle ones comes from a second generator, so the totals (and every
# verdict) stay what they were before per-agent states were recorded.
AGENTS = [f"Agent-{i}" for i in range(1, 7)]
who = random.Random(6)
# Process samples come from generators of their own too, for the same reason.
mem = random.Random(3)
LEAK_START = END - timedelta(hours=6)
MB = 1024 * 1024


def process_sample(i, name, t):
    """Agent-i's process at time t: flat memory with noise, except Agent-3's leak."""
    base = (70 + 9 * i) * MB
    rss = base + mem.uniform(-1.5, 1.5) * MB
    if name == "Agent-3" and t > LEAK_START:
        rss += (t - LEAK_START).total_seconds() / 3600 * 40 * MB
    fds = 12 + i + mem.randrange(0, 4)
    return {"name": name, "agent": name, "pid": 4100 + i, "started": "2026-10-15T06:00:00Z",
            "rss_bytes": int(rss), "fds": fds, "fd_files": fds - 6, "fd_sockets": 3, "threads": 4,
            "cpu_seconds": round((t - datetime(2026, 10, 15, 6, tzinfo=timezone.utc)).total_seconds() * 0.02, 1),
            "cmdline": ["python3", "-m", "swarm.agent", "--id", name], "cwd": "/srv/demo-swarm"}

lines = []
t = start
while t < END - timedelta(minutes=20):
    t += timedelta(minutes=30)
    active = rng.choice([5, 6, 6, 6]) if rng.random() > 0.04 else rng.choice([2, 3])
    idle = 6 - active
    # Agent-6 idles most often (it waits on the publisher); the rest take turns.
    weights = [1, 1, 1, 1, 1, 4]
    resting = set()
    while len(resting) < idle:
        resting.add(who.choices(AGENTS, weights)[0])
    states = {a: ("idle" if a in resting else "active") for a in AGENTS}
    lines.append({"v": 2, "ts": stamp(t), "agents": 6, "active": active, "idle": idle, "stale": 0,
                  "blocked": 0, "done": 0, "unknown": 0, "tasks_in_progress": active,
                  "states": states,
                  "processes": [process_sample(i, a, t) for i, a in enumerate(AGENTS, start=1)]})
with open(os.path.join(HERE, "pulse.jsonl"), "w") as f:
    for line in lines:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")
print(f"{len(events)} lock events, {len(lines)} pulse snapshots")
