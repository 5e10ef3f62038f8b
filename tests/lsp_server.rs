//! `swarmcheck server` driven as an editor drives it: the real binary over stdio, with
//! Content-Length framed JSON-RPC, a time bound on every wait.

mod common;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start(project: &common::Project) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
            .arg("server")
            .current_dir(project.path())
            .env("XDG_CACHE_HOME", project.user_cache.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, incoming) = mpsc::channel();
        std::thread::spawn(move || loop {
            let mut length = None;
            loop {
                let mut header = String::new();
                if stdout.read_line(&mut header).unwrap_or(0) == 0 {
                    return;
                }
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                if let Some(n) = header.strip_prefix("Content-Length: ") {
                    length = Some(n.parse::<usize>().unwrap());
                }
            }
            let mut body = vec![0; length.expect("a Content-Length header")];
            if stdout.read_exact(&mut body).is_err() {
                return;
            }
            if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                return;
            }
        });
        Client {
            child,
            stdin,
            incoming,
            next_id: 1,
        }
    }

    /// Starts the server on `project` as its workspace and completes the handshake; returns the
    /// `initialize` result too.
    fn ready(project: &common::Project) -> (Client, Value) {
        let mut client = Client::start(project);
        let init = client.request(
            "initialize",
            json!({"processId": null, "rootUri": uri(project.path()), "capabilities": {}}),
        );
        client.notify("initialized", json!({}));
        (client, init)
    }

    fn open(&mut self, path: &std::path::Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(path), "languageId": "python", "version": 1, "text": text}}),
        );
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its result, skipping notifications in between.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let reply = self.wait_for(|m| m["id"] == json!(id));
        assert!(reply.get("error").is_none(), "{method} failed: {reply}");
        reply["result"].clone()
    }

    fn wait_for(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self
                .incoming
                .recv_timeout(left)
                .expect("the server answered within the time bound");
            if wanted(&message) {
                return message;
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let m = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"].as_array().unwrap().clone()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}

const RUNNER: &str = "class Runner:\n    def __init__(self):\n        self.done = []\n\n    def finish(self, job):\n        self.done.append(job)\n\n\ndef on_job(runner, job):\n    runner.finish(job)\n";
const HOLDER: &str = "from .runner import Runner\n\nrunner = Runner()\n";

#[test]
fn diagnostics_follow_the_buffers_and_the_modules_they_depend_on() {
    let project = common::Project::new();
    let runner = project.write("jobs/runner.py", RUNNER);
    let holder = project.write("jobs/__init__.py", HOLDER);
    let (runner_uri, holder_uri) = (uri(&runner), uri(&holder));
    let (mut client, init) = Client::ready(&project);
    assert_eq!(init["serverInfo"]["name"], "swarmcheck");
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 1);

    // Open: the list on a Runner that a module global of another module keeps alive.
    client.open(&runner, RUNNER);
    let found = client.diagnostics(&runner_uri);
    assert_eq!(found.len(), 1, "{found:?}");
    let d = &found[0];
    assert_eq!(d["code"], "SWC102");
    assert_eq!(d["source"], "swarmcheck");
    assert_eq!(d["severity"], 2, "medium is a warning");
    assert_eq!(
        d["range"],
        json!({"start": {"line": 2, "character": 8}, "end": {"line": 2, "character": 17}})
    );
    // The evidence chain: where it grows, and the module global in the other file.
    let related = d["relatedInformation"].as_array().unwrap();
    assert!(related.iter().any(
        |r| r["location"]["uri"] == holder_uri && r["location"]["range"]["start"]["line"] == 2
    ));
    assert!(related.iter().any(
        |r| r["location"]["uri"] == runner_uri && r["location"]["range"]["start"]["line"] == 5
    ));

    // Hover shows the rule's documentation; the code action adds a noqa comment.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": runner_uri}, "position": {"line": 2, "character": 12}}),
    );
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("SWC102"));
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": runner_uri}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    let edit = &actions[0]["edit"]["changes"][&runner_uri][0];
    assert_eq!(actions[0]["title"], "Add `# noqa: SWC102`");
    assert_eq!(edit["newText"], "  # noqa: SWC102");
    assert_eq!(edit["range"]["start"], json!({"line": 2, "character": 22}));

    // An unsaved edit of the other module (the global is gone) clears the finding here.
    client.open(&holder, HOLDER);
    assert_eq!(client.diagnostics(&runner_uri).len(), 1);
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": holder_uri, "version": 2},
               "contentChanges": [{"text": "from .runner import Runner\n"}]}),
    );
    assert_eq!(client.diagnostics(&runner_uri), Vec::<Value>::new());
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": holder_uri, "version": 3}, "contentChanges": [{"text": HOLDER}]}),
    );
    assert_eq!(client.diagnostics(&runner_uri).len(), 1);

    // A half-typed buffer is an SWC000 finding, not a crash; fixing the bug clears it all.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": runner_uri, "version": 2},
               "contentChanges": [{"text": "class Runner:\n    def __init__(self\n"}]}),
    );
    let broken = client.diagnostics(&runner_uri);
    assert_eq!(broken[0]["code"], "SWC000", "{broken:?}");
    let fixed = RUNNER.replace(
        "self.done.append(job)",
        "self.done.append(job)\n        del self.done[:-100]",
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": runner_uri, "version": 3}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(client.diagnostics(&runner_uri), Vec::<Value>::new());

    // Closing a document clears its diagnostics; shutdown and exit end the process with 0.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": holder_uri}}),
    );
    assert_eq!(client.diagnostics(&holder_uri), Vec::<Value>::new());
    assert_eq!(client.request("shutdown", Value::Null), Value::Null);
    // Neovim asks twice when it quits: the second gets an error reply and the server waits on.
    client.send(json!({"jsonrpc": "2.0", "id": 77, "method": "shutdown", "params": null}));
    let again = client.wait_for(|m| m["id"] == 77);
    assert_eq!(again["error"]["code"], -32600, "{again}");
    client.notify("exit", Value::Null);
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = client.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    // The buffers were never written to disk.
    assert_eq!(std::fs::read_to_string(&holder).unwrap(), HOLDER);
}

