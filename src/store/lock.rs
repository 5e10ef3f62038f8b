//! The cross-process lock: an OS file lock (`flock` on Unix, `LockFileEx` on Windows, through
//! `std::fs::File::lock`) on a sidecar `<doc>.lock` that is never deleted.
//!
//! Within a process there is one OS lock per lock file (by device and inode); threads queue on an
//! in-process mutex before taking it, so a nested `update` from the thread that already holds the
//! lock is reported instead of deadlocking. After locking, the lock file's identity is checked
//! against the path: if someone deleted or replaced the file, the lock is taken again on the new
//! file, so a rogue deletion cannot let two processes in at once.

use super::error::StoreError;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
#[cfg(not(unix))]
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// Backoff of timed waits: 1 ms, doubling, capped at 20 ms, with full jitter.
const BACKOFF_START: Duration = Duration::from_millis(1);
const BACKOFF_CAP: Duration = Duration::from_millis(20);

/// How often a wait with an interrupt check runs it when no signal wakes the wait itself
/// (waits behind another thread of this process, and the sleeps of a timed wait).
const INTERRUPT_POLL: Duration = Duration::from_millis(50);

/// Asked by a wait for the lock whether to go on waiting: after every signal that interrupts a
/// blocking wait (EINTR), and at least every 50 ms while it waits otherwise. `Err(reason)`
/// abandons the wait ([`StoreError::Interrupted`]). Bindings use it to run their language's
/// signal handlers (Python's `KeyboardInterrupt`).
pub type InterruptCheck<'a> = &'a mut (dyn FnMut() -> Result<(), String> + Send);

/// The interrupt check of one wait, and when it last ran.
struct Interrupts<'a> {
    check: Option<InterruptCheck<'a>>,
    last: Instant,
    /// Blocking waits interrupted by a signal (EINTR) and resumed.
    resumed: u32,
}

impl Interrupts<'_> {
    /// A signal interrupted a blocking wait: always ask.
    fn signalled(&mut self) -> Result<(), String> {
        self.last = Instant::now();
        if let Some(check) = self.check.as_mut() {
            check()?;
        }
        self.resumed += 1;
        Ok(())
    }

    /// A slice of a wait ended: ask when the last question is older than the poll interval.
    fn poll(&mut self) -> Result<(), String> {
        if let Some(check) = self.check.as_mut() {
            if self.last.elapsed() >= INTERRUPT_POLL {
                self.last = Instant::now();
                check()?;
            }
        }
        Ok(())
    }

    /// The longest a wait without signals (a condition variable, a sleep) may last before
    /// the check runs again; `None` without a check.
    fn slice(&self) -> Option<Duration> {
        self.check.as_ref().map(|_| INTERRUPT_POLL)
    }
}

/// A held lock; released on drop.
pub struct LockGuard {
    entry: Arc<Entry>,
    lock_path: PathBuf,
    id: (u64, u64),
    /// The process that took the lock. A child forked while the lock is held inherits the
    /// guard but not the lock: the OS lock is the parent's, and the child never releases it.
    pid: u32,
    /// Attempts at the OS lock (1 when it was free).
    pub attempts: u32,
    /// Time spent waiting (in-process queue and OS lock).
    pub waited: Duration,
    /// Times a signal interrupted the blocking wait for the OS lock, which then went on.
    pub interrupted: u32,
}

impl LockGuard {
    /// Whether this process took the lock (false in a child forked while it was held).
    pub fn held_by_this_process(&self) -> bool {
        self.pid == std::process::id()
    }

    /// Whether the lock file at the path is still the one this guard locked. A rogue deletion
    /// while the lock is held lets a newcomer lock a fresh file: callers check this before
    /// committing.
    pub fn is_current(&self) -> bool {
        path_identity(&self.lock_path) == Some(self.id)
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if !self.held_by_this_process() {
            // Inherited through fork(): unlocking would release the parent's lock (flock locks
            // belong to the open file, shared with the parent), and the in-process state is the
            // parent's copy. Leave both alone.
            return;
        }
        let mut state = self.entry.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(file) = state.file.as_ref() {
            let _ = file.unlock();
        }
        state.owner = None;
        drop(state);
        self.entry.released.notify_one();
        // Let a woken waiter (in this or another process) run before this thread can take the
        // lock again in a tight loop: without it the releaser usually wins, and waits grow long.
        std::thread::yield_now();
    }
}

