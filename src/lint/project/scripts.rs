//! The program's declared entry points: the functions a package installs as commands
//! (`[project.scripts]`, `[project.gui-scripts]` and `[tool.poetry.scripts]` in
//! `pyproject.toml`; `console_scripts` and `gui_scripts` in `setup.cfg` or `setup.py`). The
//! launcher calls such a function once per run of the command, as a `__main__` block would:
//! what only it calls (outside loops) runs only while the program starts.

use std::path::{Path, PathBuf};

/// The packaging files that may declare commands.
const PACKAGING: [&str; 3] = ["pyproject.toml", "setup.cfg", "setup.py"];

/// Packaging files larger than this declare no commands worth reading.
const MAX_PACKAGING_BYTES: u64 = 1 << 20;

/// A command's target, `module.path:function`: the module as a path below a source directory
/// (`ailice/ui/app`), which matches however the analysis names the module (`app` when
/// `ailice/ui` has no `__init__.py`), and the function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryPoint {
    pub module_path: String,
    pub function: String,
}

/// The packaging files in the directories from each file up to the directory it was found
/// under (`root_of`), each once: a monorepo's packages each have their own.
pub fn packaging_files<'f>(
    files: &'f [PathBuf],
    root_of: impl Fn(&'f Path) -> &'f Path,
    roots: &[PathBuf],
) -> Vec<PathBuf> {
    let mut dirs: rustc_hash::FxHashSet<&Path> = rustc_hash::FxHashSet::default();
    for file in files {
        let root = root_of(file);
        let mut dir = file.parent();
        while let Some(d) = dir {
            if !dirs.insert(d) || d == root {
                break;
            }
            dir = d.parent();
        }
    }
    let has_packaging = |d: &Path| PACKAGING.iter().any(|name| d.join(name).is_file());
    // Checking `src/` of a project finds its `pyproject.toml` one level up: the nearest
    // directory above each root that has packaging files.
    let above: Vec<&Path> = roots
        .iter()
        .filter_map(|r| r.ancestors().skip(1).take(8).find(|d| has_packaging(d)))
        .collect();
    dirs.extend(above);
    let mut found: Vec<PathBuf> = dirs
        .into_iter()
        .flat_map(|d| PACKAGING.iter().map(move |name| d.join(name)))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found
}

/// Reads a packaging file (bounded); `None` when it cannot be read as text.
pub fn read(path: &Path) -> Option<Vec<u8>> {
    crate::store::files::read_regular(path, MAX_PACKAGING_BYTES)
        .ok()
        .filter(|b| (b.len() as u64) < MAX_PACKAGING_BYTES)
}

/// The commands `text` declares, for a packaging file named `file_name`. A file that does not
/// parse declares none: the analysis then knows less, it does not fail.
pub fn entry_points(file_name: &str, text: &str) -> Vec<EntryPoint> {
    let targets: Vec<String> = match file_name {
        "pyproject.toml" => pyproject_targets(text),
        "setup.cfg" => setup_cfg_targets(text),
        "setup.py" => setup_py_targets(text),
        _ => Vec::new(),
    };
    targets.iter().filter_map(|t| parse_target(t)).collect()
}

/// `pkg.mod:main` (extras such as `[cli]` after it aside) as an entry point; a target that is
/// an attribute of an object (`pkg.mod:app.run`) is left out.
fn parse_target(target: &str) -> Option<EntryPoint> {
    let target = target.split('[').next()?.trim();
    let (module, function) = target.split_once(':')?;
    let (module, function) = (module.trim(), function.trim());
    let identifier = |s: &str| {
        !s.is_empty()
            && !s.starts_with(|c: char| c.is_ascii_digit())
            && s.chars().all(|c| c.is_alphanumeric() || c == '_')
    };
    if !identifier(function) || !module.split('.').all(identifier) {
        return None;
    }
    Some(EntryPoint {
        module_path: module.replace('.', "/"),
        function: function.to_string(),
    })
}

fn pyproject_targets(text: &str) -> Vec<String> {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let table_at = |path: &[&str]| -> Option<&toml::Table> {
        let mut at = &doc;
        for key in path {
            at = at.get(*key)?.as_table()?;
        }
        Some(at)
    };
    let mut targets = Vec::new();
    for path in [
        &["project", "scripts"][..],
        &["project", "gui-scripts"],
        &["tool", "poetry", "scripts"],
    ] {
        let Some(table) = table_at(path) else {
            continue;
        };
        for value in table.values() {
            // Poetry also takes `{ callable = "pkg.mod:main" }` (and `reference` for a file).
            let target = value
                .as_str()
                .or_else(|| value.get("callable").and_then(toml::Value::as_str));
            targets.extend(target.map(str::to_string));
        }
    }
    targets
}

