//! `swarmcheck server`: a Language Server Protocol server over standard input and output.
//!
//! The workspace is the project: every check runs the whole two-phase analysis over the
//! workspace folder, with the open documents' unsaved text standing in for their files, so an
//! edit to a helper module refreshes the diagnostics of every open module that depends on it.
//! Summaries of unchanged files come from the results cache, so a re-check after one edit is
//! close to the cost of that file alone. Documents outside the workspace (or with none) are
//! checked on their own.

mod diagnostics;

use crate::config::{self, Overrides};
use crate::finding::Finding;
use crate::lint::settings::LintSettings;
use crate::lint::{self, Unsaved};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionProviderCapability, HoverProviderCapability, InitializeParams, InitializeResult,
    PublishDiagnosticsParams, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Url,
};
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long typing must pause before a changed buffer is checked again.
const DEBOUNCE: Duration = Duration::from_millis(250);

/// An open document: the editor's text, not the file's.
struct Document {
    uri: Url,
    version: i32,
    text: String,
    /// The findings last published for it, for hover and code actions.
    findings: Vec<Finding>,
}

struct Server {
    connection: Connection,
    /// The workspace folder, when the client named one.
    root: Option<PathBuf>,
    documents: FxHashMap<PathBuf, Document>,
    /// When the open documents must be checked again (a change waits for [`DEBOUNCE`]).
    recheck_at: Option<Instant>,
    /// The last configuration error shown, so it is not shown again on every keystroke.
    shown_error: Option<String>,
    /// `shutdown` was answered: nothing is checked any more, and `exit` ends the process with 0.
    shut_down: bool,
}

