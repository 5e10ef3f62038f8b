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
