//! Network filesystems, where the file backend's guarantee ends: `flock` on NFS is either local
//! to one client or emulated by the server, SMB byte-range locks have their own semantics, and
//! client caches can serve a stale document to a correctly locked read-modify-write.

use std::path::Path;

/// Linux `statfs` magic numbers of filesystems whose files other hosts share.
const NETWORK_MAGIC: &[(i64, &str)] = &[
    (0x6969, "NFS"),
    (0x517B, "SMB"),
    (0xFF53_4D42, "CIFS"),
    (0xFE53_4D42, "SMB2"),
    (0x00C3_6400, "Ceph"),
    (0x5346_414F, "AFS"),
    (0x6B41_4653, "kAFS"),
    (0x7375_7245, "Coda"),
    (0x0102_1997, "9P"),
    (0x0BD0_0BD0, "Lustre"),
    (0x4750_4653, "GPFS"),
];

/// The network filesystem with this magic number, if it is one. FUSE is not on the list: it
/// carries local filesystems too (and container bind mounts), and `statfs` cannot tell sshfs
/// from those.
pub fn network_kind(magic: i64) -> Option<&'static str> {
    NETWORK_MAGIC
        .iter()
        .find(|(m, _)| *m == magic)
        .map(|(_, name)| *name)
}

/// The network filesystem that holds the directory of `document`, if any. Unknown (the
/// directory does not exist yet, or the platform has no `statfs`) counts as local: the
/// operation itself then reports what is wrong.
pub fn network_filesystem(document: &Path) -> Option<&'static str> {
    // No network mount can be made on a test machine, so debug builds (what the test suite
    // runs) let a test name the filesystem's magic number to exercise the refusal end to end.
    #[cfg(debug_assertions)]
    if let Some(magic) = std::env::var("SWARMCHECK_TEST_FS_MAGIC")
        .ok()
        .and_then(|m| i64::from_str_radix(m.trim_start_matches("0x"), 16).ok())
    {
        return network_kind(magic);
    }
    let dir = match document.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    magic_of(dir).and_then(network_kind)
}

#[cfg(target_os = "linux")]
fn magic_of(dir: &Path) -> Option<i64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut buf = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: `c` is a valid NUL-terminated path and `buf` is a properly sized out-parameter.
    let rc = unsafe { libc::statfs(c.as_ptr(), buf.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statfs returned 0, so it filled `buf`.
    let st = unsafe { buf.assume_init() };
    // f_type's width differs between architectures; the magic numbers are 32-bit.
    #[allow(clippy::unnecessary_cast)]
    Some((st.f_type as i64) & 0xFFFF_FFFF)
}

#[cfg(not(target_os = "linux"))]
fn magic_of(_dir: &Path) -> Option<i64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_magic_numbers_are_recognised_and_local_ones_are_not() {
        assert_eq!(network_kind(0x6969), Some("NFS"));
        assert_eq!(network_kind(0xFF53_4D42), Some("CIFS"));
        assert_eq!(network_kind(0xFE53_4D42), Some("SMB2"));
        // ext4, tmpfs, xfs, btrfs, overlayfs
        for local in [0xEF53, 0x0102_1994, 0x5846_5342, 0x9123_683E, 0x794C_7630] {
            assert_eq!(network_kind(local), None, "{local:#x}");
        }
    }

    #[test]
    fn a_local_temporary_directory_is_not_a_network_filesystem() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(network_filesystem(&dir.path().join("doc.json")), None);
    }
}
