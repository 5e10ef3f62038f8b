//! Vendored library trees: third-party packages a project ships inside its own tree, so that they
//! import without being installed. No rule reports there, as none reports in `site-packages`:
//! the project does not maintain that code, and much of it never runs in the program (on our
//! corpus, 28 of the 31 locations we labelled in such trees were false: demonstrations, command
//! line tools and options of the library that the host never uses). Checking the tree itself
//! (`swarmcheck check lib/`) reports it as a program of its own.
//!
//! A directory of a checked root is such a tree when:
//! - it holds installed distributions' metadata (`*.dist-info`, `*.egg-info`): it is the
//!   target of `pip install --target`;
//! - or it is a package that carries its own license file (`cherrypy/LICENSE.txt` beside
//!   `cherrypy/__init__.py`): another project's code, copied in whole (a project's own licence
//!   sits at its root, beside the package; test and example directories aside). Not when the
//!   root carries the very same licence text: a project that copies its own `LICENSE` into its
//!   package so that the built distribution ships it (Agently's `Agently/LICENSE`, the Apache
//!   text). A licence that names no holder (Apache, GPL) is the same bytes in every project, so
//!   a copied package under the host's own licence counts as the host's: rarer, on our corpus,
//!   than a project shipping its licence inside its package;
//! - or a program at the top of the root puts it on the import path (`sys.path.insert(0,
//!   os.path.join(os.path.dirname(__file__), "lib"))`, `sys.path.append(...)`,
//!   `site.addsitedir(...)`), so that the packages in it import by their own names as installed
//!   ones do, and its name is one such trees conventionally have (`lib`, `libs`, `ext`,
//!   `vendor`, `third_party`, ...; not `src` or `app`, where a program keeps its own code).
//! - or, at any depth, it is a directory named `_vendor` or `_vendored` (`prefect/_vendor/croniter`,
//!   `pip/_vendor`): the private name says the project ships it for its own use and does not
//!   maintain it, and imports reach it through the host package's name.
//!
//! A single module is such a copy when it declares a licence and a version of its own at module
//! level (`__license__ = 'MIT'`, `__version__ = '0.12.25'`, as pypiserver's copy of `bottle.py`
//! does), outside a package's `__init__.py`: a single-file library, which the copy keeps whole.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr};
use std::path::{Path, PathBuf};

/// Names of directories that hold other projects' packages by convention. A program that puts
/// its own sources on the import path (`sys.path.insert(0, "src")`) names them otherwise.
const VENDOR_DIRS: &[&str] = &[
    "lib",
    "libs",
    "ext",
    "extlib",
    "extlibs",
    "vendor",
    "vendored",
    "_vendor",
    "third_party",
    "thirdparty",
    "deps",
];

/// A top-level program larger than this is not read for import-path edits.
const MAX_PROGRAM_BYTES: u64 = 1 << 20;

