//! What the file-concurrency rules share (SWC201, SWC203, SWC204, and SWC202 for a shared
//! temporary name): the condition under which a finding stands with the evidence that it runs
//! concurrently, and the wording of the fixes.

use crate::lint::json_io::{Rmw, RmwKind};
use crate::lint::project::Condition;
use ruff_text_size::TextRange;

/// The condition of a read-modify-write finding, and its related locations: the read (`read`
/// says how it is shown), then the module's evidence of concurrent runs. With `processes_only`
/// (SWC204, whose thread lock already excludes the threads of one process), threads or tasks
/// spawned per item are no evidence.
pub fn concurrent_rmw(
    rmw: &Rmw,
    module: &str,
    read: String,
    processes_only: bool,
) -> (Condition, Vec<(TextRange, String)>) {
    let (condition, evidence) = concurrent_runs(rmw, module, processes_only);
    (
        condition,
        std::iter::once((rmw.read, read)).chain(evidence).collect(),
    )
}

/// The condition under which code that writes the file of `rmw` runs concurrently, and the
/// module's evidence that it does (what a read-modify-write or a shared temporary name needs).
pub fn concurrent_runs(
    rmw: &Rmw,
    module: &str,
    processes_only: bool,
) -> (Condition, Vec<(TextRange, String)>) {
    let usable = !(processes_only && rmw.threads_only);
    let shown = usable && !rmw.concurrency.is_empty();
    let condition = Condition::ConcurrentRmw {
        file: rmw.file.as_deref().map(Into::into),
        shown,
        snapshot: rmw.cached_read,
        one_shot: rmw.one_shot,
        takes_turns: rmw.takes_turns,
        object_file: rmw.object_file,
        locked: rmw.kind != RmwKind::Unprotected,
        root: rmw.root.as_deref().map(Into::into),
        function: rmw
            .function
            .as_ref()
            .map(|f| format!("{module}.{f}").into()),
        entry: rmw.entry.as_ref().map(|e| e.qualified(module)),
        siblings: rmw
            .siblings
            .iter()
            .map(|f| format!("{module}.{f}").into())
            .collect(),
        callers: rmw
            .callers
            .iter()
            .map(|f| format!("{module}.{f}").into())
            .collect(),
    };
    let mut related: Vec<(TextRange, String)> =
        rmw.concurrency.iter().filter(|_| usable).cloned().collect();
    // With no sign of concurrent runs, what keeps the finding is whose file it is.
    if !shown && rmw.object_file {
        related.push((
            rmw.write,
            format!(
                "`{}` is drawn from the state of the object this method runs on: a store that every holder of the object updates, and nothing here orders their calls",
                rmw.path
            ),
        ));
    }
    (condition, related)
}

pub const USE_STORE: &str =
    "or use swarmcheck's locked JSON store: `with swarmcheck.store.locked_json(path) as doc:`";

pub fn hold_one_lock(path: &str) -> String {
    format!(
        "hold one cross-process lock from the read to the write (`with filelock.FileLock(str({path}) + \".lock\"):` around both), {USE_STORE}"
    )
}
