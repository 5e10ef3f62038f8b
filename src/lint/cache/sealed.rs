//! Cache files that only this user on this machine can have written.
//!
//! The cache directory usually sits inside the scanned tree, where anybody who can change the
//! code (a pull request) can also plant files. A planted or edited cache must never hide a
//! finding, and writing the cache must never touch a file it does not own. So:
//! - every cache file carries an HMAC-SHA256 of its content under a key kept outside the tree
//!   (`$XDG_CACHE_HOME/swarmcheck/cache-key`, else `~/.cache/swarmcheck/cache-key`, created
//!   0600); a file whose tag does not verify is ignored and everything is analyzed again. A
//!   cache copied from another machine or committed to a repository never verifies, because the
//!   key never leaves the machine;
//! - files are written under a fresh unpredictable name created with `O_EXCL` (which refuses an
//!   existing name, symlinks included), then renamed over the old file: a symlink planted at the
//!   final name is replaced, never followed;
//! - without a usable key (no home directory, an unreadable key) nothing is read or written.

use crate::store::commit::create_private;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"SWCACHE1";
const TAG_LEN: usize = 32;
const KEY_LEN: usize = 32;

/// The key that signs this user's cache files.
pub struct Sealer {
    key: [u8; KEY_LEN],
}

/// Where the key lives: outside any project, private to the user.
fn key_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("swarmcheck").join("cache-key"))
}

impl Sealer {
    /// The user's key, created on first use. `None` when there is no place for it or it cannot
    /// be trusted (not a regular file of the right size, or readable by others).
    pub fn for_user() -> Option<Sealer> {
        let path = key_path()?;
        if let Some(key) = read_key(&path) {
            return Some(Sealer { key });
        }
        let dir = path.parent()?;
        create_private_dir(dir).ok()?;
        let mut key = [0u8; KEY_LEN];
        for chunk in key.chunks_mut(8) {
            chunk.copy_from_slice(&crate::store::files::random_u64().to_le_bytes());
        }
        // Two first runs at once: one creates the key, the other reads it.
        match create_private(&path, Some(0o600)) {
            Ok(mut file) => {
                file.write_all(&key).ok()?;
                file.sync_all().ok()?;
                Some(Sealer { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                read_key(&path).map(|key| Sealer { key })
            }
            Err(_) => None,
        }
    }

    #[cfg(test)]
    pub fn with_key(key: [u8; KEY_LEN]) -> Sealer {
        Sealer { key }
    }

    fn tag(&self, payload: &[u8]) -> [u8; TAG_LEN] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(MAGIC);
        mac.update(payload);
        mac.finalize().into_bytes().into()
    }

    /// The payload of a cache file this key sealed; `None` for anything else.
    pub fn open(&self, path: &Path, max_bytes: u64) -> Option<Vec<u8>> {
        let mut file = crate::store::files::open_regular(path, false).ok()?;
        let bytes = crate::store::files::read_bounded(&mut file, max_bytes).ok()?;
        let rest = bytes.strip_prefix(MAGIC.as_slice())?;
        if rest.len() < TAG_LEN {
            return None;
        }
        let (tag, payload) = rest.split_at(TAG_LEN);
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(MAGIC);
        mac.update(payload);
        // Constant-time comparison.
        mac.verify_slice(tag).ok()?;
        Some(payload.to_vec())
    }

    /// Writes `payload` sealed to `path`, replacing (never following) what is there. Best
    /// effort: a cache that cannot be written is skipped.
    pub fn write(&self, path: &Path, payload: &[u8]) -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = dir.join(format!(
            ".{name}.{:016x}.tmp",
            crate::store::files::random_u64()
        ));
        let written = (|| {
            let mut file = create_private(&tmp, Some(0o600))?;
            file.write_all(MAGIC)?;
            file.write_all(&self.tag(payload))?;
            file.write_all(payload)?;
            std::fs::rename(&tmp, path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}

fn read_key(path: &Path) -> Option<[u8; KEY_LEN]> {
    let file = crate::store::files::open_regular(path, false).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = file.metadata().ok()?;
        // SAFETY: geteuid has no preconditions.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me || meta.mode() & 0o077 != 0 {
            return None;
        }
    }
    let mut file = file;
    let bytes = crate::store::files::read_bounded(&mut file, KEY_LEN as u64 + 1).ok()?;
    bytes.try_into().ok()
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::Sealer;

    #[test]
    fn a_file_sealed_with_another_key_or_edited_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.bin");
        let mine = Sealer::with_key([7; 32]);
        mine.write(&path, b"payload").unwrap();
        assert_eq!(mine.open(&path, 1 << 20).as_deref(), Some(&b"payload"[..]));
        assert_eq!(Sealer::with_key([8; 32]).open(&path, 1 << 20), None);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(mine.open(&path, 1 << 20), None);
    }

    #[cfg(unix)]
    #[test]
    fn writing_replaces_a_planted_symlink_instead_of_following_it() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        let path = dir.path().join("c.bin");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        Sealer::with_key([1; 32]).write(&path, b"x").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert!(!std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink());
    }
}
