//! `swarmcheck check` through the built binary: exit codes, flags, formats, discovery.

mod common;
use common::*;

#[test]
fn exit_codes_follow_fail_on() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    // The only finding is low: the default threshold (high) passes.
    assert_eq!(code(&p.run(&["check", "."])), 0);
    assert_eq!(code(&p.run(&["check", ".", "--fail-on", "low"])), 1);
    assert_eq!(code(&p.run(&["check", ".", "--fail-on", "medium"])), 0);
    assert_eq!(code(&p.run(&["check", ".", "--fail-on", "never"])), 0);
    p.write("b.py", BROKEN);
    assert_eq!(code(&p.run(&["check", "."])), 1);
    assert_eq!(code(&p.run(&["check", ".", "--exit-zero"])), 0);
    assert_eq!(code(&p.run(&["check", ".", "--fail-on", "never"])), 0);
}

#[test]
fn usage_errors_exit_2() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    let out = p.run(&["check", ".", "--select", "SWC999"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("unknown rule selector `SWC999`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(code(&p.run(&["check", ".", "--fail-on", "sometimes"])), 2);
    assert_eq!(code(&p.run(&["check", ".", "--output-format", "xml"])), 2);
    assert_eq!(code(&p.run(&["check", ".", "--report", "json"])), 2);
    let out = p.run(&["check", "missing.py"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("missing.py"));
    assert_eq!(code(&p.run(&["no-such-command"])), 2);
}

#[test]
fn select_ignore_and_extend_select() {
    let p = Project::new();
    p.write("a.py", "f = open('x')  # noqa: SWC301\ng = open('y')\n");
    let codes = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["check", ".", "--output-format", "json", "--exit-zero"];
        all.extend_from_slice(args);
        finding_codes(&json(&p.run(&all)))
    };
    assert_eq!(codes(&[]), vec!["SWC301"]);
    assert!(codes(&["--ignore", "SWC301"]).is_empty());
    assert!(codes(&["--ignore", "SWC3"]).is_empty());
    // Only SWC900 selected: the noqa on line 1 suppresses nothing that ran, and SWC301 is off,
    // so it is not reported as unused either.
    assert!(codes(&["--select", "SWC900"]).is_empty());
    assert_eq!(
        codes(&["--select", "SWC900", "--extend-select", "SWC301"]),
        vec!["SWC301"]
    );
}

#[test]
fn presets_select_their_group() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    let out = p.run(&["mem.handles", ".", "--output-format", "json", "--exit-zero"]);
    assert_eq!(json(&out)["findings"].as_array().unwrap().len(), 1);
    let out = p.run(&["mem.verify", ".", "--output-format", "json", "--exit-zero"]);
    assert_eq!(json(&out)["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn json_output_schema() {
    let p = Project::new();
    p.write("pkg/a.py", LEAKY);
    let doc = json(&p.run(&["check", ".", "--output-format", "json"]));
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["tool"]["name"], "swarmcheck");
    assert_eq!(doc["files_scanned"], 1);
    assert_eq!(doc["summary"]["low"], 1);
    assert_eq!(doc["summary"]["high"], 0);
    let f = &doc["findings"][0];
    assert_eq!(f["code"], "SWC301");
    assert_eq!(f["name"], "open-without-context");
    assert_eq!(f["severity"], "low");
    assert_eq!(f["path"], "pkg/a.py");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(9))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(2), Some(16))
    );
    assert!(f["message"].as_str().unwrap().contains("open(...)"));
    assert!(f["related"].is_array());
    assert!(f["fix"].as_str().unwrap().contains("with"));
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 16);
    assert!(doc["errors"].as_array().unwrap().is_empty());
}

#[test]
fn concise_and_text_output() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    let out = p.run(&["check", ".", "--output-format", "concise"]);
    assert!(
        stdout(&out).starts_with("a.py:2:9: SWC301 [low] `open(...)`"),
        "{}",
        stdout(&out)
    );
    let out = p.run(&["check", "."]);
    let text = stdout(&out);
    assert!(text.contains("SWC301 open-without-context"), "{text}");
    assert!(text.contains("a.py:2:9"), "{text}");
    assert!(text.contains("2 │     f = open(p)"), "{text}");
    assert!(
        text.contains("Found 1 finding (0 high, 0 medium, 1 low) in 1 file."),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour when not a terminal");
    let out = p.run(&["check", ".", "--quiet", "--output-format", "concise"]);
    assert!(!stdout(&out).contains("Found"));
}

#[test]
fn statistics_counts_per_rule() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    p.write("b.py", LEAKY);
    p.write("c.py", BROKEN);
    let out = p.run(&["check", ".", "--statistics"]);
    let text = stdout(&out);
    assert!(
        text.contains("2\tSWC301\t[low]\topen-without-context"),
        "{text}"
    );
    assert!(text.contains("1\tSWC000\t[high]\tsyntax-error"), "{text}");
}

