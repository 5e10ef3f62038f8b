//! Module names from file paths: the package chain is the run of parent directories that hold an
//! `__init__.py` (so `src/` layouts and several top-level packages in one repository work), and a
//! file outside any package is a top-level module named by its stem.

use rustc_hash::FxHashSet as HashSet;
use std::path::{Path, PathBuf};

/// The directories that are packages, for naming modules.
#[derive(Debug, Default)]
pub struct PackageDirs {
    /// Regular packages (holding an `__init__.py` or `__init__.pyi`), and below a regular
    /// package, directories of modules without one, which Python 3 imports as namespace
    /// packages (`from . import root` in `hikka/web/core.py`, where `hikka/` has an
    /// `__init__.py` and `hikka/web/` has none).
    pub all: HashSet<PathBuf>,
    /// The namespace packages among them: a loose file there may still be a script run by
    /// hand (`bot/scripts/docs.py`), as outside any package.
    pub namespaces: HashSet<PathBuf>,
}

/// The packages among the directories of `files` ([`PackageDirs`]). A directory of loose
/// scripts outside any package stays a set of top-level modules.
pub fn package_dirs(files: &[PathBuf]) -> PackageDirs {
    let mut all: HashSet<PathBuf> = files
        .iter()
        .filter(|f| f.file_stem().is_some_and(|s| s == "__init__"))
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    let mut namespaces = HashSet::default();
    // Every directory that holds a module, shallowest first, so that a namespace package's
    // own parent is decided before it.
    let mut dirs: Vec<&Path> = files.iter().filter_map(|f| f.parent()).collect();
    dirs.sort_unstable_by_key(|d| (d.components().count(), *d));
    dirs.dedup();
    for d in dirs {
        let mut missing: Vec<PathBuf> = Vec::new();
        let mut at = Some(d);
        // Up to the nearest package; none above means no package at all.
        while let Some(dir) = at {
            if all.contains(dir) {
                for m in missing {
                    all.insert(m.clone());
                    namespaces.insert(m);
                }
                break;
            }
            missing.push(dir.to_path_buf());
            at = dir.parent();
        }
    }
    PackageDirs { all, namespaces }
}

/// The module's qualified name and its package (the package a relative import starts from).
pub fn module_name(path: &Path, packages: &PackageDirs) -> (String, Option<String>) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut chain: Vec<String> = Vec::new();
    let mut dir = path.parent();
    // Bounded by the path's depth; a symlink loop cannot make it run forever.
    while let Some(d) = dir {
        if !packages.all.contains(d) {
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

    #[test]
    fn a_directory_without_init_below_a_package_is_a_namespace_package() {
        let files: Vec<PathBuf> = [
            "/r/bot/__init__.py",
            "/r/bot/web/core.py",
            "/r/bot/web/api/routes.py",
            "/r/tools/build.py",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let p = package_dirs(&files);
        assert_eq!(
            module_name(Path::new("/r/bot/web/core.py"), &p),
            ("bot.web.core".into(), Some("bot.web".into()))
        );
        assert_eq!(
            module_name(Path::new("/r/bot/web/api/routes.py"), &p),
            ("bot.web.api.routes".into(), Some("bot.web.api".into()))
        );
        assert_eq!(
            module_name(Path::new("/r/tools/build.py"), &p),
            ("build".into(), None)
        );
    }
}
