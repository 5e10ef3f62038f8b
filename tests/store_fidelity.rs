//! The store keeps the user's data as written: exact numbers, key order, layout, any nesting,
//! no overflow, and memory bounded by the document's size.

mod common;

use common::{code, stderr, stdout, Project};
use serde_json::{json, Value};
use swarmcheck::store::{CorruptPolicy, JsonStore, StoreOptions};

fn read(p: &Project, rel: &str) -> String {
    std::fs::read_to_string(p.path().join(rel)).unwrap()
}

#[test]
fn cli_keeps_numbers_key_order_and_compact_layout() {
    let p = Project::new();
    let original = r#"{"x":0.15838287025480557,"big":18446744073709551617,"tiny":5e-324,"z":{"b":1,"a":2},"n":1}"#;
    p.write("d.json", original);
    assert_eq!(code(&p.run(&["store", "set", "d.json", "/n", "2"])), 0);
    assert_eq!(read(&p, "d.json"), original.replace("\"n\":1", "\"n\":2"));
    assert_eq!(
        code(&p.run(&[
            "store",
            "update",
            "d.json",
            "--merge",
            r#"{"z":{"c":3,"b":null}}"#
        ])),
        0
    );
    assert_eq!(
        read(&p, "d.json"),
        r#"{"x":0.15838287025480557,"big":18446744073709551617,"tiny":5e-324,"z":{"a":2,"c":3},"n":2}"#
    );
    assert_eq!(
        stdout(&p.run(&["store", "get", "d.json", "/big"])).trim(),
        "18446744073709551617"
    );
}

#[test]
fn cli_keeps_an_indented_layout_and_python_separators() {
    let p = Project::new();
    p.write("p.json", "{\n    \"b\": 1,\n    \"a\": []\n}\n");
    assert_eq!(
        code(&p.run(&["store", "update", "p.json", "--merge", r#"{"c":{"d":[1]}}"#])),
        0
    );
    assert_eq!(
        read(&p, "p.json"),
        "{\n    \"b\": 1,\n    \"a\": [],\n    \"c\": {\n        \"d\": [\n            1\n        ]\n    }\n}\n"
    );
    p.write("s.json", r#"{"b": 1, "a": 2}"#);
    assert_eq!(code(&p.run(&["store", "set", "s.json", "/c", "[1,2]"])), 0);
    assert_eq!(read(&p, "s.json"), r#"{"b": 1, "a": 2, "c": [1, 2]}"#);
}

#[test]
fn cli_increments_exactly_or_fails_with_nothing_written() {
    let p = Project::new();
    p.write(
        "c.json",
        r#"{"i":9223372036854775807,"u":18446744073709551617,"f":1.7e308}"#,
    );
    let out = p.run(&["store", "update", "c.json", "--incr", "/i"]);
    assert_eq!(
        stdout(&out).trim(),
        "9223372036854775808",
        "{}",
        stderr(&out)
    );
    let out = p.run(&[
        "store",
        "update",
        "c.json",
        "--incr",
        "/u",
        "--by",
        "-18446744073709551618",
    ]);
    assert_eq!(stdout(&out).trim(), "-1");
    let before = read(&p, "c.json");
    let out = p.run(&["store", "update", "c.json", "--incr", "/f", "--by", "1e308"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("not a finite"), "{}", stderr(&out));
    assert_eq!(read(&p, "c.json"), before);
    let out = p.run(&["store", "update", "c.json", "--incr", "/i", "--by", "1e19"]);
    assert_eq!(stdout(&out).trim(), "1.9223372036854776e19");
    assert_eq!(
        code(&p.run(&["store", "update", "c.json", "--incr", "/i", "--by", "x"])),
        2
    );
}

fn nested(depth: usize) -> String {
    format!(
        r#"{{"n":1,"deep":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

#[test]
fn deep_documents_are_valid_not_corrupt() {
    // The CLI works on the text: any depth.
    let p = Project::new();
    let deep = nested(100_000);
    p.write("deep.json", &deep);
    let out = p.run(&[
        "store",
        "update",
        "deep.json",
        "--incr",
        "/n",
        "--on-corrupt",
        "default",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(read(&p, "deep.json"), deep.replace("\"n\":1", "\"n\":2"));
    assert!(!std::fs::read_dir(p.path())
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().contains("corrupt")));
    // Typed documents (serde_json::Value) read as deep as Python's json module does.
    let doc = p.path().join("typed.json");
    let text = nested(990);
    std::fs::write(&doc, &text).unwrap();
    let options = StoreOptions {
        on_corrupt: CorruptPolicy::Default,
        ..StoreOptions::default()
    };
    let store: JsonStore<Value> = JsonStore::open(&doc, options, || json!({}));
    store
        .update(|d| {
            d["n"] = json!(2);
            Ok::<_, String>(())
        })
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&doc).unwrap(),
        text.replace("\"n\":1", "\"n\":2")
    );
}

#[test]
fn library_values_keep_exact_numbers_and_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("v.json");
    std::fs::write(
        &doc,
        r#"{"z":0.15838287025480557,"a":18446744073709551617,"m":-0.0}"#,
    )
    .unwrap();
    let store: JsonStore<Value> = JsonStore::open(&doc, StoreOptions::default(), || json!({}));
    store
        .update(|d| {
            d["k"] = json!(1);
            Ok::<_, String>(())
        })
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&doc).unwrap(),
        r#"{"z":0.15838287025480557,"a":18446744073709551617,"m":-0.0,"k":1}"#
    );
}

/// Peak resident memory of finished children, in bytes.
fn children_max_rss() -> u64 {
    // SAFETY: getrusage fills the struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as u64 * 1024
}

#[test]
fn large_documents_update_in_bounded_memory() {
    let p = Project::new();
    // Written in pieces: the test process itself stays small (a forked child starts with the
    // parent's resident pages, which would count in its peak).
    let path = p.path().join("big.json");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    use std::io::Write;
    w.write_all(b"{\"n\":0,\"items\":[").unwrap();
    let mut written = 0usize;
    let mut i = 0;
    while written < 40 << 20 {
        let sep = if i > 0 { "," } else { "" };
        let item = format!(r#"{sep}{{"id":{i},"v":0.{i:07},"tag":"t{}"}}"#, i % 97);
        written += item.len();
        w.write_all(item.as_bytes()).unwrap();
        i += 1;
    }
    w.write_all(b"]}").unwrap();
    drop(w);
    let size = std::fs::metadata(&path).unwrap().len();
    let out = p.run(&[
        "store",
        "update",
        "big.json",
        "--incr",
        "/n",
        "--durability",
        "none",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let rss = children_max_rss();
    eprintln!(
        "document {size} bytes, peak RSS {rss} bytes ({:.2}x)",
        rss as f64 / size as f64
    );
    assert!(rss <= 3 * size, "peak RSS {rss} > 3x the document ({size})");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
}