/// The vendored trees directly below each directory of `roots`.
pub fn trees(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for root in roots.iter().filter(|r| r.is_dir()) {
        let Ok(entries) = std::fs::read_dir(root) else {
            continue;
        };
        // Read only when some package carries a licence, and once for all of them.
        let root_licences = std::cell::OnceCell::new();
        let root_licences = || {
            root_licences.get_or_init(|| -> Vec<Vec<u8>> {
                licence_files(root)
                    .iter()
                    .filter_map(|p| read_small(p))
                    .collect()
            })
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir()
                && (holds_distributions(&path) || licensed_package(&path, &root_licences))
            {
                out.push(path);
            } else if path.extension().is_some_and(|e| e == "py") {
                for name in import_path_dirs(&path) {
                    let dir = root.join(&name);
                    if VENDOR_DIRS.contains(&name.as_str()) && dir.is_dir() {
                        out.push(dir);
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Private package names that hold copies of other projects inside a host package.
const PRIVATE_VENDOR_PACKAGES: &[&str] = &["_vendor", "_vendored"];

/// Whether `file`, below `root`, lies inside a directory named as a vendored copy
/// ([`PRIVATE_VENDOR_PACKAGES`]; a regular or a namespace package).
pub fn in_private_vendor_package(file: &Path, root: &Path) -> bool {
    let Ok(below) = file.strip_prefix(root) else {
        return false;
    };
    let Some(dirs) = below.parent() else {
        return false;
    };
    dirs.components().any(|part| {
        part.as_os_str()
            .to_str()
            .is_some_and(|n| PRIVATE_VENDOR_PACKAGES.contains(&n))
    })
}

/// Whether `dir` is a package (`__init__.py`) with a license file of its own, and no test or
/// example directory.
fn licensed_package<'r>(dir: &Path, root_licences: &dyn Fn() -> &'r Vec<Vec<u8>>) -> bool {
    let init = dir.join("__init__.py");
    if !init.is_file()
        || crate::lint::project::context::is_test_path(&init)
        || crate::lint::project::context::is_example_path(&init)
    {
        return false;
    }
    let licences = licence_files(dir);
    if licences.is_empty() {
        return false;
    }
    !licences
        .iter()
        .filter_map(|p| read_small(p))
        .any(|text| root_licences().contains(&text))
}

/// The licence files directly in `dir` (`LICENSE`, `LICENCE.txt`, `COPYING`, ...).
fn licence_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().to_ascii_uppercase();
            (name.starts_with("LICENSE")
                || name.starts_with("LICENCE")
                || name.starts_with("COPYING"))
                && !name.ends_with(".PY")
                && e.path().is_file()
        })
        .map(|e| e.path())
        .collect()
}

/// A licence text is a few kilobytes; a larger file is not compared.
const MAX_LICENCE_BYTES: u64 = 256 * 1024;

fn read_small(path: &Path) -> Option<Vec<u8>> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_LICENCE_BYTES {
        return None;
    }
    std::fs::read(path).ok()
}

/// Whether `dir` holds an installed distribution's metadata directory.
fn holds_distributions(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        (name.ends_with(".dist-info") || name.ends_with(".egg-info")) && e.path().is_dir()
    })
}

/// The directory names a program adds to the import path relative to itself: the last literal
/// of `os.path.join(..., "lib")`, of `Path(__file__).parent / "lib"`, or a literal `"lib/"`.
fn import_path_dirs(program: &Path) -> Vec<String> {
    // Only a regular file of sensible size: a FIFO or a device named `x.py` would block or never
    // end a read.
    let readable =
        std::fs::metadata(program).is_ok_and(|m| m.is_file() && m.len() <= MAX_PROGRAM_BYTES);
    if !readable {
        return Vec::new();
    }
    let Ok(text) = std::fs::read_to_string(program) else {
        return Vec::new();
    };
    // Only a file that edits the import path is parsed.
    if !text.contains("sys.path") && !text.contains("addsitedir") {
        return Vec::new();
    }
    let Ok(parsed) = ruff_python_parser::parse_module(&text) else {
        return Vec::new();
    };
    let mut edits = Edits(Vec::new());
    edits.visit_body(&parsed.syntax().body);
    edits.0
}

struct Edits(Vec<String>);

impl<'a> Visitor<'a> for Edits {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            if let Some(dir) = added_dir(call) {
                self.0.push(dir);
            }
        }
        visitor::walk_expr(self, expr);
    }
}

/// `sys.path.insert(i, X)`, `sys.path.append(X)`, `site.addsitedir(X)`: the directory name X
/// ends with.
fn added_dir(call: &ast::ExprCall) -> Option<String> {
    let Expr::Attribute(method) = call.func.as_ref() else {
        return None;
    };
    let on_sys_path = || {
        matches!(method.value.as_ref(), Expr::Attribute(p)
            if p.attr.as_str() == "path" && crate::lint::blocks::is_name(&p.value, "sys"))
    };
    let value = match method.attr.as_str() {
        "insert" if on_sys_path() => call.arguments.args.get(1)?,
        "append" if on_sys_path() => call.arguments.args.first()?,
        "addsitedir" if crate::lint::blocks::is_name(&method.value, "site") => {
            call.arguments.args.first()?
        }
        _ => return None,
    };
    let last = last_literal(value, 0)?;
    let name = last.trim_start_matches("./").trim_end_matches('/');
    // One directory name, not a path elsewhere (`..`, `/opt/x`) or the program's own directory.
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains('/')
        && !name.contains('\\');
    plain.then(|| name.to_string())
}

