//! File discovery: the `ignore` crate's parallel walker (gitignore-aware), default and user
//! excludes, `.py`/`.pyi` only; files named on the command line are always checked, unless
//! `force-exclude` is set.

use super::settings::LintSettings;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A problem found while walking (an unreadable directory, a missing path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkError {
    pub path: String,
    pub message: String,
}

/// `path` made absolute against `cwd`, with `.` and `..` resolved lexically (symlinks are kept:
/// the user named them).
pub fn normalize(path: &Path, cwd: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in cwd.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Files to check (absolute paths, sorted, each once), and the errors met on the way.
/// `paths` must be absolute (see [`normalize`]).
pub fn discover(paths: &[PathBuf], settings: &LintSettings) -> (Vec<PathBuf>, Vec<WalkError>) {
    let files = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    for root in paths {
        if settings.is_force_excluded(root) {
            continue;
        }
        let meta = match std::fs::metadata(root) {
            Ok(meta) => meta,
            Err(_) if std::fs::symlink_metadata(root).is_ok() => {
                // A dangling link or loop named explicitly: let the read report it as SWC000.
                files.lock().unwrap().push(root.clone());
                continue;
            }
            Err(e) => {
                errors.lock().unwrap().push(WalkError {
                    path: root.display().to_string(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        if !meta.is_dir() {
            files.lock().unwrap().push(root.clone());
            continue;
        }
        walk_dir(root, settings, &files, &errors);
    }
    let mut files = files.into_inner().unwrap();
    // By bytes, not by path components: the same total order for a run's purposes (each file
    // once, deterministic), at a fraction of the cost on large trees.
    files.sort_unstable_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    files.dedup();
    let mut errors = errors.into_inner().unwrap();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    (files, errors)
}

fn walk_dir(
    root: &Path,
    settings: &LintSettings,
    files: &Mutex<Vec<PathBuf>>,
    errors: &Mutex<Vec<WalkError>>,
) {
    let filter_settings = settings.clone();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(settings.respect_gitignore)
        .git_global(settings.respect_gitignore)
        .git_exclude(settings.respect_gitignore)
        .ignore(settings.respect_gitignore)
        .parents(settings.respect_gitignore)
        .require_git(false)
        .follow_links(false)
        .filter_entry(move |entry| entry.depth() == 0 || !filter_settings.is_excluded(entry.path()))
        .build_parallel();
    walker.run(|| {
        Box::new(|result| {
            match result {
                Ok(entry) => {
                    let is_python = entry
                        .path()
                        .extension()
                        .is_some_and(|e| e == "py" || e == "pyi");
                    let kind = entry.file_type();
                    let is_file = kind.is_some_and(|k| k.is_file() || k.is_symlink());
                    if is_python && is_file && entry.depth() > 0 {
                        files.lock().unwrap().push(entry.into_path());
                    }
                }
                Err(err) => {
                    let path = match &err {
                        ignore::Error::WithPath { path, .. } => path.display().to_string(),
                        _ => root.display().to_string(),
                    };
                    errors.lock().unwrap().push(WalkError {
                        path,
                        message: err.to_string(),
                    });
                }
            }
            ignore::WalkState::Continue
        })
    });
}