#[test]
fn a_file_outside_the_workspace_is_checked_alone_and_noqa_is_honoured() {
    let project = common::Project::new();
    let outside = tempfile::tempdir().unwrap();
    let path = outside.path().join("loose.py");
    let text = "import json, threading\n\ndef bump(p):\n    with open(p) as f:\n        d = json.load(f)\n    d['n'] += 1\n    with open(p, 'w') as f:\n        json.dump(d, f)\n\nworkers = [threading.Thread(target=bump, args=(p,)) for p in ['a.json']]\nfh = open('x')  # noqa: SWC301\n";
    let (mut client, _) = Client::ready(&project);
    client.open(&path, text);
    let found = client.diagnostics(&uri(&path));
    let codes: Vec<&str> = found.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"SWC201"), "{found:?}");
    assert!(!codes.contains(&"SWC301"), "noqa hides SWC301: {found:?}");
    // A request the server does not implement gets "method not found", and the server goes on.
    client.send(
        json!({"jsonrpc": "2.0", "id": 99, "method": "workspace/symbol", "params": {"query": "x"}}),
    );
    let reply = client.wait_for(|m| m["id"] == 99);
    assert_eq!(reply["error"]["code"], -32601, "{reply}");
    client.request("shutdown", Value::Null);
}

#[test]
fn a_broken_configuration_is_shown_once_and_the_server_goes_on() {
    let project = common::Project::new();
    project.write("swarmcheck.toml", "select = [\"SWC1\"\n");
    let runner = project.write("jobs/runner.py", RUNNER);
    project.write("jobs/__init__.py", HOLDER);
    let (mut client, _) = Client::ready(&project);
    client.open(&runner, RUNNER);
    let shown = client.wait_for(|m| m["method"] == "window/showMessage");
    assert_eq!(shown["params"]["type"], 1, "an error: {shown}");
    assert!(shown["params"]["message"]
        .as_str()
        .unwrap()
        .contains("swarmcheck.toml"));
    // Once the file is fixed, a save brings the diagnostics.
    project.write("swarmcheck.toml", "select = [\"SWC1\"]\n");
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri(&runner)}}),
    );
    let found = client.diagnostics(&uri(&runner));
    assert_eq!(found.len(), 1, "{found:?}");
    client.request("shutdown", Value::Null);
}