/// `[options.entry_points]` with `console_scripts =` or `gui_scripts =` followed by indented
/// `name = pkg.mod:main` lines.
fn setup_cfg_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_section = false;
    let mut in_scripts = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_section = trimmed == "[options.entry_points]";
            in_scripts = false;
            continue;
        }
        if !in_section || trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        let continued = line.starts_with([' ', '\t']);
        let entry = if continued {
            trimmed
        } else {
            let (key, rest) = trimmed.split_once('=').unwrap_or((trimmed, ""));
            in_scripts = matches!(key.trim(), "console_scripts" | "gui_scripts");
            rest.trim()
        };
        if in_scripts {
            if let Some((_, target)) = entry.split_once('=') {
                targets.push(target.trim().to_string());
            }
        }
    }
    targets
}

/// String literals of the form `"name = pkg.mod:main"` anywhere in `setup.py`: how
/// `entry_points={"console_scripts": [...]}` spells commands. Other literals with `=` and `:`
/// rarely parse as a target.
fn setup_py_targets(text: &str) -> Vec<String> {
    if !text.contains("console_scripts") && !text.contains("gui_scripts") {
        return Vec::new();
    }
    let mut targets = Vec::new();
    for quote in ['"', '\''] {
        for literal in text.split(quote).skip(1).step_by(2) {
            if literal.contains('\n') {
                continue;
            }
            if let Some((name, target)) = literal.split_once('=') {
                let name = name.trim();
                if !name.is_empty() && !name.contains(char::is_whitespace) && target.contains(':') {
                    targets.push(target.trim().to_string());
                }
            }
        }
    }
    targets
}

/// Whether the module shown at `display` (a path, `/`-separated) is the module `module_path`
/// names: its file is `<module_path>.py` or `<module_path>/__init__.py`, below any source
/// directory.
pub fn is_module_at(display: &str, module_path: &str) -> bool {
    let stem = display
        .strip_suffix("/__init__.py")
        .or_else(|| display.strip_suffix(".py"))
        .unwrap_or(display);
    stem == module_path
        || stem
            .strip_suffix(module_path)
            .is_some_and(|before| before.ends_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(file: &str, text: &str) -> Vec<(String, String)> {
        entry_points(file, text)
            .into_iter()
            .map(|e| (e.module_path, e.function))
            .collect()
    }

    fn pair(m: &str, f: &str) -> (String, String) {
        (m.to_string(), f.to_string())
    }

    #[test]
    fn pyproject_scripts_of_pep621_and_poetry() {
        let text = "[project.scripts]\nbot = \"bot.cli:main\"\n\
                    [project.gui-scripts]\ntray = \"bot.tray:run [gui]\"\n\
                    [tool.poetry.scripts]\nweb = \"bot.ui.app:main\"\n\
                    worker = { callable = \"bot.worker:serve\" }\n\
                    odd = \"bot.cli:app.run\"\n";
        assert_eq!(
            targets("pyproject.toml", text),
            [
                pair("bot/cli", "main"),
                pair("bot/tray", "run"),
                pair("bot/ui/app", "main"),
                pair("bot/worker", "serve"),
            ]
        );
    }

    #[test]
    fn a_pyproject_that_does_not_parse_declares_nothing() {
        assert!(targets("pyproject.toml", "[project.scripts\nbot = ").is_empty());
    }

    #[test]
    fn setup_cfg_console_scripts() {
        let text = "[metadata]\nname = bot\n\n[options.entry_points]\nconsole_scripts =\n    \
                    bot = bot.cli:main\n    bot-admin = bot.admin:run\ngui_scripts = tray = bot.tray:main\n\
                    other.group =\n    x = bot.plugin:Plugin\n\n[options]\npackages = find:\n";
        assert_eq!(
            targets("setup.cfg", text),
            [
                pair("bot/cli", "main"),
                pair("bot/admin", "run"),
                pair("bot/tray", "main")
            ]
        );
    }

    #[test]
    fn setup_py_entry_points() {
        let text = "setup(name='bot', entry_points={'console_scripts': ['bot = bot.cli:main', \
                    \"bot-worker=bot.worker:serve\"]}, url='https://example.org/x')\n";
        assert_eq!(
            targets("setup.py", text),
            [pair("bot/worker", "serve"), pair("bot/cli", "main")]
        );
        assert!(targets("setup.py", "setup(name='x', url='a=b:c')").is_empty());
    }

    #[test]
    fn module_paths_match_below_a_source_directory() {
        assert!(is_module_at("src/bot/cli.py", "bot/cli"));
        assert!(is_module_at("bot/cli/__init__.py", "bot/cli"));
        assert!(is_module_at("bot/cli.py", "bot/cli"));
        assert!(!is_module_at("robot/cli.py", "bot/cli"));
        assert!(!is_module_at("bot/cli_extra.py", "bot/cli"));
    }
}