struct Entry {
    state: Mutex<EntryState>,
    released: Condvar,
}

struct EntryState {
    /// The thread that holds the lock, or is taking the OS lock. Other threads wait on the
    /// condition variable (with their own timeouts), never on the OS lock of this process.
    owner: Option<ThreadId>,
    file: Option<Arc<File>>,
}

/// One entry per lock file (device, inode) in this process.
type Registry = Mutex<HashMap<(u64, u64), Arc<Entry>>>;

/// The registry of one process. A child forked from a process using the store starts with a
/// fresh one: the parent's entries name its threads and lock descriptors (a thread that was
/// waiting in the parent does not exist in the child, which would wait for it forever), and
/// its mutex may have been held by another thread at the time of the fork.
struct ProcessRegistry {
    pid: u32,
    map: Registry,
}

static REGISTRY: std::sync::atomic::AtomicPtr<ProcessRegistry> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

fn registry() -> &'static Registry {
    use std::sync::atomic::Ordering;
    let pid = std::process::id();
    loop {
        let current = REGISTRY.load(Ordering::Acquire);
        // SAFETY: a registry is never freed once published (an inherited one is leaked).
        if let Some(reg) = unsafe { current.as_ref() } {
            if reg.pid == pid {
                return &reg.map;
            }
        }
        let fresh = Box::into_raw(Box::new(ProcessRegistry {
            pid,
            map: Mutex::new(HashMap::new()),
        }));
        match REGISTRY.compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire) {
            // SAFETY: just published, never freed.
            Ok(_) => return unsafe { &(*fresh).map },
            // SAFETY: `fresh` was never published; we still own it.
            Err(_) => drop(unsafe { Box::from_raw(fresh) }),
        }
    }
}

/// Who holds a lock, as written into its (already open) lock file: at most one holder record
/// is read, through the descriptor (diagnostics only).
pub fn holder(file: &File) -> Option<String> {
    let mut buf = [0u8; HOLDER_RECORD];
    #[cfg(unix)]
    let n = {
        use std::os::unix::fs::FileExt;
        file.read_at(&mut buf, 0).ok()?
    };
    #[cfg(not(unix))]
    let n = {
        let mut f = file;
        f.seek(SeekFrom::Start(0)).ok()?;
        f.read(&mut buf).ok()?
    };
    let text = String::from_utf8_lossy(&buf[..n]);
    // Only the printable part: the file could hold anything.
    let text: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    (!text.is_empty()).then_some(text)
}

/// Opens (creating) a lock file without following a symlink at its final component and
/// without blocking, and refuses one that is not a regular file or has other hard links (the
/// holder record written into it would land in the linked file).
pub fn open_lock_file(path: &Path) -> Result<File, StoreError> {
    let file = open_no_follow(path).map_err(|e| StoreError::io(path, "open lock file", e))?;
    let meta = file
        .metadata()
        .map_err(|e| StoreError::io(path, "stat lock file", e))?;
    let refuse = |reason: String| StoreError::UnsafeFile {
        path: path.to_path_buf(),
        reason,
    };
    if !meta.is_file() {
        return Err(refuse(format!(
            "the lock file is {}, not a regular file",
            super::files::kind_of(&meta)
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return Err(refuse(format!(
                "the lock file has {} hard links (another name for the same file); remove it and retry",
                meta.nlink()
            )));
        }
        super::files::set_blocking(&file).map_err(|e| StoreError::io(path, "open lock file", e))?;
    }
    Ok(file)
}

/// Opens (creating) a lock file without following a symlink at its final component.
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .mode(0o644);
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        // FILE_FLAG_OPEN_REPARSE_POINT: open a symlink itself, not its target.
        options.custom_flags(0x0020_0000);
    }
    options.open(path)
}

fn identity(file: &File) -> std::io::Result<(u64, u64)> {
    Ok(metadata_identity(&file.metadata()?))
}

/// Device and inode of the file at `path` (creation time on systems without inodes).
pub fn path_identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| metadata_identity(&m))
}

