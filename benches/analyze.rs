//! Per-file analysis speed: decode + parse + semantic facts + rules, per MB of source, with all
//! rules and with each rule alone (so a slow rule shows up as a regression of its own line).
//!
//! `cargo bench --bench analyze`. Inputs: the repository's fixtures and demo project, repeated
//! into one module-sized sample each.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::path::Path;
use swarmcheck::lint::check_source;
use swarmcheck::lint::settings::LintSettings;
use swarmcheck::rules::{Rule, RuleSet};

fn sources() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "py") {
                let bytes = std::fs::read(&path).unwrap();
                // Files that do not parse measure the error path only; keep them out.
                if std::str::from_utf8(&bytes).is_ok() && !path.to_string_lossy().contains("SWC000")
                {
                    out.push((path.display().to_string(), bytes));
                }
            }
        }
    }
    out.sort();
    out
}

fn analyze(c: &mut Criterion) {
    let settings = LintSettings::default();
    let files = sources();
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    let mut group = c.benchmark_group("analyze");
    group.throughput(Throughput::Bytes(total as u64));
    let mut sets: Vec<(String, RuleSet)> = vec![("all".to_string(), RuleSet::all())];
    sets.extend(
        Rule::ALL
            .iter()
            .map(|r| (r.code().to_string(), [*r].into_iter().collect())),
    );
    for (name, rules) in sets {
        group.bench_with_input(BenchmarkId::from_parameter(&name), &rules, |b, rules| {
            b.iter(|| {
                let mut n = 0;
                for (path, bytes) in &files {
                    n += check_source(bytes, path, false, *rules, &settings).0.len();
                }
                n
            })
        });
    }
    group.finish();
}

criterion_group!(benches, analyze);
criterion_main!(benches);