#[test]
fn github_annotations() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    p.write("b.py", BROKEN);
    let text = stdout(&p.run(&["check", ".", "--output-format", "github"]));
    assert!(text.contains("::notice title=SWC301 open-without-context,file=a.py,line=2,col=9,endLine=2,endColumn=16::SWC301 [low]"), "{text}");
    assert!(
        text.contains("::error title=SWC000 syntax-error,file=b.py,line=1"),
        "{text}"
    );
}

#[test]
fn sarif_output() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    let doc = json(&p.run(&["check", ".", "--output-format", "sarif"]));
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "SWC301");
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "SWC301");
    assert_eq!(result["level"], "note");
    let loc = &result["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "a.py");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], 2);
    assert!(run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("file://"));
    assert_eq!(
        result["partialFingerprints"]["swarmcheck/v1"]
            .as_str()
            .unwrap()
            .len(),
        16
    );
}

#[test]
fn output_file_and_reports() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    let out = p.run(&[
        "check",
        ".",
        "--output-file",
        "out.txt",
        "--output-format",
        "concise",
        "--report",
        "json=r/report.json",
        "--report",
        "sarif=report.sarif",
    ]);
    // A report into a directory that does not exist is an error, not a silent skip.
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("cannot write report r/report.json"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
    let text = std::fs::read_to_string(p.path().join("out.txt")).unwrap();
    assert!(text.starts_with("a.py:2:9: SWC301"));
    let out = p.run(&[
        "check",
        ".",
        "--report",
        "json=report.json",
        "--report",
        "sarif=report.sarif",
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report["findings"][0]["code"], "SWC301");
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.path().join("report.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn discovery_excludes_and_gitignore() {
    let p = Project::new();
    for dir in [
        ".venv",
        "build",
        "node_modules",
        "__pycache__",
        "pkg/site-packages",
    ] {
        p.write(&format!("{dir}/x.py"), LEAKY);
    }
    p.write("src/a.py", LEAKY);
    p.write("src/gen/b.py", LEAKY);
    p.write("src/notes.txt", "open(x)\n");
    p.write("src/stub.pyi", "def f() -> None: ...\n");
    p.write(".gitignore", "gen/\n");
    let scanned = |args: &[&str]| -> u64 {
        let mut all = vec!["check", "--output-format", "json", "--exit-zero"];
        all.extend_from_slice(args);
        json(&p.run(&all))["files_scanned"].as_u64().unwrap()
    };
    assert_eq!(scanned(&["."]), 2); // src/a.py and src/stub.pyi
    assert_eq!(scanned(&[".", "--no-respect-gitignore"]), 3);
    assert_eq!(scanned(&[".", "--extend-exclude", "src/stub.pyi"]), 1);
    // Replacing the defaults brings the virtualenv and build dirs back.
    assert_eq!(scanned(&[".", "--exclude", "gen"]), 7);
    // A file named explicitly is checked even when excluded.
    assert_eq!(scanned(&[".venv/x.py"]), 1);
}

#[test]
fn deterministic_order_and_paths() {
    let p = Project::new();
    for name in ["b.py", "a.py", "c/d.py", "c/a.py"] {
        p.write(name, LEAKY);
    }
    let paths: Vec<String> = json(&p.run(&["check", ".", "--output-format", "json"]))["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, vec!["a.py", "b.py", "c/a.py", "c/d.py"]);
}

#[test]
fn no_cache_and_no_progress_are_accepted() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    assert_eq!(
        code(&p.run(&["check", ".", "--no-cache", "--no-progress"])),
        0
    );
}

#[test]
fn broken_files_do_not_stop_the_scan() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    p.write("nul.py", b"x = 1\0\n");
    p.write("bad.py", b"x = '\xff'\n");
    p.write("cookie.py", b"# coding: klingon\nx = 1\n");
    p.write("py2.py", "print 'hi'\n");
    p.write("dir.py/inner.txt", "not python\n");
    let doc = json(&p.run(&["check", ".", "--output-format", "json", "--exit-zero"]));
    let findings = doc["findings"].as_array().unwrap();
    let by_path = |path: &str| -> Vec<&str> {
        findings
            .iter()
            .filter(|f| f["path"] == path)
            .map(|f| f["code"].as_str().unwrap())
            .collect()
    };
    assert_eq!(by_path("a.py"), vec!["SWC301"]);
    for path in ["nul.py", "bad.py", "cookie.py", "py2.py"] {
        assert_eq!(by_path(path), vec!["SWC000"], "{path}");
    }
    assert!(by_path("dir.py").is_empty());
}

#[cfg(unix)]
#[test]
fn outputs_write_through_links_and_keep_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::new();
    p.write("a.py", LEAKY);
    p.write("real.txt", "old");
    std::os::unix::fs::symlink("real.txt", p.path().join("link.txt")).unwrap();
    let out = p.run(&["check", ".", "-o", "link.txt", "--output-format", "concise"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(p.path().join("link.txt"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(p.path().join("real.txt"))
        .unwrap()
        .starts_with("a.py:2:9"));
    let kept = p.write("kept.json", "{}");
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(
        code(&p.run(&["check", ".", "--report", "json=kept.json"])),
        0
    );
    let mode = std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let leftovers: Vec<_> = std::fs::read_dir(p.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn conflicting_outputs_are_usage_errors() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    let out = p.run(&["check", ".", "-o", "out.txt", "--report", "json=./out.txt"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("two outputs"), "{}", stderr(&out));
    assert_eq!(code(&p.run(&["check", ".", "--report", "json=-"])), 2);
    let out = p.run(&["check", ".", "-o", "out.txt", "--report", "json=-"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["findings"][0]["code"], "SWC301");
    assert_eq!(
        code(&p.run(&["check", ".", "--statistics", "--output-format", "sarif"])),
        2
    );
}

#[test]
fn statistics_as_json() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    p.write("b.py", LEAKY);
    let rows = json(&p.run(&["check", ".", "--statistics", "--output-format", "json"]));
    assert_eq!(rows[0]["code"], "SWC301");
    assert_eq!(rows[0]["count"], 2);
    assert_eq!(rows[0]["severity"], "low");
}

#[test]
fn paths_are_normalized_and_deduplicated() {
    let p = Project::new();
    p.write("src/b.py", LEAKY);
    let abs = p.path().join("src/b.py");
    let out = p.run(&[
        "check",
        ".",
        "src/b.py",
        "src/../src/b.py",
        abs.to_str().unwrap(),
        "--output-format",
        "json",
        "--exit-zero",
    ]);
    let doc = json(&out);
    assert_eq!(doc["files_scanned"], 1);
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["src/b.py"]);
}

#[test]
fn columns_count_characters_in_every_format() {
    let p = Project::new();
    p.write(
        "u.py",
        "def f(p):\n    é = 'ü'; g = open(p)\n    return é\n",
    );
    let f = &json(&p.run(&["check", ".", "--output-format", "json"]))["findings"][0];
    assert_eq!(f["column"], 18);
    let text = stdout(&p.run(&["check", "."]));
    assert!(text.contains("u.py:2:18"), "{text}");
    let sarif = json(&p.run(&["check", ".", "--output-format", "sarif"]));
    assert_eq!(sarif["runs"][0]["columnKind"], "unicodeCodePoints");
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"],
        18
    );
}

#[test]
fn memory_presets_select_their_groups() {
    let p = Project::new();
    p.write(
        "m.py",
        "import functools\n_cache = {}\n\n@functools.cache\ndef f(prompt):\n    return prompt\n\ndef put(request_id, v):\n    _cache[request_id] = v\n\nHANDLERS = [put]\n",
    );
    let codes = |cmd: &str| -> Vec<String> {
        finding_codes(&json(&p.run(&[
            cmd,
            ".",
            "--output-format",
            "json",
            "--exit-zero",
        ])))
    };
    // mem.leaks: medium and above (SWC103), not the low SWC105; mem.scan: both.
    assert_eq!(codes("mem.leaks"), vec!["SWC103"]);
    assert_eq!(codes("mem.scan"), vec!["SWC105", "SWC103"]);
    assert!(codes("mem.handles").is_empty());
}

/// A removal "nothing calls" is only known when the whole tree is checked: checking the one
/// file a hook changed must not report a container whose removal another file calls.
#[test]
fn uncalled_removal_needs_the_whole_tree() {
    let p = Project::new();
    p.write(
        "manager.py",
        "class Manager:\n    def __init__(self):\n        self.controls = {}\n\n    \
         def control_for(self, chat_id):\n        self.controls[chat_id] = object()\n\n    \
         def remove_control(self, chat_id):\n        self.controls.pop(chat_id, None)\n\n\n\
         manager = Manager()\n\n\nasync def on_message(msg):\n    manager.control_for(msg.chat_id)\n",
    );
    let codes = |args: &[&str]| -> Vec<String> {
        let mut full = vec![
            "check",
            "--output-format",
            "json",
            "--exit-zero",
            "--no-cache",
        ];
        full.extend_from_slice(args);
        finding_codes(&json(&p.run(&full)))
    };
    // Nothing in the project calls `remove_control`: reported.
    assert_eq!(codes(&["."]), vec!["SWC105"]);
    p.write(
        "handlers.py",
        "from manager import manager\n\n\nasync def on_leave(msg):\n    manager.remove_control(msg.chat_id)\n",
    );
    assert!(codes(&["."]).is_empty());
    // Only the manager's file named: the caller is unseen, so the removal stands.
    assert!(codes(&["manager.py"]).is_empty());
}