pub fn metadata_identity(meta: &std::fs::Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        // Without inode numbers, the creation time identifies the file well enough for the
        // in-process registry and the commit check; exclusion itself comes from the OS lock.
        let created = meta
            .created()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        (created, 0)
    }
}

/// A small xorshift generator for backoff jitter (no need for cryptographic randomness).
pub struct Jitter(u64);

impl Jitter {
    pub fn new() -> Self {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let thread = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::thread::current().id().hash(&mut h);
            h.finish()
        };
        Jitter(t ^ thread ^ (u64::from(std::process::id()) << 32) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A uniformly random duration in `[0, max]`.
    pub fn up_to(&mut self, max: Duration) -> Duration {
        let nanos = max.as_nanos().max(1) as u64;
        Duration::from_nanos(self.next_u64() % (nanos + 1))
    }
}

impl Default for Jitter {
    fn default() -> Self {
        Self::new()
    }
}

/// Takes the lock on `lock_path`, waiting at most `timeout` (forever when `None`). A signal
/// that interrupts the wait (EINTR, from a handler installed without `SA_RESTART`) does not end
/// it: `interrupt`, when given, is asked whether to go on (see [`InterruptCheck`]); without
/// one the wait simply goes on.
pub fn acquire(
    lock_path: &Path,
    doc: &Path,
    timeout: Option<Duration>,
    interrupt: Option<InterruptCheck<'_>>,
) -> Result<LockGuard, StoreError> {
    let started = Instant::now();
    let mut interrupts = Interrupts {
        check: interrupt,
        last: started,
        resumed: 0,
    };
    let interrupted = |reason: String| StoreError::Interrupted {
        path: doc.to_path_buf(),
        reason,
    };
    // A timeout too large to represent is no timeout.
    let deadline = timeout.and_then(|t| started.checked_add(t));
    let mut attempts = 0u32;
    loop {
        // Fast path: the lock file is already open in this process (one stat, no open).
        let known = path_identity(lock_path).and_then(|id| {
            let reg = registry().lock().unwrap_or_else(|e| e.into_inner());
            reg.get(&id).map(|entry| (id, entry.clone()))
        });
        let (file, id) = match known {
            Some((id, _)) => (None, id),
            None => {
                let file = open_lock_file(lock_path)?;
                let id =
                    identity(&file).map_err(|e| StoreError::io(lock_path, "stat lock file", e))?;
                (Some(file), id)
            }
        };
        let entry = {
            let mut reg = registry().lock().unwrap_or_else(|e| e.into_inner());
            reg.entry(id)
                .or_insert_with(|| {
                    Arc::new(Entry {
                        state: Mutex::new(EntryState {
                            owner: None,
                            file: None,
                        }),
                        released: Condvar::new(),
                    })
                })
                .clone()
        };
        // Queue behind other threads of this process.
        let me = std::thread::current().id();
        let mut state = entry.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match state.owner {
                None => break,
                Some(owner) if owner == me => {
                    return Err(StoreError::NestedUpdate {
                        path: doc.to_path_buf(),
                    })
                }
                Some(_) => {
                    let now = Instant::now();
                    if deadline.is_some_and(|d| now >= d) {
                        let file = state.file.clone();
                        return Err(timeout_error(doc, lock_path, started, file.as_deref()));
                    }
                    // Signals do not wake a condition variable: with an interrupt check, wait
                    // in slices and ask between them.
                    let slice = match (deadline.map(|d| d - now), interrupts.slice()) {
                        (Some(left), Some(poll)) => Some(left.min(poll)),
                        (left, poll) => left.or(poll),
                    };
                    state = match slice {
                        None => entry
                            .released
                            .wait(state)
                            .unwrap_or_else(|e| e.into_inner()),
                        Some(slice) => {
                            entry
                                .released
                                .wait_timeout(state, slice)
                                .unwrap_or_else(|e| e.into_inner())
                                .0
                        }
                    };
                    if state.owner.is_some() {
                        if let Err(reason) = interrupts.poll() {
                            return Err(interrupted(reason));
                        }
                    }
                }
            }
        }
        state.owner = Some(me);
        if state.file.is_none() {
            match file {
                Some(f) => state.file = Some(Arc::new(f)),
                None => {
                    let f = open_lock_file(lock_path);
                    match f {
                        Ok(f) => state.file = Some(Arc::new(f)),
                        Err(e) => {
                            state.owner = None;
                            drop(state);
                            entry.released.notify_one();
                            return Err(e);
                        }
                    }
                }
            }
        }
        let os_file = state.file.clone().expect("set above");
        // Release the entry while waiting for the OS lock: other threads of this process wait on
        // the condition variable, with their own deadlines.
        drop(state);
        let release = |clear_file: bool| {
            let mut state = entry.state.lock().unwrap_or_else(|e| e.into_inner());
            state.owner = None;
            if clear_file {
                state.file = None;
            }
            drop(state);
            entry.released.notify_one();
        };
        // The OS lock: blocking (the kernel queues waiters fairly) or polled with backoff.
        let locked = match deadline {
            None => {
                attempts += 1;
                loop {
                    match os_file.lock() {
                        Ok(()) => break Ok(()),
                        // A signal handler ran (one installed without SA_RESTART, as Python's
                        // are): wait again, unless the caller's check says to stop.
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                            if let Err(reason) = interrupts.signalled() {
                                break Err(interrupted(reason));
                            }
                        }
                        Err(e) => break Err(StoreError::io(lock_path, "lock", e)),
                    }
                }
            }
            Some(d) => {
                let mut jitter = Jitter::new();
                let mut step = BACKOFF_START;
                loop {
                    attempts += 1;
                    match os_file.try_lock() {
                        Ok(()) => break Ok(()),
                        Err(std::fs::TryLockError::WouldBlock) => {
                            let now = Instant::now();
                            if now >= d {
                                break Err(timeout_error(doc, lock_path, started, Some(&os_file)));
                            }
                            let pause = jitter.up_to(step).min(d - now);
                            std::thread::sleep(pause);
                            step = (step * 2).min(BACKOFF_CAP);
                            if let Err(reason) = interrupts.poll() {
                                break Err(interrupted(reason));
                            }
                        }
                        Err(std::fs::TryLockError::Error(e))
                            if e.kind() == std::io::ErrorKind::Interrupted =>
                        {
                            if let Err(reason) = interrupts.signalled() {
                                break Err(interrupted(reason));
                            }
                        }
                        Err(std::fs::TryLockError::Error(e)) => {
                            break Err(StoreError::io(lock_path, "lock", e));
                        }
                    }
                }
            }
        };
        if let Err(e) = locked {
            release(false);
            return Err(e);
        }
        // Someone deleted or replaced the lock file while we waited: lock the new one instead.
        if path_identity(lock_path) != Some(id) {
            let _ = os_file.unlock();
            release(true);
            registry()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            continue;
        }
        write_holder(&os_file);
        return Ok(LockGuard {
            entry,
            lock_path: lock_path.to_path_buf(),
            id,
            pid: std::process::id(),
            attempts,
            waited: started.elapsed(),
            interrupted: interrupts.resumed,
        });
    }
}