/// Serves one client over stdio until it sends `exit` (or closes the connection). Errors are a
/// protocol violation during initialization and an `exit` without `shutdown` (exit code 2, where
/// the protocol asks for a non-zero code).
pub fn run() -> Result<(), String> {
    let (connection, io_threads) = Connection::stdio();
    let (id, params) = connection
        .initialize_start()
        .map_err(|e| format!("initialization failed: {e}"))?;
    let params: InitializeParams = serde_json::from_value(params)
        .map_err(|e| format!("initialize: invalid parameters: {e}"))?;
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    };
    let result = InitializeResult {
        capabilities,
        server_info: Some(ServerInfo {
            name: "swarmcheck".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    let result = serde_json::to_value(result).map_err(|e| e.to_string())?;
    connection
        .initialize_finish(id, result)
        .map_err(|e| format!("initialization failed: {e}"))?;
    let mut server = Server {
        connection,
        root: workspace_root(&params),
        documents: FxHashMap::default(),
        recheck_at: None,
        shown_error: None,
        shut_down: false,
    };
    server.serve()?;
    drop(server);
    io_threads.join().map_err(|e| e.to_string())
}

/// The first workspace folder, else the deprecated root URI; only `file:` URIs name a folder.
#[allow(deprecated)]
fn workspace_root(params: &InitializeParams) -> Option<PathBuf> {
    let folder = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| &f.uri)
        .or(params.root_uri.as_ref())?;
    folder.to_file_path().ok().filter(|p| p.is_dir())
}

impl Server {
    fn serve(&mut self) -> Result<(), String> {
        loop {
            let message = match self.recheck_at {
                Some(at) => {
                    let wait = at.saturating_duration_since(Instant::now());
                    match self.connection.receiver.recv_timeout(wait) {
                        Ok(m) => m,
                        Err(e) if e.is_timeout() => {
                            self.recheck_at = None;
                            self.check_open_documents();
                            continue;
                        }
                        Err(_) => return Ok(()),
                    }
                }
                None => match self.connection.receiver.recv() {
                    Ok(m) => m,
                    Err(_) => return Ok(()),
                },
            };
            match message {
                // After `shutdown` only `exit` counts; a client that asks again (Neovim does on
                // quit) gets an error reply, not a dead server.
                Message::Request(request) if self.shut_down => {
                    self.send(Message::Response(Response::new_err(
                        request.id,
                        ErrorCode::InvalidRequest as i32,
                        "the server is shutting down".into(),
                    )));
                }
                Message::Request(request) if request.method == req::Shutdown::METHOD => {
                    self.shut_down = true;
                    self.recheck_at = None;
                    self.send(Message::Response(Response::new_ok(request.id, ())));
                }
                Message::Request(request) => self.answer(request),
                Message::Notification(n) if n.method == note::Exit::METHOD => {
                    return if self.shut_down {
                        Ok(())
                    } else {
                        Err("exit before shutdown".into())
                    };
                }
                Message::Notification(_) if self.shut_down => {}
                Message::Notification(n) => self.notified(n),
                Message::Response(_) => {}
            }
        }
    }

    fn answer(&mut self, request: Request) {
        let response = match request.method.as_str() {
            req::HoverRequest::METHOD => match serde_json::from_value(request.params) {
                Ok(p) => ok(request.id, diagnostics::hover(&self.documents, &p)),
                Err(e) => invalid(request.id, e),
            },
            req::CodeActionRequest::METHOD => match serde_json::from_value(request.params) {
                Ok(p) => ok(request.id, diagnostics::noqa_actions(&self.documents, &p)),
                Err(e) => invalid(request.id, e),
            },
            _ => Response::new_err(
                request.id,
                ErrorCode::MethodNotFound as i32,
                format!("swarmcheck does not answer {}", request.method),
            ),
        };
        self.send(Message::Response(response));
    }

    fn notified(&mut self, n: Notification) {
        match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                else {
                    return;
                };
                let Some(path) = local_path(&p.text_document.uri) else {
                    return;
                };
                let document = Document {
                    uri: p.text_document.uri,
                    version: p.text_document.version,
                    text: p.text_document.text,
                    findings: Vec::new(),
                };
                self.documents.insert(path, document);
                self.recheck_at = Some(Instant::now());
            }
            note::DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                else {
                    return;
                };
                let Some(document) =
                    local_path(&p.text_document.uri).and_then(|path| self.documents.get_mut(&path))
                else {
                    return;
                };
                // Full synchronization: the last change without a range is the whole text.
                if let Some(change) = p.content_changes.into_iter().rfind(|c| c.range.is_none()) {
                    document.text = change.text;
                    document.version = p.text_document.version;
                    self.recheck_at = Some(Instant::now() + DEBOUNCE);
                }
            }
            note::DidSaveTextDocument::METHOD => self.recheck_at = Some(Instant::now()),
            note::DidCloseTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                else {
                    return;
                };
                if let Some(document) =
                    local_path(&p.text_document.uri).and_then(|path| self.documents.remove(&path))
                {
                    self.publish(document.uri, Vec::new(), None);
                }
            }
            _ => {}
        }
    }

    /// Checks the workspace with the open buffers' text and publishes the diagnostics of every
    /// open document (an edit in one can change the verdicts in another).
    fn check_open_documents(&mut self) {
        if self.documents.is_empty() {
            return;
        }
        let start = self
            .root
            .clone()
            .or_else(|| {
                let any = self.documents.keys().next()?;
                any.parent().map(Path::to_path_buf)
            })
            .unwrap_or_else(|| PathBuf::from("/"));
        // A broken configuration or a failed check keeps the last diagnostics and says why once.
        let checked =
            settings_for(&start).and_then(|settings| Ok((self.findings(&settings)?, settings)));
        let (mut findings, settings) = match checked {
            Ok(checked) => {
                self.shown_error = None;
                checked
            }
            Err(message) => {
                if self.shown_error.as_deref() != Some(&message) {
                    self.show_error(&message);
                    self.shown_error = Some(message);
                }
                return;
            }
        };
        let paths: Vec<PathBuf> = self.documents.keys().cloned().collect();
        for path in paths {
            let own = findings.remove(&path).unwrap_or_default();
            let document = &self.documents[&path];
            let base = self.root.as_deref().unwrap_or(&settings.project_root);
            let published =
                diagnostics::for_document(&own, &document.text, &document.uri, base, &path);
            let (uri, version) = (document.uri.clone(), document.version);
            self.publish(uri, published, Some(version));
            if let Some(document) = self.documents.get_mut(&path) {
                document.findings = own;
            }
        }
    }

    /// The findings of every open document, by absolute path.
    fn findings(
        &self,
        settings: &LintSettings,
    ) -> Result<FxHashMap<PathBuf, Vec<Finding>>, String> {
        let mut by_path: FxHashMap<PathBuf, Vec<Finding>> = FxHashMap::default();
        let in_workspace = |p: &Path| self.root.as_deref().is_some_and(|r| p.starts_with(r));
        // Buffers of files in the workspace that exist on disk take part in the project; others
        // (outside it, or never saved) are checked on their own.
        let mut unsaved = Unsaved::default();
        let mut alone = Vec::new();
        for (path, document) in &self.documents {
            if in_workspace(path) && path.is_file() {
                unsaved.insert(path.clone(), document.text.clone().into_bytes());
            } else {
                alone.push((path, document));
            }
        }
        if let Some(root) = self.root.as_deref().filter(|_| !unsaved.is_empty()) {
            let cache_dir = settings.project_root.join(".swarmcheck_cache");
            let cache = lint::cache::Cache::open(&cache_dir, &settings.cache_key());
            // A panic in the project-wide phase must not take the editor's server down.
            let scan = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                lint::check_paths(
                    &[root.to_path_buf()],
                    settings,
                    root,
                    &|_| {},
                    &|| {},
                    Some(&cache),
                    &unsaved,
                )
            }));
            cache.save();
            let scan = match scan {
                Ok(Ok(scan)) => scan,
                Ok(Err(e)) => return Err(format!("cannot check the workspace: {e}")),
                Err(_) => {
                    return Err(
                        "internal error while checking the workspace (please report it)".into(),
                    )
                }
            };
            for f in scan.findings {
                let path = root.join(&f.path);
                if unsaved.contains_key(&path) {
                    by_path.entry(path).or_default().push(f);
                }
            }
        }
        for (path, document) in alone {
            let cwd = path.parent().unwrap_or(Path::new("/"));
            let scan = lint::check_unsaved(document.text.as_bytes(), path, cwd, settings);
            by_path.insert(path.clone(), scan.findings);
        }
        Ok(by_path)
    }

    fn publish(&self, uri: Url, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Message::Notification(Notification::new(
            note::PublishDiagnostics::METHOD.into(),
            params,
        )));
    }

    fn show_error(&self, message: &str) {
        let params = lsp_types::ShowMessageParams {
            typ: lsp_types::MessageType::ERROR,
            message: format!("swarmcheck: {message}"),
        };
        self.send(Message::Notification(Notification::new(
            note::ShowMessage::METHOD.into(),
            params,
        )));
    }

    /// A client that went away ends the loop on the next receive; nothing to do here.
    fn send(&self, message: Message) {
        let _ = self.connection.sender.send(message);
    }
}

