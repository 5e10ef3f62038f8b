//! Opening and reading files the store and the readers of `obs` and the CLI did not create:
//! never blocking on a FIFO or device, never reading more than a limit, never following a
//! symlink where one is not expected.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::Path;

/// What a file that is not a regular file is, for messages.
pub fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

fn not_regular(meta: &std::fs::Metadata) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("it is {}, not a regular file", kind_of(meta)),
    )
}

/// Opens `path` for reading without blocking (a FIFO with no writer would block `open`), then
/// refuses anything that is not a regular file. With `follow == false` a symlink at the last
/// component is refused too.
pub fn open_regular(path: &Path, follow: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
        if !follow {
            flags |= libc::O_NOFOLLOW;
        }
        options.custom_flags(flags);
    }
    regular_only(options.open(path)?)
}

/// Clears `O_NONBLOCK` (set only to get past `open`).
#[cfg(unix)]
pub fn set_blocking(file: &File) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own; F_GETFL/F_SETFL take and return plain flags.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Reads all of `file`, failing (without reading further) when it holds more than `max` bytes.
pub fn read_bounded(file: &mut File, max: u64) -> std::io::Result<Vec<u8>> {
    let hint = file.metadata().map_or(0, |m| m.len()).min(max);
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large(max));
    }
    Ok(bytes)
}

pub fn too_large(max: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("it is larger than the limit of {max} bytes"),
    )
}

/// A regular file's content, at most `max` bytes (symlinks followed).
pub fn read_regular(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let mut file = open_regular(path, true)?;
    read_bounded(&mut file, max)
}

/// Like [`read_regular`], as UTF-8 text.
pub fn read_regular_to_string(path: &Path, max: u64) -> std::io::Result<String> {
    String::from_utf8(read_regular(path, max)?).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "it is not valid UTF-8 (at byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Opens `path` for appending (creating it), without blocking, and refuses anything that is not
/// a regular file: a FIFO or device named as a log must not hang or swallow the writes.
pub fn open_append(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    regular_only(options.open(path)?)
}

/// An unpredictable 64-bit value for file names (std's per-process random hash keys, mixed with
/// a counter and the time), so another user cannot plant a file at the name in advance.
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    #[cfg(target_os = "linux")]
    {
        let mut buf = [0u8; 8];
        // SAFETY: getrandom writes at most buf.len() bytes into the buffer we own.
        let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), libc::GRND_NONBLOCK) };
        if n == 8 {
            h.write(&buf);
        }
    }
    h.finish()
}

/// The file opened without blocking, if it is a regular file, switched back to blocking reads.
fn regular_only(file: File) -> std::io::Result<File> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    #[cfg(unix)]
    set_blocking(&file)?;
    Ok(file)
}
