//! Python bindings: the CLI entry point and the locked JSON store. The store is swarmcheck's
//! Rust store (no second implementation); documents cross the boundary as JSON text, which the
//! Python side encodes and decodes with the standard `json` module. The Rust side never parses
//! a document into a tree: it checks the text and writes it in the layout the document had, so
//! numbers, key order and nesting are exactly what Python's `json` reads and writes.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use swarmcheck::store::{
    CorruptPolicy, Durability, JsonStore, RawJson, StoreError, StoreOptions, Transaction,
};

create_exception!(
    _native,
    SwarmcheckStoreError,
    PyException,
    "An error of the locked JSON store."
);
create_exception!(
    _native,
    LockTimeout,
    SwarmcheckStoreError,
    "The lock was not acquired within the timeout."
);
create_exception!(
    _native,
    CorruptDocument,
    SwarmcheckStoreError,
    "The document is not valid JSON; its bytes were preserved."
);

fn to_py(e: StoreError) -> PyErr {
    let message = e.to_string();
    match e {
        StoreError::LockTimeout { .. } => LockTimeout::new_err(message),
        StoreError::Corrupt { .. } => CorruptDocument::new_err(message),
        _ => SwarmcheckStoreError::new_err(message),
    }
}

/// The document store (JSON values). Thread-safe; share it or open one per thread.
#[pyclass(module = "swarmcheck._native", frozen)]
struct NativeStore {
    store: JsonStore<RawJson>,
}

#[pymethods]
impl NativeStore {
    #[new]
    #[pyo3(signature = (path, durability="full", timeout=None, on_corrupt="error", metrics=None, keep_backup=false, allow_network_fs=false))]
    fn new(
        path: PathBuf,
        durability: &str,
        timeout: Option<f64>,
        on_corrupt: &str,
        metrics: Option<PathBuf>,
        keep_backup: bool,
        allow_network_fs: bool,
    ) -> PyResult<Self> {
        let durability: Durability = durability
            .parse()
            .map_err(pyo3::exceptions::PyValueError::new_err)?;
        let on_corrupt: CorruptPolicy = on_corrupt
            .parse()
            .map_err(pyo3::exceptions::PyValueError::new_err)?;
        let timeout = match timeout {
            Some(t) if !(t.is_finite() && t >= 0.0) => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "timeout must be >= 0 seconds, got {t}"
                )))
            }
            // A timeout too large to represent waits as long as it takes.
            Some(t) => Duration::try_from_secs_f64(t).ok(),
            None => None,
        };
        let options = StoreOptions {
            durability,
            timeout,
            on_corrupt,
            keep_backup,
            metrics,
            allow_network_fs,
        };
        Ok(NativeStore {
            // `null` stands for "no document yet": the Python side applies its default.
            store: JsonStore::open(path, options, || {
                RawJson::new(b"null".to_vec()).expect("valid JSON")
            }),
        })
    }

    /// Takes the lock (without the GIL) and reads the document.
    fn begin(&self, py: Python<'_>) -> PyResult<NativeTransaction> {
        // While the lock is awaited, Python's signal handlers run: the store asks after every
        // signal that interrupts the wait (EINTR, as Python installs handlers without
        // SA_RESTART) and every 50 ms otherwise. A handler that raises (Ctrl-C's
        // KeyboardInterrupt) ends the wait with that exception alone; otherwise it goes on.
        let store = self.store.clone();
        let mut raised: Option<PyErr> = None;
        let result = py.detach(|| {
            let mut check = || {
                Python::attach(|py| py.check_signals()).map_err(|e| {
                    let reason = e.to_string();
                    raised = Some(e);
                    reason
                })
            };
            store.begin_interruptible(&mut check)
        });
        let txn = match result {
            Ok(txn) => txn,
            Err(StoreError::Interrupted { .. }) if raised.is_some() => {
                return Err(raised.take().expect("checked"))
            }
            Err(e) => return Err(to_py(e)),
        };
        Ok(NativeTransaction {
            txn: Mutex::new(Some(txn)),
        })
    }

    /// The last committed document as JSON text, or None when the file does not exist.
    fn read(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let store = self.store.clone();
        let (doc, existed) = py.detach(move || store.read_existing()).map_err(to_py)?;
        Ok(existed.then(|| doc.as_str().to_string()))
    }

    #[getter]
    fn path(&self) -> PathBuf {
        self.store.path().to_path_buf()
    }
}

/// An open read-modify-write: the lock is held until `commit` or `abort`.
#[pyclass(module = "swarmcheck._native", frozen)]
struct NativeTransaction {
    txn: Mutex<Option<Transaction<RawJson>>>,
}

#[pymethods]
impl NativeTransaction {
    /// The document as JSON text, or None when the file did not exist.
    fn document(&self) -> PyResult<Option<String>> {
        let guard = self.txn.lock().unwrap_or_else(|e| e.into_inner());
        let txn = guard
            .as_ref()
            .ok_or_else(|| SwarmcheckStoreError::new_err("the transaction is already finished"))?;
        Ok(txn.existed().then(|| txn.doc().as_str().to_string()))
    }

    /// Commits `text` (JSON) atomically, in the layout the document had, and releases the
    /// lock, without the GIL. Text that is not JSON releases the lock before the error is
    /// raised (the exception must not keep the lock held).
    fn commit(&self, py: Python<'_>, text: &str) -> PyResult<()> {
        let mut txn = self
            .txn
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| SwarmcheckStoreError::new_err("the transaction is already finished"))?;
        let doc = match RawJson::in_style(text.as_bytes(), txn.style()) {
            Ok(doc) => doc,
            Err(e) => {
                py.detach(move || txn.abort("ABORTED"));
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "the document is not JSON ({} at byte {}); nothing was written",
                    e.reason, e.offset
                )));
            }
        };
        txn.set_doc(doc);
        py.detach(move || txn.commit()).map_err(to_py)
    }

    /// Releases the lock without writing.
    fn abort(&self) {
        if let Some(txn) = self.txn.lock().unwrap_or_else(|e| e.into_inner()).take() {
            txn.abort("ABORTED");
        }
    }
}

/// Runs the swarmcheck CLI with `argv` (program name first); returns the exit code.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> i32 {
    py.detach(move || swarmcheck::cli::run(argv) as i32)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeStore>()?;
    m.add_class::<NativeTransaction>()?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add("StoreError", m.py().get_type::<SwarmcheckStoreError>())?;
    m.add("LockTimeout", m.py().get_type::<LockTimeout>())?;
    m.add("CorruptDocument", m.py().get_type::<CorruptDocument>())?;
    Ok(())
}
