//! What pre-commit and editors rely on: `check -` with `--stdin-filename`, `--force-exclude`,
//! GitHub annotations named from the repository root, and a baseline writer that says when a
//! file cannot be baselined.

mod common;
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

const RMW: &str = UNLOCKED_RMW_LOOP;

/// `swarmcheck ARGS` in `dir` with `input` on standard input.
fn run_stdin(dir: &std::path::Path, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_WORKSPACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A short input may be refused early (a usage error); that is not a test failure here.
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().unwrap()
}

/// `check -` in `dir` with `source` on standard input standing for the file `name`, concise.
fn check_stdin_as(
    dir: &std::path::Path,
    name: &str,
    source: impl AsRef<[u8]>,
) -> std::process::Output {
    let args = [
        "check",
        "-",
        "--stdin-filename",
        name,
        "--output-format",
        "concise",
    ];
    run_stdin(dir, &args, source.as_ref())
}

fn concise(out: &std::process::Output) -> Vec<String> {
    stdout(out)
        .lines()
        .filter(|l| l.contains(": SWC"))
        .map(str::to_string)
        .collect()
}

#[test]
fn standard_input_is_checked_as_the_named_file() {
    let p = Project::new();
    let on_disk = p.write("pkg/app.py", RMW);
    let from_disk = p.run(&[
        "check",
        "pkg/app.py",
        "--no-cache",
        "--output-format",
        "concise",
    ]);
    let piped = check_stdin_as(p.path(), "pkg/app.py", RMW);
    assert_eq!(code(&piped), code(&from_disk));
    assert!(!concise(&piped).is_empty(), "{}", stdout(&piped));
    assert_eq!(concise(&piped), concise(&from_disk));
    // Unsaved text wins over the file on disk: fix the buffer, not the file.
    let fixed = "import json\n";
    let clean = check_stdin_as(p.path(), "pkg/app.py", fixed);
    assert!(on_disk.exists());
    assert_eq!(code(&clean), 0, "{}", stdout(&clean));
    // Without a file name the source is shown as `-`.
    let anonymous = run_stdin(
        p.path(),
        &["check", "-", "--output-format", "concise"],
        RMW.as_bytes(),
    );
    assert!(
        concise(&anonymous).iter().all(|l| l.starts_with("-:")),
        "{}",
        stdout(&anonymous)
    );
}

#[test]
fn the_stdin_file_name_finds_its_configuration_and_per_file_ignores() {
    let p = Project::new();
    p.write(
        "proj/swarmcheck.toml",
        "[per-file-ignores]\n\"pkg/quiet.py\" = [\"SWC2\"]\n",
    );
    std::fs::create_dir_all(p.path().join("elsewhere")).unwrap();
    // Run from another directory: the configuration is the one above the named file.
    let quiet = check_stdin_as(&p.path().join("elsewhere"), "../proj/pkg/quiet.py", RMW);
    assert_eq!(code(&quiet), 0, "{}{}", stdout(&quiet), stderr(&quiet));
    let loud = check_stdin_as(&p.path().join("elsewhere"), "../proj/pkg/loud.py", RMW);
    assert_eq!(code(&loud), 1);
    // Outside the current directory a path is shown whole, as for files on disk.
    assert!(
        concise(&loud)[0].contains("/proj/pkg/loud.py:8:9: SWC201"),
        "{}",
        stdout(&loud)
    );
}

#[test]
fn force_exclude_applies_the_excludes_to_named_files() {
    let p = Project::new();
    p.write("swarmcheck.toml", "extend-exclude = [\"generated\"]\n");
    p.write("generated/app.py", RMW);
    let named = p.run(&["check", "generated/app.py", "--no-cache"]);
    assert_eq!(code(&named), 1, "a named file is checked by default");
    let forced = p.run(&["check", "generated/app.py", "--no-cache", "--force-exclude"]);
    assert_eq!(code(&forced), 0, "{}", stdout(&forced));
    let piped = run_stdin(
        p.path(),
        &[
            "check",
            "-",
            "--stdin-filename",
            "generated/app.py",
            "--force-exclude",
        ],
        RMW.as_bytes(),
    );
    assert_eq!(code(&piped), 0, "{}", stdout(&piped));
    // The same from the configuration file.
    p.write(
        "swarmcheck.toml",
        "extend-exclude = [\"generated\"]\nforce-exclude = true\n",
    );
    assert_eq!(
        code(&p.run(&["check", "generated/app.py", "--no-cache"])),
        0
    );
}

#[test]
fn standard_input_usage_errors_and_size_limit() {
    let p = Project::new();
    p.write("a.py", "x = 1\n");
    let mixed = run_stdin(p.path(), &["check", "-", "a.py"], b"x = 1\n");
    assert_eq!(code(&mixed), 2);
    assert!(stderr(&mixed).contains("standard input"));
    let orphan = p.run(&["check", "a.py", "--stdin-filename", "b.py"]);
    assert_eq!(code(&orphan), 2);
    p.write("swarmcheck.toml", "max-file-size = 100\n");
    let big = check_stdin_as(p.path(), "big.py", "x = 1\n".repeat(100));
    assert_eq!(code(&big), 1);
    assert!(
        stdout(&big).contains("big.py:1:1: SWC000"),
        "{}",
        stdout(&big)
    );
    assert!(stdout(&big).contains("size limit"));
}

#[test]
fn github_annotations_name_files_from_the_repository_root() {
    let p = Project::new();
    p.write("services/worker/app.py", RMW);
    let out = Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
        .args(["check", ".", "--no-cache", "--output-format", "github"])
        .current_dir(p.path().join("services/worker"))
        .env("GITHUB_WORKSPACE", p.path())
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(text.contains("file=services/worker/app.py,"), "{text}");
    // Outside Actions, paths stay relative to the current directory.
    let out = Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
        .args(["check", ".", "--no-cache", "--output-format", "github"])
        .current_dir(p.path().join("services/worker"))
        .env_remove("GITHUB_WORKSPACE")
        .output()
        .unwrap();
    assert!(stdout(&out).contains("file=app.py,"), "{}", stdout(&out));
}
