//! Arbitrary bytes through the whole per-file analysis: decode, nesting guard, parse, semantic
//! facts, every rule, suppressions. Any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use swarmcheck::lint::settings::LintSettings;
use swarmcheck::lint::{check_source, ANALYSIS_STACK_BYTES};
use swarmcheck::rules::RuleSet;

fuzz_target!(|data: &[u8]| {
    static SETTINGS: OnceLock<LintSettings> = OnceLock::new();
    let settings = SETTINGS.get_or_init(LintSettings::default);
    // The scanner analyzes files on threads with this stack; so does the fuzzer.
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(ANALYSIS_STACK_BYTES)
            .spawn_scoped(s, || {
                let _ = check_source(data, "fuzz.py", false, RuleSet::all(), settings);
            })
            .expect("spawn")
            .join()
            .expect("analysis panicked");
    });
});
