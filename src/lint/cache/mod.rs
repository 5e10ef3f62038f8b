//! The results cache: per file, the module summary of the last analysis (phase one: its facts
//! for the project and its candidate findings), reused when neither the file nor anything that
//! shapes its summary changed; and the last run's result ([`memo`]).
//!
//! One file per configuration under the cache directory, named by a hash of the tool version and
//! the settings, sealed with the user's key ([`sealed`]): a cache this user did not write on this
//! machine is ignored, so a committed or edited cache cannot hide a finding. An entry is reused
//! when the file's size and modification time are unchanged, or, when only the time changed, its
//! content hash is; and when the rules enabled for that file and its displayed path are the same.
//! A summary depends on its file alone; what depends on other modules (linking, lifetimes,
//! imported lock helpers) is recomputed whenever any input changed, so an edit in one module
//! changes the findings of the modules that depend on it. A cache that cannot be read is ignored;
//! one that cannot be written is skipped: the cache never fails a scan.

use crate::finding::{Finding, Related, Snippet};
use crate::lint::noqa::FileExemption;
use crate::lint::project::summary::{Candidate, LineSuppression, ModuleSummary};
use crate::lint::project::{Condition, ModuleFacts};
use crate::rules::Rule;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub mod memo;
pub mod sealed;

const CACHE_VERSION: u32 = 224;

/// A cache file larger than this is not read (summaries of 12,000 files take about 25 MB).
const MAX_CACHE_BYTES: u64 = 1 << 30;

/// Files modified this recently are checked by content, not by time.
const RACY_WINDOW_NS: u128 = 3_000_000_000;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Entry {
    display: String,
    size: u64,
    modified_ns: u128,
    content_hash: u64,
    rules: u64,
    facts: ModuleFacts,
    candidates: Vec<CachedCandidate>,
    file_exemption: FileExemption,
    suppressions: Vec<CachedSuppression>,
}

/// A candidate finding: the finding, its condition, and the range of a deferred code frame.
type CachedCandidate = (CachedFinding, Condition, Option<(u32, u32)>);

/// A `noqa` line: its number and codes, each with the SWC900 finding to report when unused.
type CachedSuppression = (usize, Option<Vec<(String, Option<CachedFinding>)>>);

#[derive(Clone, Debug, Serialize, Deserialize)]
struct CachedFinding {
    code: String,
    severity: crate::finding::Severity,
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: String,
    /// (path, line, column, message) of each related location.
    related: Vec<(Option<String>, usize, usize, String)>,
    fix: Option<String>,
    fingerprint: String,
    snippet: Option<(usize, String, usize, usize)>,
}

/// Each entry stays encoded until its file is looked up: a run that edits one file decodes
/// every other file's entry once, into the summary it links, instead of holding a decoded copy
/// of the whole cache beside those summaries (which doubled peak memory), and writes the
/// entries it did not change back as they were read.
#[derive(Default, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    tool: String,
    entries: HashMap<String, EncodedEntry>,
}

/// An [`Entry`] in postcard's encoding.
#[derive(Clone, Debug, Default)]
struct EncodedEntry(Vec<u8>);

impl Serialize for EncodedEntry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for EncodedEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl serde::de::Visitor<'_> for Bytes {
            type Value = EncodedEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an encoded cache entry")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<EncodedEntry, E> {
                Ok(EncodedEntry(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<EncodedEntry, E> {
                Ok(EncodedEntry(v))
            }
        }
        deserializer.deserialize_bytes(Bytes)
    }
}

impl EncodedEntry {
    fn encode(entry: &Entry) -> Option<EncodedEntry> {
        postcard::to_stdvec(entry).ok().map(EncodedEntry)
    }

    fn decode(&self) -> Option<Entry> {
        postcard::from_bytes(&self.0).ok()
    }
}

/// The cache of one run: loaded before the scan, updated by it, saved after it.
pub struct Cache {
    file: PathBuf,
    sealer: Option<sealed::Sealer>,
    /// Loaded on first use: a run replayed from its memo never needs it.
    old: std::sync::OnceLock<HashMap<String, EncodedEntry>>,
    new: Mutex<HashMap<String, EncodedEntry>>,
    /// An entry was added or refreshed: the file is written again only then.
    changed: std::sync::atomic::AtomicBool,
}

/// What a file on disk looks like now, to compare with its entry.
#[derive(Clone, Copy, Debug)]
pub struct Stamp {
    pub size: u64,
    pub modified_ns: u128,
}

pub fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        size: meta.len(),
        modified_ns: meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos()),
    })
}

fn now_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