fn timeout_error(
    doc: &Path,
    lock_path: &Path,
    started: Instant,
    file: Option<&File>,
) -> StoreError {
    StoreError::LockTimeout {
        path: doc.to_path_buf(),
        lock_path: PathBuf::from(lock_path),
        waited: started.elapsed(),
        holder: file.and_then(holder),
    }
}

/// Records who holds the lock, for timeout messages. Best effort.
fn write_holder(file: &File) {
    static HOST: OnceLock<String> = OnceLock::new();
    let host = HOST.get_or_init(hostname);
    let mut line = format!(
        "pid={} host={} since={}",
        std::process::id(),
        host,
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    );
    // A fixed-width record written in one call: no truncate, no seek.
    line.truncate(HOLDER_RECORD - 1);
    let record = format!("{line:<width$}\n", width = HOLDER_RECORD - 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let _ = file.write_at(record.as_bytes(), 0);
    }
    #[cfg(not(unix))]
    {
        let mut file = file;
        let _ = file.seek(SeekFrom::Start(0));
        let _ = file.write_all(record.as_bytes());
    }
}

/// Bytes of the holder record in the lock file.
const HOLDER_RECORD: usize = 160;

pub fn hostname() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: gethostname writes at most `len` bytes into the buffer we own.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            return String::from_utf8_lossy(&buf[..end]).into_owned();
        }
    }
    std::env::var("COMPUTERNAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".to_string())
}