/// The settings `check` would use for files under `start`: the nearest configuration file, no
/// command-line overrides.
fn settings_for(start: &Path) -> Result<LintSettings, String> {
    let loaded = config::find(start)
        .as_deref()
        .map(config::load)
        .transpose()
        .map_err(|e| plain(miette::Report::new(*e)))?;
    let (mut settings, _) = config::resolve(loaded.as_ref(), &Overrides::default())
        .map_err(|e| plain(miette::Report::from(e)))?;
    settings.project_root = config::project_root(loaded.as_ref(), start, start);
    Ok(settings)
}

/// A report as plain text for a message box: the file, line and column it points at, and the
/// message, without colours or drawing.
fn plain(report: miette::Report) -> String {
    let mut text = String::new();
    match miette::NarratableReportHandler::new().render_report(&mut text, report.as_ref()) {
        Ok(()) => text.trim_end().to_string(),
        Err(_) => report.to_string(),
    }
}

fn local_path(uri: &Url) -> Option<PathBuf> {
    (uri.scheme() == "file")
        .then(|| uri.to_file_path().ok())
        .flatten()
}

fn ok<T: serde::Serialize>(id: RequestId, result: T) -> Response {
    Response::new_ok(id, result)
}

fn invalid(id: RequestId, e: serde_json::Error) -> Response {
    Response::new_err(
        id,
        ErrorCode::InvalidParams as i32,
        format!("invalid parameters: {e}"),
    )
}
