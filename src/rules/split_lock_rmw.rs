//! SWC203 split-lock-rmw: the read and the write are each locked, but the lock is released in
//! between, so another writer (another process, or with a thread lock another thread) can write
//! in the gap.

use super::file_concurrency::{concurrent_rmw, hold_one_lock};
use crate::lint::checker::{Checker, Diagnostic};
use crate::lint::json_io::{JsonFacts, RmwKind};
use crate::rules::Rule;

pub fn check(checker: &mut Checker, facts: &JsonFacts) {
    for rmw in facts.rmw.iter().filter(|r| r.kind == RmwKind::SplitLock) {
        let (condition, related) = concurrent_rmw(
            rmw,
            checker.context.module,
            format!("`{}` is read here, under a separate lock", rmw.path),
            false,
        );
        checker.report(Diagnostic {
            condition,
            rule: Rule::SplitLockRmw,
            range: rmw.write,
            message: format!(
                "`{}` is read under a lock and written under a lock, but the lock is released in between: another writer can write in the gap and its update is lost",
                rmw.path
            ),
            related,
            fix: Some(hold_one_lock(&rmw.path)),
        });
    }
}
