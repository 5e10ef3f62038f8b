#!/usr/bin/env python3
"""Score a swarmcheck binary against the hand labels of the real-code corpus.

usage: score.py BINARY [--corpus DIR] [--labels FILE] [--repos FILE] [--codes SWC1,SWC2]
                [--json] [--unlabelled] [--errors] [--min-severity low|medium|high]
                [--config FILE]

For every repository of labels.tsv (and repos.tsv) present as CORPUS/<owner>+<name>, runs
  BINARY check --output-format json --no-cache --exit-zero --select CODES CORPUS/<owner>+<name>
and matches each finding (repo-relative path, line, code) against the label rows:
  TP  finding inside the line window of a POS row with that code
  FP  finding inside the line window of a NEG row with that code (and of no POS row)
  unlabelled  any other finding (review it and add a row)
With --min-severity, findings below that severity are left out (`medium`: what a CI gate on
medium sees; the file-concurrency rules report at low severity when nothing shows them running
concurrently).
precision = TP / (TP + FP); recall = POS rows of that code matched by some finding of that code
/ POS rows of that code (POS rows of repos absent locally are left out of the denominator).
Standard library only.
"""
import argparse
import collections
import csv
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def read_tsv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def code_selected(code, selectors):
    return any(sel == "ALL" or code.startswith(sel) for sel in selectors)


def run_binary(binary, root, codes, config=None):
    cmd = [binary, "check", "--output-format", "json", "--no-cache", "--exit-zero",
           "--select", codes, root]
    if config:
        cmd[2:2] = ["--config", config]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(f"warning: {' '.join(cmd)} exited {proc.returncode}\n{proc.stderr[-2000:]}\n")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(f"error: no JSON from {' '.join(cmd)}\n{proc.stderr[-2000:]}\n")
        return {"findings": []}


