//! Reading one process from `/proc` (Linux) with the `procfs` crate. Elsewhere there is no
//! `/proc`: every read is an `Unsupported` error and `swarm.pulse` says so once per process.

use super::{MAX_ARGS, MAX_ARG_CHARS};

/// What could be read of a process. Memory and CPU come from `stat`/`status`, which any user
/// can read; descriptors and PSS/USS need the process's owner (or root), and are `None` with a
/// line in `unreadable` otherwise.
#[derive(Clone, Debug, Default)]
pub struct Reading {
    pub start_ms: i64,
    pub rss_bytes: u64,
    pub pss_bytes: Option<u64>,
    pub uss_bytes: Option<u64>,
    pub fds: Option<u64>,
    pub fd_files: Option<u64>,
    pub fd_sockets: Option<u64>,
    pub threads: Option<u64>,
    pub cpu_seconds: Option<f64>,
    pub cmdline: Vec<String>,
    pub cwd: Option<String>,
    pub unreadable: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("no such process (it exited)")]
    Gone,
    #[error("cannot read /proc/{pid}: permission denied")]
    Denied { pid: i32 },
    #[error("cannot read /proc/{pid}: {reason}")]
    Other { pid: i32, reason: String },
    #[error("process sampling reads /proc, which this system does not have")]
    Unsupported,
}

#[cfg(target_os = "linux")]
pub fn read(pid: i32) -> Result<Reading, ReadError> {
    match procfs::process::Process::new(pid) {
        Ok(p) => read_process(&p, pid),
        Err(e) => Err(classify(e, pid)),
    }
}

#[cfg(not(target_os = "linux"))]
pub fn read(_pid: i32) -> Result<Reading, ReadError> {
    Err(ReadError::Unsupported)
}

/// Pids of running processes (not this one) whose command line matches `re`.
#[cfg(target_os = "linux")]
pub fn matching(re: &regex::Regex) -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(all) = procfs::process::all_processes() else {
        return Vec::new();
    };
    let mut out: Vec<i32> = all
        .flatten()
        .filter(|p| p.pid != me)
        .filter(|p| {
            p.cmdline()
                .is_ok_and(|args| !args.is_empty() && re.is_match(&args.join(" ")))
        })
        .map(|p| p.pid)
        .collect();
    out.sort_unstable();
    out
}

#[cfg(not(target_os = "linux"))]
pub fn matching(_re: &regex::Regex) -> Vec<i32> {
    Vec::new()
}

#[cfg(target_os = "linux")]
fn classify(e: procfs::ProcError, pid: i32) -> ReadError {
    match e {
        procfs::ProcError::NotFound(_) => ReadError::Gone,
        procfs::ProcError::PermissionDenied(_) => ReadError::Denied { pid },
        procfs::ProcError::Io(ref io, _) if io.kind() == std::io::ErrorKind::NotFound => {
            ReadError::Gone
        }
        other => ReadError::Other {
            pid,
            reason: other.to_string(),
        },
    }
}

#[cfg(target_os = "linux")]
pub(super) fn read_process(p: &procfs::process::Process, pid: i32) -> Result<Reading, ReadError> {
    use procfs::process::FDTarget;
    let stat = p.stat().map_err(|e| classify(e, pid))?;
    // A zombie has exited: its memory is gone and its descriptors are closed.
    if stat.state == 'Z' {
        return Err(ReadError::Gone);
    }
    let ticks = procfs::ticks_per_second() as f64;
    let boot_s = procfs::boot_time_secs().map_err(|e| classify(e, pid))?;
    let start_ms = boot_s as i64 * 1000 + (stat.starttime as f64 / ticks * 1000.0) as i64;
    let mut r = Reading {
        start_ms,
        rss_bytes: stat.rss * procfs::page_size(),
        threads: Some(stat.num_threads.max(0) as u64),
        cpu_seconds: Some((stat.utime + stat.stime) as f64 / ticks),
        ..Reading::default()
    };
    match p.smaps_rollup() {
        Ok(rollup) => {
            if let Some(m) = rollup.memory_map_rollup.0.first() {
                let get = |k: &str| m.extension.map.get(k).copied();
                r.pss_bytes = get("Pss");
                r.uss_bytes = match (get("Private_Clean"), get("Private_Dirty")) {
                    (Some(c), Some(d)) => Some(c + d),
                    _ => None,
                };
            }
        }
        Err(e) => r
            .unreadable
            .push(format!("PSS/USS not sampled: {}", classify(e, pid))),
    }
    match p.fd() {
        Ok(fds) => {
            let (mut all, mut files, mut sockets) = (0u64, 0u64, 0u64);
            for fd in fds.flatten() {
                all += 1;
                match fd.target {
                    FDTarget::Path(path) if !path.starts_with("/dev") => files += 1,
                    FDTarget::Socket(_) | FDTarget::Net(_) => sockets += 1,
                    _ => {}
                }
            }
            r.fds = Some(all);
            r.fd_files = Some(files);
            r.fd_sockets = Some(sockets);
        }
        Err(e) => r
            .unreadable
            .push(format!("open handles not sampled: {}", classify(e, pid))),
    }
    if let Ok(args) = p.cmdline() {
        r.cmdline = entry_args(&args)
            .iter()
            .take(MAX_ARGS)
            .map(|a| a.chars().take(MAX_ARG_CHARS).collect())
            .collect();
    }
    r.cwd = p.cwd().ok().map(|c| c.display().to_string());
    Ok(r)
}