/// The literal a path expression ends with: `"lib"`, the last argument of a call
/// (`os.path.join(here, "lib")`, also wrapped: `os.path.abspath(os.path.join(here, "lib"))`), or
/// the right side of `/` (`Path(__file__).parent / "lib"`).
fn last_literal(expr: &Expr, depth: u8) -> Option<String> {
    if depth > 3 {
        return None;
    }
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        Expr::Call(call) => last_literal(call.arguments.args.last()?, depth + 1),
        Expr::BinOp(b) if b.op == ast::Operator::Div => last_literal(&b.right, depth + 1),
        _ => None,
    }
}

/// Whether `suite`, a module that is not a package's `__init__.py`, assigns both `__license__`
/// and `__version__` at module level: a single-file library of another project, copied in.
pub fn is_single_file_library(suite: &[ast::Stmt], is_package_init: bool) -> bool {
    if is_package_init {
        return false;
    }
    let declares = |name: &str| {
        suite.iter().any(|stmt| match stmt {
            ast::Stmt::Assign(a) => a
                .targets
                .iter()
                .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == name)),
            _ => false,
        })
    };
    declares("__license__") && declares("__version__")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs(source: &str) -> Vec<String> {
        let parsed = ruff_python_parser::parse_module(source).expect("valid");
        let mut edits = Edits(Vec::new());
        edits.visit_body(&parsed.syntax().body);
        edits.0
    }

    #[test]
    fn import_path_edits() {
        assert_eq!(
            dirs("import os, sys\nsys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))\n"),
            ["lib"]
        );
        assert_eq!(dirs("import sys\nsys.path.append('libs/')\n"), ["libs"]);
        assert_eq!(
            dirs("import os, sys\nsys.path.insert(1, os.path.abspath(os.path.join(os.path.dirname(__file__), 'lib')))\n"),
            ["lib"]
        );
        assert_eq!(
            dirs("import site\nfrom pathlib import Path\nsite.addsitedir(Path(__file__).parent / 'ext')\n"),
            ["ext"]
        );
        // The program's own directory, a parent, a path elsewhere: no tree of the root.
        assert!(dirs("import sys\nsys.path.insert(0, '..')\nsys.path.append('/opt/x')\nsys.path.insert(0, os.path.dirname(__file__))\n").is_empty());
        // Other lists' methods are not the import path.
        assert!(dirs("paths = []\npaths.append('lib')\n").is_empty());
    }

    #[test]
    fn a_package_with_the_roots_own_licence_is_the_projects() {
        let root = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let path = root.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("LICENSE", "MIT License\nCopyright (c) 2024 Us\n");
        write("ours/__init__.py", "");
        write("ours/LICENSE", "MIT License\nCopyright (c) 2024 Us\n");
        write("theirs/__init__.py", "");
        write(
            "theirs/LICENSE.txt",
            "MIT License\nCopyright (c) 2019 Them\n",
        );
        let found = trees(&[root.path().to_path_buf()]);
        assert_eq!(found, [root.path().join("theirs")]);
    }

    #[test]
    fn a_module_with_its_own_licence_and_version_is_a_copied_library() {
        let parse = |src: &str| ruff_python_parser::parse_module(src).unwrap().into_suite();
        let copied = parse("__version__ = '0.12'\n__license__ = 'MIT'\nX = {}\n");
        assert!(super::is_single_file_library(&copied, false));
        assert!(!super::is_single_file_library(&copied, true));
        let own = parse("__version__ = '2.0'\nX = {}\n");
        assert!(!super::is_single_file_library(&own, false));
    }
}
