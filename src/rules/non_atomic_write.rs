//! SWC202 non-atomic-write: a JSON state file written in place (or through a temp-file scheme
//! that is not atomic), so a crash or a concurrent reader sees a truncated file.

use crate::lint::checker::{Checker, Diagnostic};
use crate::lint::json_io::{JsonFacts, Scheme};
use crate::rules::Rule;

const FIX: &str = "write a unique temporary file in the same directory (`fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))`), flush and `os.fsync` it, then `os.replace(tmp, path)`; or use `swarmcheck.store.locked_json(path)`, which does this";

pub fn check(checker: &mut Checker, facts: &JsonFacts) {
    for w in &facts.risky_writes {
        let mut related = Vec::new();
        let message = match &w.scheme {
            Scheme::InPlace => {
                match (w.read, &w.read_family) {
                    (Some(read), Some(family)) => related.push((
                        read,
                        format!("another record of the same store, `{family}`, is read here, so these files are state"),
                    )),
                    (Some(read), None) => related.push((
                        read,
                        format!("`{}` is read back here, so it is a state file", w.path),
                    )),
                    _ => {}
                }
                format!(
                    "JSON state file `{}` is written in place (truncated first, or overwritten from its start), so a crash or a concurrent reader sees an empty or half-written document",
                    w.path
                )
            }
            Scheme::FixedTemp(tmp) if w.unlinked_first => format!(
                "`{}` is replaced through the temporary name `{tmp}`, which every process shares, and it is deleted or moved away before the move: a window where the file does not exist, and concurrent writers overwrite each other's temp file",
                w.path
            ),
            Scheme::FixedTemp(tmp) => format!(
                "`{}` is replaced through the temporary name `{tmp}`, which every process shares: concurrent writers overwrite each other's temp file",
                w.path
            ),
            Scheme::Atomic => format!(
                "`{}` is deleted or moved away before the temporary file is moved into place: a window where the file does not exist; `os.replace` needs neither (copy the backup instead)",
                w.path
            ),
        };
        let state_write = || crate::lint::project::Condition::StateWrite {
            entry: w
                .entry
                .as_ref()
                .map(|e| e.qualified(checker.context.module)),
            read_elsewhere: w.read_elsewhere.as_deref().map(Into::into),
            first_version_by: w.first_version_by.as_deref().map(Into::into),
            for_callers: w
                .for_callers
                .as_deref()
                .map(|function| (function.into(), w.path.as_str().into())),
        };
        let condition = match (&w.concurrent, w.repeated) {
            // A replace through a fixed temporary name is atomic for readers and for a crash:
            // the hazard is a second writer, so it needs what a read-modify-write needs to run
            // twice at once.
            (Some(rmw), _) => {
                let (condition, evidence) =
                    super::file_concurrency::concurrent_runs(rmw, checker.context.module, false);
                related.extend(evidence);
                condition
            }
            // A script that ends is redone by running it again, even when it saves its
            // progress on every pass: one run at a time owns the file, and an interrupted run is
            // rerun (the checkpoints of a maintainer script, a benchmark's results).
            (None, Some(at)) => {
                related.push((
                    at,
                    format!("`{}` is written again on every pass here", w.path),
                ));
                state_write()
            }
            (None, None) => state_write(),
        };
        checker.report(Diagnostic {
            condition,
            rule: Rule::NonAtomicWrite,
            range: w.range,
            message,
            related,
            fix: Some(FIX.to_string()),
        });
    }
}