/// Whether a command line's program is a Python interpreter (`python3.11`, `/usr/bin/pypy3`).
pub fn is_python(program: &str) -> bool {
    std::path::Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy())
        .is_some_and(|n| n.starts_with("python") || n.starts_with("pypy"))
}

/// The part of a command line that says what code runs: a Python interpreter with its flags up
/// to the script or `-m module`, or the program alone. Arguments after it (which can hold
/// tokens and passwords) are never recorded.
pub fn entry_args(args: &[String]) -> &[String] {
    let Some(first) = args.first() else {
        return args;
    };
    if !is_python(first) {
        return &args[..1];
    }
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            // The module name is what runs; `-c` code is not kept.
            "-m" => return &args[..(i + 2).min(args.len())],
            "-c" => return &args[..=i],
            "-X" | "-W" => i += 2,
            a if a.starts_with('-') => i += 1,
            _ => return &args[..=i],
        }
    }
    &args[..args.len().min(i)]
}

#[cfg(test)]
mod entry_tests {
    use super::entry_args;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments_after_the_entry_are_dropped() {
        for (args, kept) in [
            (&["python3", "-u", "agent.py", "--token", "s3cret"][..], 3),
            (
                &[
                    "/usr/bin/python3.11",
                    "-X",
                    "dev",
                    "-m",
                    "swarm.agent",
                    "--id",
                    "A",
                ][..],
                5,
            ),
            (&["python", "-c", "print('password')"][..], 2),
            (
                &["celery", "-A", "proj", "worker", "--password", "x"][..],
                1,
            ),
            (&["python3", "-O"][..], 2),
        ] {
            let args = v(args);
            assert_eq!(entry_args(&args), &args[..kept], "{args:?}");
        }
        assert!(entry_args(&[]).is_empty());
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn this_process_reads_whole() {
        let r = read(std::process::id() as i32).unwrap();
        assert!(r.rss_bytes > 0);
        assert!(r.fds.is_some_and(|n| n >= 3), "{r:?}");
        assert!(r.unreadable.is_empty(), "{:?}", r.unreadable);
        assert!(!r.cmdline.is_empty());
    }

    #[test]
    fn what_cannot_be_read_is_named_not_fatal() {
        // A process directory where only the world-readable files are readable, as for
        // another user's process: memory and CPU, but no descriptors or PSS.
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("4242");
        std::fs::create_dir(&dir).unwrap();
        for f in ["stat", "status"] {
            std::fs::copy(format!("/proc/self/{f}"), dir.join(f)).unwrap();
        }
        let p = procfs::process::Process::new_with_root(dir).unwrap();
        let r = read_process(&p, 4242).unwrap();
        assert!(r.rss_bytes > 0);
        assert_eq!((r.fds, r.pss_bytes), (None, None));
        assert_eq!(r.unreadable.len(), 2, "{:?}", r.unreadable);
        assert!(
            r.unreadable[1].starts_with("open handles not sampled"),
            "{:?}",
            r.unreadable
        );
        assert!(matches!(read(i32::MAX), Err(ReadError::Gone)));
    }
}
