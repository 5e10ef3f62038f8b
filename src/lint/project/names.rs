//! Module names from file paths: the package chain is the run of parent directories that hold an
//! `__init__.py` (so `src/` layouts and several top-level packages in one repository work), and a
//! file outside any package is a top-level module named by its stem.

use rustc_hash::FxHashSet as HashSet;
use std::path::{Path, PathBuf};

/// The directories among `files` that are regular packages (hold an `__init__.py` or
/// `__init__.pyi`).
pub fn package_dirs(files: &[PathBuf]) -> HashSet<PathBuf> {
    files
        .iter()
        .filter(|f| f.file_stem().is_some_and(|s| s == "__init__"))
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect()
}

/// The module's qualified name and its package (the package a relative import starts from).
pub fn module_name(path: &Path, packages: &HashSet<PathBuf>) -> (String, Option<String>) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut chain: Vec<String> = Vec::new();
    let mut dir = path.parent();
    // Bounded by the path's depth; a symlink loop cannot make it run forever.
    while let Some(d) = dir {
        if !packages.contains(d) {
            break;
        }
        match d.file_name() {
            Some(name) => chain.push(name.to_string_lossy().into_owned()),
            None => break,
        }
        dir = d.parent();
    }
    chain.reverse();
    let package = (!chain.is_empty()).then(|| chain.join("."));
    let module = match (&package, stem.as_str()) {
        (Some(p), "__init__") => p.clone(),
        (Some(p), s) => format!("{p}.{s}"),
        (None, s) => s.to_string(),
    };
    (module, package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_nest_and_stop_at_the_first_plain_directory() {
        let files: Vec<PathBuf> = [
            "/r/src/pkg/__init__.py",
            "/r/src/pkg/jobs/__init__.py",
            "/r/src/pkg/jobs/runner.py",
            "/r/scripts/tool.py",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let p = package_dirs(&files);
        assert_eq!(
            module_name(Path::new("/r/src/pkg/jobs/runner.py"), &p),
            ("pkg.jobs.runner".into(), Some("pkg.jobs".into()))
        );
        assert_eq!(
            module_name(Path::new("/r/src/pkg/jobs/__init__.py"), &p),
            ("pkg.jobs".into(), Some("pkg.jobs".into()))
        );
        assert_eq!(
            module_name(Path::new("/r/scripts/tool.py"), &p),
            ("tool".into(), None)
        );
    }
}
