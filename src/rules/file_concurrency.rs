//! Shared wording of the file-concurrency fixes (SWC201-SWC204).

pub const USE_STORE: &str =
    "or use swarmcheck's locked JSON store: `with swarmcheck.store.locked_json(path) as doc:`";

pub fn hold_one_lock(path: &str) -> String {
    format!(
        "hold one cross-process lock from the read to the write (`with filelock.FileLock(str({path}) + \".lock\"):` around both), {USE_STORE}"
    )
}
