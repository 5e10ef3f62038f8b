//! Arbitrary bytes as a metrics file (the store's event log, or a legacy metrics file: told
//! apart by content, as `lock.report`, `obs.metrics`, `swarm.pulse` and `slo` do), then the lock
//! report built from it. Any panic, stack overflow or allocation sized by a count in the input
//! (libFuzzer's memory limit catches those) is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use swarmcheck::obs::load::{load_bytes, Dataset};
use swarmcheck::obs::lock_report::{build, Filter};

fuzz_target!(|data: &[u8]| {
    let mut dataset = Dataset::default();
    load_bytes(Path::new("fuzz-metrics.jsonl"), data, &mut dataset);
    // 2027-01-15T08:00:00Z, one hour before data counts as stale.
    let report = build(&dataset, &Filter::default(), 1_800_000_000_000, 3600);
    serde_json::to_string(&report).expect("the report serializes");
});
