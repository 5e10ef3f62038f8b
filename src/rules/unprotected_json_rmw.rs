//! SWC201 unprotected-json-rmw: a JSON document read from a path and written back to it with
//! no cross-process lock held from the read to the write.

use super::file_concurrency::{concurrent_rmw, hold_one_lock};
use crate::lint::checker::{Checker, Diagnostic};
use crate::lint::json_io::{JsonFacts, RmwKind};
use crate::rules::Rule;

pub fn check(checker: &mut Checker, facts: &JsonFacts) {
    for rmw in facts.rmw.iter().filter(|r| r.kind == RmwKind::Unprotected) {
        let how = if rmw.cached_read {
            "was loaded in another method and cached on `self`; writing the cached copy back"
        } else {
            "is read, changed and written back"
        };
        let (condition, related) = concurrent_rmw(
            rmw,
            checker.context.module,
            format!("`{}` is read here", rmw.path),
            false,
        );
        checker.report(Diagnostic {
            condition,
            rule: Rule::UnprotectedJsonRmw,
            range: rmw.write,
            message: format!(
                "`{}` {how} with no cross-process lock held from the read to the write: processes that do this concurrently lose each other's updates",
                rmw.path
            ),
            related,
            fix: Some(hold_one_lock(&rmw.path)),
        });
    }
}
