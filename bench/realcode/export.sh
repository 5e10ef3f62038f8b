#!/usr/bin/env bash
# Export every pinned commit of repos.tsv into a corpus directory.
#
# usage: export.sh [CORPUS_DIR] [MIRROR_ROOT]
#   CORPUS_DIR   where <owner>+<name>/ trees are written (default /work/corpus)
#   MIRROR_ROOT  where the bare git dirs live (default /work/.mirror); each repo is looked up as
#                MIRROR_ROOT/<owner>+<name>/repo (layout of the `fetch` tool), then
#                MIRROR_ROOT/<owner>+<name>/.git, MIRROR_ROOT/<owner>+<name> and
#                MIRROR_ROOT/<owner>+<name>.git (a `git clone` or `git clone --bare`).
# REPOS_TSV (environment) exports the pins of another file of the same shape instead of repos.tsv
# (a new batch, before it is added).
#
# Snapshots from the fetch tool lack files of 4 MiB and more (and LFS content). `git archive`
# aborts on such trees, so the commit's tree is written blob by blob with `git cat-file --batch`;
# absent blobs are skipped and listed on stderr. Symlinks and submodules are skipped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpus=${1:-/work/corpus}
mirrors=${2:-/work/.mirror}
mkdir -p "$corpus"
tail -n +2 "${REPOS_TSV:-$here/repos.tsv}" | while IFS=$'\t' read -r repo commit; do
  [ -n "$repo" ] || continue
  key=${repo/\//+}
  gitdir=""
  for cand in "$mirrors/$key/repo" "$mirrors/$key/repo/.git" "$mirrors/$key/.git" "$mirrors/$key" "$mirrors/$key.git"; do
    if [ -d "$cand" ] && git --git-dir="$cand" rev-parse --git-dir >/dev/null 2>&1; then gitdir=$cand; break; fi
  done
  if [ -z "$gitdir" ]; then echo "skip $repo: no git dir under $mirrors/$key" >&2; continue; fi
  if ! git --git-dir="$gitdir" cat-file -e "$commit^{commit}" 2>/dev/null; then
    echo "skip $repo: commit $commit not in $gitdir" >&2; continue
  fi
  dest="$corpus/$key"
  rm -rf "$dest"; mkdir -p "$dest"
  python3 - "$gitdir" "$commit" "$dest" "$repo" <<'PY'
import os, subprocess, sys
gd, commit, dest, repo = sys.argv[1:]
ls = subprocess.run(["git", "--git-dir", gd, "ls-tree", "-r", "-z", commit],
                    check=True, capture_output=True).stdout
rows = []
for ent in ls.split(b"\0"):
    if not ent:
        continue
    meta, path = ent.split(b"\t", 1)
    mode, typ, sha = meta.split()
    if typ == b"blob" and mode != b"120000":
        rows.append((mode, sha, path))
proc = subprocess.Popen(["git", "--git-dir", gd, "cat-file", "--batch"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
written = missing = 0
for mode, sha, path in rows:
    proc.stdin.write(sha + b"\n"); proc.stdin.flush()
    header = proc.stdout.readline()
    if header.endswith(b" missing\n"):
        missing += 1
        sys.stderr.write(f"  {repo}: blob absent from snapshot, skipped: {path.decode(errors='replace')}\n")
        continue
    size = int(header.split()[2])
    data = proc.stdout.read(size); proc.stdout.read(1)
    out = os.path.join(dest.encode(), path)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "wb") as fh:
        fh.write(data)
    if mode == b"100755":
        os.chmod(out, 0o755)
    written += 1
proc.stdin.close(); proc.wait()
print(f"{repo} {commit} -> {dest} ({written} files, {missing} absent)")
PY
done