pub fn content_hash(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

impl Cache {
    /// Opens the cache for `settings_key` (everything besides the file that shapes findings).
    pub fn open(dir: &Path, settings_key: &str) -> Cache {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (env!("CARGO_PKG_VERSION"), CACHE_VERSION, settings_key).hash(&mut h);
        let file = dir.join(format!("{:016x}.bin", h.finish()));
        // A cache directory that is a symlink may point anywhere: not used.
        let usable = std::fs::symlink_metadata(dir).map_or(true, |m| m.is_dir());
        let sealer = usable.then(sealed::Sealer::for_user).flatten();
        Cache {
            file,
            sealer,
            old: std::sync::OnceLock::new(),
            new: Mutex::new(HashMap::new()),
            changed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn old(&self) -> &HashMap<String, EncodedEntry> {
        self.old.get_or_init(|| {
            self.sealer
                .as_ref()
                .and_then(|s| s.open(&self.file, MAX_CACHE_BYTES))
                .and_then(|b| postcard::from_bytes::<CacheFile>(&b).ok())
                .filter(|c| c.version == CACHE_VERSION && c.tool == env!("CARGO_PKG_VERSION"))
                .map(|c| c.entries)
                .unwrap_or_default()
        })
    }

    /// The result of the last run, if it read exactly these files as they are now.
    pub fn replay(&self, now: &[memo::Discovered<'_>]) -> Option<memo::Replay> {
        let sealer = self.sealer.as_ref()?;
        memo::replay(sealer, &memo::memo_path(&self.file), now, MAX_CACHE_BYTES)
    }

    /// Records this run's inputs and findings for [`Cache::replay`].
    pub fn record_run(&self, files: Vec<memo::FileInput>, findings: &[Finding], suppressed: usize) {
        if let Some(sealer) = &self.sealer {
            memo::record(
                sealer,
                &memo::memo_path(&self.file),
                files,
                findings,
                suppressed,
            );
        }
    }

    /// The cached findings of `path`, if its entry still holds, with the content hash on record. `read` gives the file's bytes,
    /// only called when the size matches but the time does not.
    pub fn lookup(
        &self,
        path: &Path,
        display: &str,
        rules: u64,
        now: &Stamp,
        read: impl FnOnce() -> Option<Vec<u8>>,
    ) -> Option<(ModuleSummary, u64)> {
        let key = path.to_string_lossy();
        let mut entry = self.old().get(key.as_ref())?.decode()?;
        if entry.display != display || entry.rules != rules || entry.size != now.size {
            return None;
        }
        // File times are coarse (a clock tick): a file written within the last seconds may have
        // changed without its time changing, so its content is compared too.
        let recent = now_ns().saturating_sub(now.modified_ns) < RACY_WINDOW_NS;
        if entry.modified_ns != now.modified_ns || recent {
            let bytes = read()?;
            if content_hash(&bytes) != entry.content_hash {
                return None;
            }
        }
        let candidates = entry
            .candidates
            .iter()
            .map(|(f, c, d)| {
                Some(Candidate {
                    finding: to_finding(f)?,
                    condition: c.clone(),
                    deferred_snippet: *d,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let mut suppressions = Vec::with_capacity(entry.suppressions.len());
        for (line, codes) in &entry.suppressions {
            let codes = match codes {
                None => None,
                Some(codes) => Some(
                    codes
                        .iter()
                        .map(|(code, f)| match f {
                            None => Some((code.clone(), None)),
                            Some(f) => Some((code.clone(), Some(to_finding(f)?))),
                        })
                        .collect::<Option<Vec<_>>>()?,
                ),
            };
            suppressions.push(LineSuppression { line: *line, codes });
        }
        // Only an entry whose time moved needs writing again; the rest stay as loaded.
        if entry.modified_ns != now.modified_ns {
            entry.modified_ns = now.modified_ns;
            if let Some(fresh) = EncodedEntry::encode(&entry) {
                self.changed
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                self.new
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key.into_owned(), fresh);
            }
        }
        let summary = ModuleSummary {
            facts: entry.facts,
            candidates,
            file_exemption: entry.file_exemption,
            suppressions,
        };
        Some((summary, entry.content_hash))
    }

    /// Records the summary of a freshly analyzed file.
    pub fn store(
        &self,
        path: &Path,
        display: &str,
        rules: u64,
        stamp: &Stamp,
        content_hash: u64,
        summary: &ModuleSummary,
    ) {
        let entry = Entry {
            display: display.to_string(),
            size: stamp.size,
            modified_ns: stamp.modified_ns,
            content_hash,
            rules,
            facts: summary.facts.clone(),
            candidates: summary
                .candidates
                .iter()
                .map(|c| {
                    (
                        from_finding(&c.finding),
                        c.condition.clone(),
                        c.deferred_snippet,
                    )
                })
                .collect(),
            file_exemption: summary.file_exemption.clone(),
            suppressions: summary
                .suppressions
                .iter()
                .map(|s| {
                    let codes = s.codes.as_ref().map(|codes| {
                        codes
                            .iter()
                            .map(|(code, f)| (code.clone(), f.as_ref().map(from_finding)))
                            .collect()
                    });
                    (s.line, codes)
                })
                .collect(),
        };
        let Some(encoded) = EncodedEntry::encode(&entry) else {
            return;
        };
        self.changed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.new
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_string_lossy().into_owned(), encoded);
    }

    /// Writes the cache: this run's entries, plus earlier entries of files it did not scan.
    /// Best effort.
    pub fn save(self) {
        if !self.changed.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let Some(sealer) = &self.sealer else { return };
        self.old();
        let mut entries = self.old.into_inner().unwrap_or_default();
        entries.extend(self.new.into_inner().unwrap_or_else(|e| e.into_inner()));
        let file = CacheFile {
            version: CACHE_VERSION,
            tool: env!("CARGO_PKG_VERSION").to_string(),
            entries,
        };
        if prepare_dir(&self.file).is_some() {
            if let Ok(bytes) = postcard::to_stdvec(&file) {
                let _ = sealer.write(&self.file, &bytes);
            }
        }
    }
}

/// What `clear` removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Cleared {
    pub files: usize,
    pub bytes: u64,
}

/// Removes a results cache directory: its `.gitignore` and the `<16 hex>.bin` and
/// `<16 hex>.run.bin` files swarmcheck writes, then the directory if that left it empty. Refuses
/// (touching nothing) a path that is not a directory of that shape, so a mistyped `--cache-dir`
/// never deletes the user's files. A missing directory is nothing to clear.
pub fn clear(dir: &Path) -> Result<Cleared, String> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Cleared::default()),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    if !meta.is_dir() {
        return Err(format!(
            "{} is not a directory (a symlink or a file); not removed",
            dir.display()
        ));
    }
    let ours = |name: &str| {
        let stem = name
            .strip_suffix(".run.bin")
            .or_else(|| name.strip_suffix(".bin"));
        name == ".gitignore"
            || stem.is_some_and(|s| s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry
            .file_type()
            .map_err(|e| format!("{}: {e}", entry.path().display()))?;
        if !kind.is_file() || !ours(&name) {
            return Err(format!(
                "{} holds {name}, which swarmcheck did not write: this is not a swarmcheck cache; nothing was removed",
                dir.display()
            ));
        }
        files.push(entry.path());
    }
    let mut cleared = Cleared::default();
    for f in files {
        let size = std::fs::symlink_metadata(&f).map(|m| m.len()).unwrap_or(0);
        std::fs::remove_file(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        cleared.files += 1;
        cleared.bytes += size;
    }
    std::fs::remove_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(cleared)
}

/// Creates the cache directory and its `.gitignore` (as Ruff does, to keep the cache out of
/// version control). The ignore file is created new, never written through a symlink.
fn prepare_dir(file: &Path) -> Option<()> {
    let dir = file.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    if !std::fs::symlink_metadata(dir).ok()?.is_dir() {
        return None;
    }
    let ignore = dir.join(".gitignore");
    if std::fs::symlink_metadata(&ignore).is_err() {
        if let Ok(mut f) = crate::store::commit::create_private(&ignore, None) {
            use std::io::Write;
            let _ = f.write_all(b"*\n");
        }
    }
    Some(())
}

fn from_finding(f: &Finding) -> CachedFinding {
    CachedFinding {
        code: f.code.to_string(),
        severity: f.severity,
        path: f.path.clone(),
        line: f.line,
        column: f.column,
        end_line: f.end_line,
        end_column: f.end_column,
        message: f.message.clone(),
        related: f
            .related
            .iter()
            .map(|r| (r.path.clone(), r.line, r.column, r.message.clone()))
            .collect(),
        fix: f.fix.clone(),
        fingerprint: f.fingerprint.clone(),
        snippet: f
            .snippet
            .as_ref()
            .map(|s| (s.first_line, s.text.clone(), s.start, s.end)),
    }
}

fn to_finding(c: &CachedFinding) -> Option<Finding> {
    let rule = Rule::from_code(&c.code)?;
    Some(Finding {
        code: rule.code(),
        name: rule.name(),
        severity: c.severity,
        path: c.path.clone(),
        line: c.line,
        column: c.column,
        end_line: c.end_line,
        end_column: c.end_column,
        message: c.message.clone(),
        related: c
            .related
            .iter()
            .map(|(path, line, column, message)| Related {
                path: path.clone(),
                line: *line,
                column: *column,
                message: message.clone(),
            })
            .collect(),
        fix: c.fix.clone(),
        fingerprint: c.fingerprint.clone(),
        snippet: c
            .snippet
            .as_ref()
            .map(|(first_line, text, start, end)| Snippet {
                first_line: *first_line,
                text: text.clone(),
                start: *start,
                end: *end,
            }),
    })
}
