//! SWC204 thread-lock-only: the read-modify-write is protected by a `threading`/`asyncio` lock,
//! which other processes do not see.

use super::file_concurrency::{concurrent_rmw, USE_STORE};
use crate::lint::checker::{Checker, Diagnostic};
use crate::lint::json_io::{JsonFacts, RmwKind};
use crate::rules::Rule;

pub fn check(checker: &mut Checker, facts: &JsonFacts) {
    for rmw in facts.rmw.iter().filter(|r| r.kind == RmwKind::ThreadOnly) {
        let (condition, related) = concurrent_rmw(
            rmw,
            checker.context.module,
            format!("`{}` is read here", rmw.path),
            true,
        );
        checker.report(Diagnostic {
            condition,
            rule: Rule::ThreadLockOnly,
            range: rmw.write,
            message: format!(
                "the read-modify-write of `{}` holds only a thread lock: it excludes threads of this process, not the other processes that update the file",
                rmw.path
            ),
            related,
            fix: Some(format!(
                "replace (or wrap) the thread lock with a cross-process one held from read to write (`filelock.FileLock`), {USE_STORE}"
            )),
        });
    }
}
