//! `swarmcheck clean` and `swarmcheck completions`.

mod common;
use common::*;

#[test]
fn clean_removes_the_cache_and_nothing_else() {
    let p = Project::new();
    p.write("a.py", "f = open('x')\n");
    p.write("keep.txt", "mine");
    p.run(&["check", "."]);
    let cache = p.path().join(".swarmcheck_cache");
    assert!(cache.is_dir(), "check wrote a cache");
    let out = p.run(&["clean"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("Removed"));
    assert!(!cache.exists());
    assert!(p.path().join("keep.txt").exists());
    // Nothing to clean is not an error.
    let again = p.run(&["clean"]);
    assert_eq!(code(&again), 0);
    assert!(stderr(&again).contains("No cache"));
}

#[test]
fn clean_refuses_a_directory_swarmcheck_did_not_write() {
    let p = Project::new();
    p.write("notes/todo.txt", "do not delete");
    p.write("notes/0123456789abcdef.bin", "looks like ours");
    let out = p.run(&["clean", "--cache-dir", "notes"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("todo.txt"), "{}", stderr(&out));
    assert!(p.path().join("notes/todo.txt").exists());
    assert!(
        p.path().join("notes/0123456789abcdef.bin").exists(),
        "nothing removed"
    );
    p.write("file-not-dir", "x");
    assert_eq!(code(&p.run(&["clean", "--cache-dir", "file-not-dir"])), 2);
    assert!(p.path().join("file-not-dir").exists());
}

#[test]
fn completion_scripts_load_in_their_shell() {
    let p = Project::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = p.run(&["completions", shell]);
        assert_eq!(code(&out), 0, "{shell}");
        assert!(stdout(&out).contains("swarmcheck"), "{shell}");
        assert!(
            stdout(&out).contains("mem.verify"),
            "{shell}: subcommands are completed"
        );
    }
    let script = p.write("swarmcheck.bash", stdout(&p.run(&["completions", "bash"])));
    if std::process::Command::new("bash")
        .arg("--version")
        .output()
        .is_ok()
    {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {} && complete -p swarmcheck",
                script.display()
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("-F _swarmcheck swarmcheck"));
    }
    assert_eq!(code(&p.run(&["completions", "tcsh"])), 2);
}

const LEAKY_RMW: &str = UNLOCKED_RMW_LOOP;

#[test]
fn show_settings_and_show_files_explain_the_configuration_without_checking() {
    let p = Project::new();
    p.write(
        "swarmcheck.toml",
        "extend-exclude = [\"generated\"]\n[per-file-ignores]\n\"tests/*\" = [\"SWC301\"]\n",
    );
    p.write("app.py", LEAKY_RMW);
    p.write("generated/skip.py", "x = 1\n");
    p.write("broken.py", "def f(:\n");
    let out = p.run(&["check", "--show-settings", "--select", "SWC2"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(text.contains("swarmcheck.toml"), "{text}");
    assert!(
        text.contains("select = [SWC000, SWC201, SWC202, SWC203, SWC204]"),
        "{text}"
    );
    assert!(
        text.contains("per-file-ignores.\"tests/*\" = [SWC301]"),
        "{text}"
    );
    assert!(text.contains("\"generated\""), "{text}");
    assert!(text.contains("fail-on = high"), "{text}");

    let out = p.run(&["check", "--show-files"]);
    assert_eq!(
        code(&out),
        0,
        "listing does not analyze: the broken file is no finding"
    );
    let files: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(files, vec!["app.py", "broken.py"]);
}

#[test]
fn silent_verbose_and_colour() {
    let p = Project::new();
    p.write("app.py", LEAKY_RMW);
    let silent = p.run(&["check", ".", "--no-cache", "-s"]);
    assert_eq!(code(&silent), 1, "the exit code still tells");
    assert!(stdout(&silent).is_empty(), "{}", stdout(&silent));

    let verbose = p.run(&["check", ".", "--no-cache", "-v"]);
    assert_eq!(code(&verbose), 1);
    let err = stderr(&verbose);
    assert!(err.contains("configuration (none: the defaults)"), "{err}");
    assert!(err.contains("checked 1 file in"), "{err}");

    let escapes = |out: &std::process::Output| stdout(out).contains('\u{1b}');
    // Project::run sets NO_COLOR; these runs set the environment themselves.
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_swarmcheck"));
        cmd.args(args).current_dir(p.path()).env_remove("NO_COLOR");
        cmd.env_remove("FORCE_COLOR").env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let check = ["check", ".", "--no-cache"];
    assert!(!escapes(&run(&check, &[])), "not a terminal: no colour");
    assert!(escapes(&run(
        &[&check[..], &["--color", "always"]].concat(),
        &[]
    )));
    assert!(escapes(&run(&check, &[("FORCE_COLOR", "1")])));
    assert!(escapes(&run(&check, &[("CLICOLOR_FORCE", "1")])));
    assert!(!escapes(&run(&check, &[("CLICOLOR_FORCE", "0")])));
    assert!(!escapes(&run(
        &check,
        &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]
    )));
    assert!(!escapes(&run(
        &[&check[..], &["--color", "never"]].concat(),
        &[("FORCE_COLOR", "1")]
    )));
}