def rel_path(path, root):
    root_abs = os.path.realpath(root)
    # The binary prints paths under the working directory relative to it (as Ruff does).
    p = os.path.realpath(os.path.abspath(path))
    if p.startswith(root_abs + os.sep):
        return os.path.relpath(p, root_abs).replace(os.sep, "/")
    return path.replace(os.sep, "/")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--corpus", default="/work/corpus")
    ap.add_argument("--labels", default=os.path.join(HERE, "labels.tsv"))
    ap.add_argument("--repos", default=os.path.join(HERE, "repos.tsv"))
    ap.add_argument("--codes", default="SWC1,SWC2")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    ap.add_argument("--unlabelled", action="store_true",
                    help="list unlabelled findings as `repo path:line code message`")
    ap.add_argument("--tp", action="store_true",
                    help="list the true positives (findings on POS rows) with their messages")
    ap.add_argument("--errors", action="store_true",
                    help="list false positives and missed POS rows, each with its label's reason")
    ap.add_argument("--config", help="configuration file passed to the binary (instead of each "
                    "repository's own)")
    ap.add_argument("--min-severity", choices=["low", "medium", "high"], default="low",
                    help="leave out findings below this severity")
    args = ap.parse_args()
    rank = {"low": 0, "medium": 1, "high": 2}
    selectors = [c.strip() for c in args.codes.split(",") if c.strip()]

    labels = [r for r in read_tsv(args.labels) if r.get("repo")]
    repos = []
    if os.path.exists(args.repos):
        repos = [r["repo"] for r in read_tsv(args.repos) if r.get("repo")]
    for r in labels:
        if r["repo"] not in repos:
            repos.append(r["repo"])

    # label rows indexed by (repo, path)
    rows_by_file = collections.defaultdict(list)
    for i, r in enumerate(labels):
        start, _, end = r["lines"].partition("-")
        start = int(start); end = int(end or start)
        codes = {c.strip() for c in r["codes"].split(",") if c.strip()}
        rows_by_file[(r["repo"], r["path"])].append((i, start, end, codes, r["label"].strip().upper()))

    present, missing = [], []
    findings = []  # (repo, path, line, code, message)
    for repo in repos:
        root = os.path.join(args.corpus, repo.replace("/", "+"))
        if not os.path.isdir(root):
            missing.append(repo)
            continue
        present.append(repo)
        out = run_binary(args.binary, root, ",".join(selectors), args.config)
        for f in out.get("findings", []):
            if not code_selected(f["code"], selectors) or f["code"] == "SWC000":
                continue
            if rank[f.get("severity", "high")] < rank[args.min_severity]:
                continue
            findings.append((repo, rel_path(f["path"], root), int(f["line"]), f["code"], f.get("message", "")))
    for repo in missing:
        sys.stderr.write(f"note: {repo} not found under {args.corpus}, skipped (see export.sh)\n")

    stats = collections.defaultdict(lambda: collections.Counter())
    matched_pos = set()
    unlabelled = []
    false_pos = []
    true_pos = []
    for repo, path, line, code, msg in findings:
        st = stats[code]
        st["findings"] += 1
        pos = neg = False
        for i, s, e, codes, lab in rows_by_file.get((repo, path), []):
            if code in codes and s <= line <= e:
                if lab == "POS":
                    pos = True
                    matched_pos.add((i, code))
                elif lab == "NEG":
                    neg = True
        if pos:
            st["tp"] += 1
            true_pos.append(f"TP   {code} {repo} {path}:{line} {msg}")
        elif neg:
            st["fp"] += 1
            why = next(labels[i]["reason"] for i, s, e, codes, lab in rows_by_file[(repo, path)]
                       if code in codes and s <= line <= e and lab == "NEG")
            false_pos.append(f"FP   {code} {repo} {path}:{line} {msg}\n       label: {why}")
        else:
            st["unlabelled"] += 1
            unlabelled.append({"repo": repo, "path": path, "line": line, "code": code, "message": msg})

    present_set = set(present)
    for i, r in enumerate(labels):
        if r["repo"] not in present_set:
            continue
        for code in {c.strip() for c in r["codes"].split(",") if c.strip()}:
            if not code_selected(code, selectors):
                continue
            st = stats[code]
            lab = r["label"].strip().upper()
            if lab == "POS":
                st["pos_rows"] += 1
                if (i, code) in matched_pos:
                    st["pos_found"] += 1
            elif lab == "NEG":
                st["neg_rows"] += 1

    def ratio(a, b):
        return round(a / b, 3) if b else None

    table = {}
    total = collections.Counter()
    for code in sorted(stats):
        st = stats[code]
        total.update(st)
        table[code] = {
            "findings": st["findings"], "tp": st["tp"], "fp": st["fp"], "unlabelled": st["unlabelled"],
            "pos_rows": st["pos_rows"], "pos_found": st["pos_found"], "neg_rows": st["neg_rows"],
            "precision": ratio(st["tp"], st["tp"] + st["fp"]),
            "recall": ratio(st["pos_found"], st["pos_rows"]),
        }
    table["ALL"] = {
        "findings": total["findings"], "tp": total["tp"], "fp": total["fp"], "unlabelled": total["unlabelled"],
        "pos_rows": total["pos_rows"], "pos_found": total["pos_found"], "neg_rows": total["neg_rows"],
        "precision": ratio(total["tp"], total["tp"] + total["fp"]),
        "recall": ratio(total["pos_found"], total["pos_rows"]),
    }

    if args.json:
        json.dump({"binary": args.binary, "codes": selectors, "repos": present, "missing": missing,
                   "rules": table, "unlabelled": unlabelled}, sys.stdout, indent=2)
        print()
        return
    if args.tp:
        print("\n".join(true_pos))
        return
    if args.errors:
        for fp in false_pos:
            print(fp)
        for i, r in enumerate(labels):
            if r["repo"] not in present_set or r["label"].strip().upper() != "POS":
                continue
            for code in sorted({c.strip() for c in r["codes"].split(",") if c.strip()}):
                if code_selected(code, selectors) and (i, code) not in matched_pos:
                    print(f"MISS {code} {r['repo']} {r['path']}:{r['lines']}\n       label: {r['reason']}")
        return
    if args.unlabelled:
        for u in unlabelled:
            print(f"{u['repo']} {u['path']}:{u['line']} {u['code']} {u['message']}")
        return

    fmt = "{:<7} {:>8} {:>4} {:>4} {:>6} {:>8} {:>8} {:>9} {:>7}"
    print(f"repos scored: {len(present)} ({', '.join(present)})")
    print(fmt.format("code", "findings", "TP", "FP", "unlab", "POSrows", "NEGrows", "precision", "recall"))
    for code, t in table.items():
        p = "-" if t["precision"] is None else f"{t['precision']:.2f}"
        rc = "-" if t["recall"] is None else f"{t['recall']:.2f} ({t['pos_found']}/{t['pos_rows']})"
        print(fmt.format(code, t["findings"], t["tp"], t["fp"], t["unlabelled"], t["pos_rows"],
                         t["neg_rows"], p, rc))
    if unlabelled:
        print(f"\n{len(unlabelled)} unlabelled findings (run with --unlabelled to list them)")


if __name__ == "__main__":
    main()
