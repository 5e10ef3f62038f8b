//! Signals during a wait for the lock. A handler installed without `SA_RESTART` (as Python's
//! are) makes a blocking `flock` fail with EINTR; the wait must go on (or end only when the
//! caller's interrupt check says so), never fail with "Interrupted system call".
#![cfg(unix)]

use serde_json::{json, Value};
use std::fs::File;
use std::os::unix::thread::JoinHandleExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use swarmcheck::store::metrics::Event;
use swarmcheck::store::{JsonStore, StoreError, StoreOptions};

static HANDLED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_signal(_: libc::c_int) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

/// A SIGUSR1 handler without SA_RESTART: blocking system calls it interrupts fail with EINTR.
fn install_handler() {
    // SAFETY: a zeroed sigaction with a handler that only touches an atomic is valid.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = count_signal as *const () as usize;
        action.sa_flags = 0;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()),
            0
        );
    }
}

fn store(doc: &Path, metrics: Option<&Path>) -> JsonStore<Value> {
    let options = StoreOptions {
        metrics: metrics.map(Path::to_path_buf),
        ..StoreOptions::default()
    };
    JsonStore::open(doc, options, || json!({}))
}

/// Holds the OS lock of `doc` through a descriptor of its own, as another process would: the
/// store's in-process queue does not know about it, so the store blocks in `flock` itself.
fn hold_os_lock(doc: &Path) -> File {
    let lock = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(doc.with_extension("json.lock"))
        .unwrap();
    lock.lock().unwrap();
    lock
}

/// Sends SIGUSR1 to `thread` every 10 ms for `for_how_long`.
fn pester(thread: libc::pthread_t, for_how_long: Duration) {
    let until = Instant::now() + for_how_long;
    while Instant::now() < until {
        // SAFETY: the thread is alive (it is joined later) and SIGUSR1 has a handler.
        unsafe { libc::pthread_kill(thread, libc::SIGUSR1) };
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn signals_during_a_blocking_wait_do_not_fail_the_update() {
    install_handler();
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("d.json");
    let log = dir.path().join("metrics.jsonl");
    let held = hold_os_lock(&doc);
    let before = HANDLED.load(Ordering::SeqCst);
    let s = store(&doc, Some(&log));
    let waiter = std::thread::spawn(move || {
        s.update(|d| {
            d["after"] = json!(true);
            Ok::<_, String>(())
        })
    });
    pester(waiter.as_pthread_t(), Duration::from_millis(400));
    assert!(
        !waiter.is_finished(),
        "the wait ended while the lock was still held"
    );
    held.unlock().unwrap();
    let result = waiter.join().unwrap();
    assert!(
        result.is_ok(),
        "a signal failed the wait: {}",
        result.unwrap_err()
    );
    assert!(HANDLED.load(Ordering::SeqCst) > before, "no signal arrived");
    assert_eq!(
        serde_json::from_slice::<Value>(&std::fs::read(&doc).unwrap()).unwrap(),
        json!({"after": true})
    );
    // One event: the update, successful, with the resumed waits counted as retries.
    let events: Vec<Event> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].outcome, "ok");
    assert!(events[0].retries.get("EINTR").is_some_and(|&n| n > 0));
}

#[test]
fn an_interrupt_check_can_end_a_blocking_wait() {
    install_handler();
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("d.json");
    std::fs::write(&doc, b"{\"kept\": 1}").unwrap();
    let held = hold_os_lock(&doc);
    let s = store(&doc, None);
    let s2 = s.clone();
    let asked = Arc::new(AtomicUsize::new(0));
    let asked2 = asked.clone();
    let waiter = std::thread::spawn(move || {
        let mut check = || {
            // Go on after the first signal, stop at the second.
            if asked2.fetch_add(1, Ordering::SeqCst) == 0 {
                Ok(())
            } else {
                Err("stop".to_string())
            }
        };
        s2.begin_interruptible(&mut check).map(|_| ())
    });
    let thread = waiter.as_pthread_t();
    let started = Instant::now();
    while !waiter.is_finished() && started.elapsed() < Duration::from_secs(10) {
        pester(thread, Duration::from_millis(20));
    }
    let result = waiter.join().unwrap();
    assert!(
        matches!(result, Err(StoreError::Interrupted { ref reason, .. }) if reason == "stop"),
        "{result:?}"
    );
    assert!(asked.load(Ordering::SeqCst) >= 2);
    // The abandoned wait left no state behind: once the holder is gone, updates go through.
    held.unlock().unwrap();
    drop(held);
    s.update(|d| {
        d["next"] = json!(2);
        Ok::<_, String>(())
    })
    .unwrap();
    assert_eq!(s.read().unwrap(), json!({"kept": 1, "next": 2}));
}

#[test]
fn an_interrupt_check_runs_while_another_thread_holds_the_lock() {
    // A wait behind another thread of this process is on a condition variable, which signals
    // do not wake: the check must still run, so Ctrl-C in a binding is not ignored.
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("d.json");
    let s = store(&doc, None);
    let (locked_tx, locked_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let holder = {
        let s = s.clone();
        std::thread::spawn(move || {
            let txn = s.begin().unwrap();
            locked_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            drop(txn);
        })
    };
    locked_rx.recv().unwrap();
    for timeout in [None, Some(Duration::from_secs(30))] {
        let waiting = JsonStore::open(
            &doc,
            StoreOptions {
                timeout,
                ..StoreOptions::default()
            },
            || json!({}),
        );
        let started = Instant::now();
        let mut calls = 0;
        let mut check = || {
            calls += 1;
            if calls < 3 {
                Ok(())
            } else {
                Err("enough".to_string())
            }
        };
        let result = waiting.begin_interruptible(&mut check).map(|_| ());
        assert!(
            matches!(result, Err(StoreError::Interrupted { .. })),
            "timeout {timeout:?}: {result:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "timeout {timeout:?}: the check ran too late ({:?})",
            started.elapsed()
        );
    }
    release_tx.send(()).unwrap();
    holder.join().unwrap();
    s.update(|d| {
        d["done"] = json!(true);
        Ok::<_, String>(())
    })
    .unwrap();
}
