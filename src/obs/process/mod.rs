//! Agents' processes: which ones to watch (a `pid` in an agent's status record, or an
//! `[[observe.process]]` entry with a pid file or a command-line pattern), one sample of each,
//! and the per-process series a history of samples makes.
//!
//! A process is identified by its pid *and* its start time: a pid the kernel has handed to a
//! new process is another process, and its samples start a new series.

mod read;
pub mod series;

pub use read::{read, ReadError, Reading};
pub use series::{by_process, slope_per_hour, ProcessSeries};

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One sample of one process, as recorded in the pulse history (`processes` of a line).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ProcessSample {
    /// The agent id, or the `[[observe.process]]` name.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    pub pid: i32,
    /// When the process started (RFC 3339): with the pid, what makes it the same process.
    pub started: String,
    pub rss_bytes: u64,
    /// Proportional and unique set sizes, where `/proc/PID/smaps_rollup` is readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pss_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uss_bytes: Option<u64>,
    /// Open descriptors, and how many are regular files and sockets; absent when
    /// `/proc/PID/fd` is not readable (another user's process).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fd_files: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fd_sockets: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
    /// The command line up to what it runs (the script or `-m module`; see
    /// [`read::entry_args`]), and the working directory: what code the process runs, for
    /// joining it with the static findings. Later arguments are never recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmdline: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
}

/// Arguments kept of a command line; a long argument is cut at [`MAX_ARG_CHARS`].
pub const MAX_ARGS: usize = 16;
pub const MAX_ARG_CHARS: usize = 256;

/// How a configured process is found.
#[derive(Clone, Debug)]
pub enum Locator {
    PidFile(PathBuf),
    Match(regex::Regex),
}

/// A resolved `[[observe.process]]` entry.
#[derive(Clone, Debug)]
pub struct ProcessSpec {
    pub name: String,
    pub agent: Option<String>,
    pub locator: Locator,
}

/// A process to sample: where its pid came from, and the start time recorded with it.
#[derive(Clone, Debug)]
pub struct Target {
    pub name: String,
    pub agent: Option<String>,
    pub pid: i32,
    /// A recorded start time (status field or pid-file time) to detect pid reuse.
    pub recorded_start: Option<RecordedStart>,
    /// Where the pid was read, for warnings.
    pub origin: String,
}

#[derive(Clone, Copy, Debug)]
pub enum RecordedStart {
    /// The process start time its status record states: must match within a tolerance.
    Exactly(i64),
    /// The pid file's modification time: the process must have started before it.
    NotAfter(i64),
}

/// Start times differ this much between `/proc` (clock ticks since boot) and what a program
/// records, without the pid having been reused.
const START_TOLERANCE_MS: i64 = 2_000;

/// A sampling problem: the process is gone, not ours, or not the one recorded.
#[derive(Clone, Debug, Serialize)]
pub struct SampleWarning {
    pub process: String,
    pub message: String,
}

/// The targets of the configured processes: pid files read, command lines matched.
pub fn locate(specs: &[ProcessSpec], warnings: &mut Vec<SampleWarning>) -> Vec<Target> {
    let mut out = Vec::new();
    for spec in specs {
        match &spec.locator {
            Locator::PidFile(path) => match read_pid_file(path) {
                Ok((pid, mtime_ms)) => out.push(Target {
                    name: spec.name.clone(),
                    agent: spec.agent.clone(),
                    pid,
                    recorded_start: mtime_ms.map(RecordedStart::NotAfter),
                    origin: path.display().to_string(),
                }),
                Err(why) => warnings.push(SampleWarning {
                    process: spec.name.clone(),
                    message: format!("pid file {}: {why}", path.display()),
                }),
            },
            Locator::Match(re) => {
                let found = read::matching(re);
                if found.is_empty() {
                    warnings.push(SampleWarning {
                        process: spec.name.clone(),
                        message: format!("no running process matches `{}`", re.as_str()),
                    });
                }
                out.extend(found.into_iter().map(|pid| Target {
                    name: spec.name.clone(),
                    agent: spec.agent.clone(),
                    pid,
                    recorded_start: None,
                    origin: format!("match `{}`", re.as_str()),
                }));
            }
        }
    }
    out
}

/// The largest pid file read.
const PID_FILE_MAX_BYTES: u64 = 4096;

fn read_pid_file(path: &std::path::Path) -> Result<(i32, Option<i64>), String> {
    let text = crate::store::files::read_regular_to_string(path, PID_FILE_MAX_BYTES)
        .map_err(|e| e.to_string())?;
    let first = text.split_whitespace().next().unwrap_or("");
    let pid: i32 = first.parse().ok().filter(|p| *p > 0).ok_or_else(|| {
        format!(
            "`{}` is not a pid",
            first.chars().take(40).collect::<String>()
        )
    })?;
    let mtime = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64);
    Ok((pid, mtime))
}

