//! The last run's findings, replayed when none of its inputs changed.
//!
//! Linking needs every module's summary, and loading and linking thousands of summaries takes
//! longer than a re-run with no change should. So each run also records what it read (every
//! file's path, size, time and content hash, and the rules enabled for it) with its findings.
//! When the next run with the same settings finds the same files with the same stamps (or, for a
//! file whose time moved or that was written in the last seconds, the same content), its result
//! is the recorded one: the linked verdicts are a function of exactly those inputs.

use super::{content_hash, from_finding, sealed::Sealer, to_finding, CachedFinding, Stamp};
use crate::finding::Finding;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What one file of a run was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInput {
    pub path: String,
    pub display: String,
    pub rules: u64,
    /// Judged test code (by its path below the checked root).
    pub test: bool,
    pub size: u64,
    pub modified_ns: u128,
    pub content_hash: u64,
}

#[derive(Serialize, Deserialize)]
struct MemoFile {
    version: u32,
    tool: String,
    files: Vec<FileInput>,
    findings: Vec<CachedFinding>,
    suppressed: usize,
}

/// A file as discovered by this run, before it is read.
pub struct Discovered<'a> {
    pub path: &'a Path,
    pub display: &'a str,
    pub rules: u64,
    pub test: bool,
    pub stamp: Option<Stamp>,
}

/// A recorded result that still holds: its findings, how many were suppressed, and whether the
/// record must be written again (some files' times moved, their content did not).
pub struct Replay {
    pub findings: Vec<Finding>,
    pub suppressed: usize,
    pub restamped: Option<Vec<FileInput>>,
}

pub fn memo_path(cache_file: &Path) -> PathBuf {
    cache_file.with_extension("run.bin")
}

/// The recorded result, if every file of this run is the file the recorded run read.
pub fn replay(
    sealer: &Sealer,
    file: &Path,
    now: &[Discovered<'_>],
    max_bytes: u64,
) -> Option<Replay> {
    let bytes = sealer.open(file, max_bytes)?;
    let memo: MemoFile = postcard::from_bytes(&bytes).ok()?;
    if memo.version != super::CACHE_VERSION
        || memo.tool != env!("CARGO_PKG_VERSION")
        || memo.files.len() != now.len()
    {
        return None;
    }
    let now_ns = super::now_ns();
    let mut restamped = None;
    for (i, (old, new)) in memo.files.iter().zip(now).enumerate() {
        let stamp = new.stamp.as_ref()?;
        if old.path.as_bytes() != new.path.as_os_str().as_encoded_bytes()
            || old.display != new.display
            || old.rules != new.rules
            || old.test != new.test
            || old.size != stamp.size
        {
            return None;
        }
        let recent = now_ns.saturating_sub(stamp.modified_ns) < super::RACY_WINDOW_NS;
        if old.modified_ns != stamp.modified_ns || recent {
            let bytes = crate::store::files::read_regular(new.path, stamp.size + 1).ok()?;
            if content_hash(&bytes) != old.content_hash {
                return None;
            }
            if old.modified_ns != stamp.modified_ns {
                let files = restamped.get_or_insert_with(|| memo.files.clone());
                files[i].modified_ns = stamp.modified_ns;
            }
        }
    }
    let findings = memo
        .findings
        .iter()
        .map(to_finding)
        .collect::<Option<Vec<_>>>()?;
    Some(Replay {
        findings,
        suppressed: memo.suppressed,
        restamped,
    })
}

/// Records a run: the files it read and its findings.
pub fn record(
    sealer: &Sealer,
    file: &Path,
    files: Vec<FileInput>,
    findings: &[Finding],
    suppressed: usize,
) {
    let memo = MemoFile {
        version: super::CACHE_VERSION,
        tool: env!("CARGO_PKG_VERSION").to_string(),
        files,
        findings: findings.iter().map(from_finding).collect(),
        suppressed,
    };
    if super::prepare_dir(file).is_some() {
        if let Ok(bytes) = postcard::to_stdvec(&memo) {
            let _ = sealer.write(file, &bytes);
        }
    }
}