/// Samples every target once. A process that is gone, reused or unreadable becomes a warning;
/// what can be read of another user's process (memory, threads, CPU) is still recorded.
pub fn sample(targets: &[Target], warnings: &mut Vec<SampleWarning>) -> Vec<ProcessSample> {
    let mut out: Vec<ProcessSample> = Vec::new();
    for t in targets {
        // The same process named twice (a registry and a status file) is sampled once.
        if out.iter().any(|s| s.pid == t.pid && s.name == t.name) {
            continue;
        }
        let warn = |warnings: &mut Vec<SampleWarning>, message: String| {
            warnings.push(SampleWarning {
                process: t.name.clone(),
                message,
            })
        };
        let r = match read(t.pid) {
            Ok(r) => r,
            Err(e) => {
                warn(warnings, format!("pid {} (from {}): {e}", t.pid, t.origin));
                continue;
            }
        };
        let reused = match t.recorded_start {
            Some(RecordedStart::Exactly(ms)) => (r.start_ms - ms).abs() > START_TOLERANCE_MS,
            Some(RecordedStart::NotAfter(ms)) => r.start_ms > ms + START_TOLERANCE_MS,
            None => false,
        };
        if reused {
            warn(
                warnings,
                format!(
                    "pid {} (from {}) is another process now: it started at {}, after what was recorded; not sampled",
                    t.pid,
                    t.origin,
                    crate::obs::fmt::fmt_ms(r.start_ms)
                ),
            );
            continue;
        }
        for missing in &r.unreadable {
            warn(warnings, format!("pid {}: {missing}", t.pid));
        }
        out.push(ProcessSample {
            name: t.name.clone(),
            agent: t.agent.clone(),
            pid: t.pid,
            started: crate::obs::fmt::fmt_ms(r.start_ms),
            rss_bytes: r.rss_bytes,
            pss_bytes: r.pss_bytes,
            uss_bytes: r.uss_bytes,
            fds: r.fds,
            fd_files: r.fd_files,
            fd_sockets: r.fd_sockets,
            threads: r.threads,
            cpu_seconds: r.cpu_seconds,
            cmdline: r.cmdline,
            cwd: r.cwd,
        });
    }
    out
}

/// The source file a sampled process runs: `python path/script.py` or `python -m pkg.mod`,
/// looked up under the process's working directory and then under `project_root` (a history
/// recorded on another host, or in another checkout).
pub fn entry_file(sample: &ProcessSample, project_root: &std::path::Path) -> Option<PathBuf> {
    // What runs is at the end of the command line's entry part: `-m module`, a script, or
    // (for another program) the program itself.
    let args = read::entry_args(&sample.cmdline);
    let (last, before) = args.split_last()?;
    let python = read::is_python(&args[0]);
    let bases: Vec<PathBuf> = sample
        .cwd
        .iter()
        .map(PathBuf::from)
        .chain(std::iter::once(project_root.to_path_buf()))
        .collect();
    if python && before.last().is_some_and(|a| a == "-m") {
        let rel: PathBuf = last.split('.').collect();
        return bases.iter().find_map(|b| {
            let stem = b.join(&rel);
            [stem.with_extension("py"), stem.join("__main__.py")]
                .into_iter()
                .find(|p| p.is_file())
        });
    }
    // An interpreter with no script (`python -c ...`, `python -m` cut short, a bare REPL).
    if python && (before.is_empty() || last.starts_with('-')) {
        return None;
    }
    let p = std::path::Path::new(last);
    if p.is_absolute() {
        if p.is_file() {
            return Some(p.to_path_buf());
        }
        // Recorded elsewhere: try the same name inside the project.
        return p
            .file_name()
            .map(|n| project_root.join(n))
            .filter(|c| c.is_file());
    }
    bases.iter().map(|b| b.join(p)).find(|c| c.is_file())
}

/// The directory whose findings are a process's suspects: the top package containing its
/// entry file (directories with `__init__.py`), or the entry file itself outside a package.
pub fn code_scope(entry: &std::path::Path) -> PathBuf {
    let mut scope = entry.to_path_buf();
    let mut dir = entry.parent();
    while let Some(d) = dir {
        if d.join("__init__.py").is_file() {
            scope = d.to_path_buf();
            dir = d.parent();
        } else {
            break;
        }
    }
    scope
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(cmdline: &[&str], cwd: Option<&std::path::Path>) -> ProcessSample {
        ProcessSample {
            name: "a".into(),
            agent: None,
            pid: 1,
            started: String::new(),
            rss_bytes: 0,
            pss_bytes: None,
            uss_bytes: None,
            fds: None,
            fd_files: None,
            fd_sockets: None,
            threads: None,
            cpu_seconds: None,
            cmdline: cmdline.iter().map(|s| s.to_string()).collect(),
            cwd: cwd.map(|c| c.display().to_string()),
        }
    }

    #[test]
    fn the_entry_file_comes_from_the_script_or_module() {
        let root = tempfile::tempdir().unwrap();
        let cwd = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("swarm")).unwrap();
        std::fs::write(root.path().join("swarm/__init__.py"), "").unwrap();
        std::fs::write(root.path().join("swarm/agent.py"), "").unwrap();
        std::fs::write(cwd.path().join("run.py"), "").unwrap();
        let entry = |args: &[&str]| entry_file(&sample(args, Some(cwd.path())), root.path());
        // `-m` is looked up under the working directory, then the project.
        assert_eq!(
            entry(&["python3", "-X", "dev", "-m", "swarm.agent", "--id", "A"]),
            Some(root.path().join("swarm/agent.py"))
        );
        assert_eq!(
            entry(&["/usr/bin/python3.11", "-u", "run.py", "--x"]),
            Some(cwd.path().join("run.py"))
        );
        assert_eq!(entry(&["python3", "-c", "print(1)"]), None);
        assert_eq!(entry(&["python3", "-m"]), None);
        assert_eq!(entry(&["python3"]), None);
        assert_eq!(entry(&["python3", "missing.py"]), None);
        assert_eq!(
            code_scope(&root.path().join("swarm/agent.py")),
            root.path().join("swarm")
        );
    }
}
