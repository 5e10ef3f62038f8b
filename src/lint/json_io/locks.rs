//! Which context managers and calls hold a lock, and whether that lock excludes other processes
//! (`filelock.FileLock`, `fcntl.flock`, a lock class of the module) or only other threads
//! (`threading.Lock`, `asyncio.Lock`).

use super::dotted;
use crate::lint::semantic::{ScopeId, SemanticModel};
use ruff_python_ast::{self as ast, Expr, Stmt};
use rustc_hash::FxHashMap as HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LockKind {
    /// Excludes other processes.
    Process,
    /// Excludes other threads (or tasks) of this process only.
    Thread,
}

/// Constructors and context managers of cross-process locks.
const PROCESS_LOCKS: &[&str] = &[
    "filelock.FileLock",
    "filelock.SoftFileLock",
    "filelock.UnixFileLock",
    "filelock.WindowsFileLock",
    "filelock.AsyncFileLock",
    "portalocker.Lock",
    "portalocker.RLock",
    "portalocker.TemporaryFileLock",
    "fasteners.InterProcessLock",
    "fasteners.InterProcessReaderWriterLock",
    "fasteners.process_lock.InterProcessLock",
    "multiprocessing.Lock",
    "multiprocessing.RLock",
    "lockfile.LockFile",
    "lockfile.FileLock",
    "lockfile.LinkLockFile",
    "lockfile.MkdirLockFile",
    "lockfile.linklockfile.LinkLockFile",
    "lockfile.mkdirlockfile.MkdirLockFile",
    "lockfile.pidlockfile.PIDLockFile",
    "lockfile.sqlitelockfile.SQLiteLockFile",
    "daemon.pidfile.PIDLockFile",
    "daemon.pidfile.TimeoutPIDLockFile",
    "swarmcheck.store.locked_json",
];

/// Constructors of locks that only exclude threads or tasks.
const THREAD_LOCKS: &[&str] = &[
    "threading.Lock",
    "threading.RLock",
    "threading.Condition",
    "threading.Semaphore",
    "threading.BoundedSemaphore",
    "asyncio.Lock",
    "asyncio.Condition",
    "asyncio.Semaphore",
];

/// Calls that take (or release) an OS file lock.
const OS_LOCK_CALLS: &[&str] = &[
    "fcntl.flock",
    "fcntl.lockf",
    "msvcrt.locking",
    "portalocker.lock",
    "portalocker.unlock",
];

/// `fcntl.flock(f, LOCK_EX)`, `msvcrt.locking(fd, LK_NBLCK, 1)`, `portalocker.lock(f, …)`: an
/// OS file-lock call that takes the lock (not one that releases it).
fn takes_os_lock(call: &ast::ExprCall, semantic: &SemanticModel, scope: ScopeId) -> bool {
    let Some(q) = semantic.qualified_name(scope, &call.func) else {
        return false;
    };
    let releases = q == "portalocker.unlock"
        || call.arguments.args.iter().any(|arg| {
            dotted(arg).is_some_and(|flag| flag.ends_with("LOCK_UN") || flag.ends_with("LK_UNLCK"))
        });
    OS_LOCK_CALLS.contains(&q.as_str()) && !releases
}

pub struct LockTable<'a> {
    /// Module-level names bound once, with their value (paths and lock objects).
    module_values: HashMap<&'a str, &'a Expr>,
    /// Lock objects: module names and `self` attributes (by attribute name).
    objects: HashMap<String, LockKind>,
    /// Classes of the module usable as lock context managers.
    classes: HashMap<&'a str, LockKind>,
    /// `@contextmanager` methods of the module's classes that hold a lock while their block
    /// runs (`with self._file_lock():`), by name.
    lock_methods: HashMap<&'a str, LockKind>,
    extra: Vec<String>,
}

impl<'a> LockTable<'a> {
    pub fn build(suite: &'a [Stmt], semantic: &SemanticModel<'a>, extra: &[String]) -> Self {
        let mut table = LockTable {
            module_values: HashMap::default(),
            objects: HashMap::default(),
            classes: HashMap::default(),
            lock_methods: HashMap::default(),
            extra: extra.to_vec(),
        };
        let mut counts: HashMap<&str, usize> = HashMap::default();
        for stmt in suite {
            if let Stmt::Assign(a) = stmt {
                if let [Expr::Name(n)] = a.targets.as_slice() {
                    *counts.entry(n.id.as_str()).or_default() += 1;
                    table.module_values.insert(n.id.as_str(), &a.value);
                }
            }
        }
        table
            .module_values
            .retain(|name, _| counts.get(name) == Some(&1));
        // Lock classes and `@contextmanager` lock helpers first: a module lock object may be
        // an instance of one.
        for stmt in suite {
            match stmt {
                Stmt::ClassDef(class) => {
                    if let Some(kind) = table.class_lock_kind(class, semantic) {
                        table.classes.insert(class.name.as_str(), kind);
                    }
                }
                Stmt::FunctionDef(func) => {
                    if let Some(kind) = table.context_manager_lock_kind(func, semantic) {
                        table.classes.insert(func.name.as_str(), kind);
                    }
                }
                _ => {}
            }
        }
        let module_values: Vec<(&str, &Expr)> =
            table.module_values.iter().map(|(k, v)| (*k, *v)).collect();
        for (name, value) in module_values {
            if let Some(kind) = table.constructor_kind(value, semantic, ScopeId::MODULE) {
                table.objects.insert(name.to_string(), kind);
            }
        }
        for stmt in suite {
            if let Stmt::ClassDef(class) = stmt {
                for (attr, kind) in table.self_locks(class, semantic) {
                    table.objects.insert(format!("self.{attr}"), kind);
                }
                for method in &class.body {
                    if let Stmt::FunctionDef(func) = method {
                        if let Some(kind) = table.context_manager_lock_kind(func, semantic) {
                            table.lock_methods.insert(func.name.as_str(), kind);
                        }
                    }
                }
            }
        }
        table
    }

    /// The kind of lock an expression constructs: `FileLock(p)`, `threading.Lock()`,
    /// `RegistryLock(p)` (a lock class of the module).
    fn constructor_kind(
        &self,
        value: &Expr,
        semantic: &SemanticModel,
        scope: ScopeId,
    ) -> Option<LockKind> {
        // `FileLock(p) if HAS_FILELOCK else NullLock()`: the lock the author means, with a
        // stand-in where the library is missing.
        if let Expr::If(choice) = value {
            return self
                .constructor_kind(&choice.body, semantic, scope)
                .or_else(|| self.constructor_kind(&choice.orelse, semantic, scope));
        }
        let Expr::Call(call) = value else { return None };
        let q = semantic.qualified_name(scope, &call.func);
        if let Some(kind) = q.as_deref().and_then(|q| self.kind_named(q)) {
            return Some(kind);
        }
        match call.func.as_ref() {
            Expr::Name(n) => self.classes.get(n.id.as_str()).copied(),
            Expr::Attribute(a) if matches!(a.value.as_ref(), Expr::Name(n) if n.id.as_str() == "self") => {
                self.lock_methods.get(a.attr.as_str()).copied()
            }
            _ => None,
        }
    }

    /// The lock a field's default factory makes: `Field(default_factory=asyncio.Lock)`.
    fn factory_kind(
        &self,
        value: &Expr,
        semantic: &SemanticModel,
        scope: ScopeId,
    ) -> Option<LockKind> {
        let Expr::Call(call) = value else { return None };
        let factory = call
            .arguments
            .keywords
            .iter()
            .find(|k| {
                k.arg
                    .as_ref()
                    .is_some_and(|a| matches!(a.as_str(), "default_factory" | "factory"))
            })
            .map(|k| &k.value)?;
        self.kind_named(&semantic.qualified_name(scope, factory)?)
    }

    /// The kind of lock a qualified class or factory name makes (`filelock.FileLock`,
    /// `asyncio.Lock`, a configured lock).
    fn kind_named(&self, q: &str) -> Option<LockKind> {
        if PROCESS_LOCKS.contains(&q) || self.extra.iter().any(|e| e == q) {
            Some(LockKind::Process)
        } else if THREAD_LOCKS.contains(&q) {
            Some(LockKind::Thread)
        } else {
            None
        }
    }

    /// The module's classes and `@contextmanager` functions that hold a cross-process lock.
    pub fn process_lock_helpers(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.classes
            .iter()
            .filter(|(_, k)| **k == LockKind::Process)
            .map(|(name, _)| *name)
    }

    /// The lock a `with` item holds, if it is one: a lock constructor or context manager, a
    /// lock object (`with LOCK:`, `with self._lock:`), or `lock.acquire(...)` on one.
    pub fn lock_kind(
        &self,
        ctx: &Expr,
        semantic: &SemanticModel,
        scope: ScopeId,
        receiver: Option<&str>,
    ) -> Option<LockKind> {
        if let Some(kind) = self.constructor_kind(ctx, semantic, scope) {
            return Some(kind);
        }
        if let Expr::Call(call) = ctx {
            if let Expr::Attribute(a) = call.func.as_ref() {
                if a.attr.as_str() == "acquire" {
                    return self.object_kind(&a.value, receiver);
                }
            }
            return None;
        }
        self.object_kind(ctx, receiver)
    }

    fn object_kind(&self, expr: &Expr, receiver: Option<&str>) -> Option<LockKind> {
        match expr {
            Expr::Name(n) => self.objects.get(n.id.as_str()).copied(),
            Expr::Attribute(a) => match (a.value.as_ref(), receiver) {
                (Expr::Name(n), Some(r)) if n.id.as_str() == r => {
                    self.objects.get(&format!("self.{}", a.attr)).copied()
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// A call that takes or releases a lock outside a `with`: `fcntl.flock(f, LOCK_EX)`,
    /// `msvcrt.locking(fd, LK_LOCK, n)`, `lock.acquire()`, `lock.release()`. Returns the kind,
    /// whether it acquires, and the text naming the lock (to pair acquire and release).
    pub fn manual_lock(
        &self,
        call: &ast::ExprCall,
        qualified: Option<&str>,
        receiver: Option<&str>,
    ) -> Option<(LockKind, bool, String)> {
        if let Some(q) = qualified {
            if OS_LOCK_CALLS.contains(&q) {
                let handle = call
                    .arguments
                    .args
                    .first()
                    .and_then(dotted)
                    .unwrap_or_default();
                let flags = call
                    .arguments
                    .args
                    .get(1)
                    .and_then(dotted)
                    .unwrap_or_default();
                let release = q == "portalocker.unlock" || flags.contains("UN");
                // A shared lock (`LOCK_SH`) lets other readers in and excludes no writer that
                // also takes it shared: it is not held for a read-modify-write.
                if !release && flags.contains("LOCK_SH") && !flags.contains("LOCK_EX") {
                    return None;
                }
                return Some((LockKind::Process, !release, handle));
            }
        }
        let Expr::Attribute(a) = call.func.as_ref() else {
            return None;
        };
        let acquire = match a.attr.as_str() {
            "acquire" => true,
            "release" => false,
            _ => return None,
        };
        let kind = self.object_kind(&a.value, receiver)?;
        Some((kind, acquire, dotted(&a.value).unwrap_or_default()))
    }

    /// `self.<attr> = <lock constructor>` in the methods of `class`.
    fn self_locks(
        &self,
        class: &ast::StmtClassDef,
        semantic: &SemanticModel,
    ) -> Vec<(String, LockKind)> {
        let mut out = Vec::new();
        let class_scope = semantic.scope_of(class).unwrap_or(ScopeId::MODULE);
        for item in &class.body {
            // Class-level fields reach instances as `self.<name>`: `_lock = threading.Lock()`, or
            // a per-instance factory (`PrivateAttr(default_factory=asyncio.Lock)`,
            // `field(default_factory=threading.Lock)`, `attrs.field(factory=...)`).
            let field = match item {
                Stmt::Assign(a) => match a.targets.as_slice() {
                    [Expr::Name(n)] => Some((n.id.as_str(), &*a.value)),
                    _ => None,
                },
                Stmt::AnnAssign(a) => match (a.target.as_ref(), a.value.as_deref()) {
                    (Expr::Name(n), Some(v)) => Some((n.id.as_str(), v)),
                    _ => None,
                },
                _ => None,
            };
            if let Some((name, value)) = field {
                let kind = self
                    .constructor_kind(value, semantic, class_scope)
                    .or_else(|| self.factory_kind(value, semantic, class_scope));
                if let Some(kind) = kind {
                    out.push((name.to_string(), kind));
                }
            }
            let Stmt::FunctionDef(method) = item else {
                continue;
            };
            let scope = semantic.scope_of(method).unwrap_or(ScopeId::MODULE);
            for s in &method.body {
                if let Stmt::Assign(a) = s {
                    if let [Expr::Attribute(attr)] = a.targets.as_slice() {
                        if let Some(kind) = self.constructor_kind(&a.value, semantic, scope) {
                            out.push((attr.attr.to_string(), kind));
                        }
                    }
                }
            }
        }
        out
    }

    /// A `@contextlib.contextmanager` function that takes a lock before it yields:
    /// `with FileLock(p): yield`, or `fcntl.flock(f, LOCK_EX)` then `yield`.
    fn context_manager_lock_kind(
        &self,
        func: &ast::StmtFunctionDef,
        semantic: &SemanticModel,
    ) -> Option<LockKind> {
        let is_cm = func.decorator_list.iter().any(|d| {
            semantic
                .qualified_name(ScopeId::MODULE, &d.expression)
                .is_some_and(|q| {
                    q == "contextlib.contextmanager" || q == "contextlib.asynccontextmanager"
                })
        });
        if !is_cm {
            return None;
        }
        let scope = semantic.scope_of(func).unwrap_or(ScopeId::MODULE);
        // The lock may be taken inside a `try` (a fallback per platform) or an `if`.
        if crate::lint::blocks::calls_in(&func.body)
            .into_iter()
            .any(|c| takes_os_lock(c, semantic, scope))
        {
            return Some(LockKind::Process);
        }
        let mut found = None;
        crate::lint::blocks::for_each_stmt(&func.body, &mut |stmt| {
            if let Stmt::With(with) = stmt {
                for item in &with.items {
                    found = found
                        .or_else(|| self.constructor_kind(&item.context_expr, semantic, scope));
                }
            }
        });
        found
    }

    /// A class of the module whose `__enter__` takes a lock.
    fn class_lock_kind(
        &self,
        class: &ast::StmtClassDef,
        semantic: &SemanticModel,
    ) -> Option<LockKind> {
        let self_locks: HashMap<String, LockKind> =
            self.self_locks(class, semantic).into_iter().collect();
        let enter = class.body.iter().find_map(|s| match s {
            Stmt::FunctionDef(f) if matches!(f.name.as_str(), "__enter__" | "__aenter__") => {
                Some(f)
            }
            _ => None,
        })?;
        let scope = semantic.scope_of(enter).unwrap_or(ScopeId::MODULE);
        let mut found = None;
        for call in crate::lint::blocks::calls_in(&enter.body) {
            if takes_os_lock(call, semantic, scope) {
                found = Some(LockKind::Process);
            } else if let Expr::Attribute(a) = call.func.as_ref() {
                match a.value.as_ref() {
                    // `self._lock.acquire()` on a lock object the class made.
                    Expr::Attribute(inner) if a.attr.as_str() == "acquire" => {
                        if let Some(kind) = self_locks.get(inner.attr.as_str()) {
                            found = found.or(Some(*kind));
                        }
                    }
                    // `if not self.acquire(): raise`: a method of the class that takes an OS
                    // file lock (retrying in a loop, one branch per platform).
                    Expr::Name(n) if n.id.as_str() == "self" => {
                        let method = class.body.iter().find_map(|s| match s {
                            Stmt::FunctionDef(f) if f.name.as_str() == a.attr.as_str() => Some(f),
                            _ => None,
                        });
                        if let Some(method) = method {
                            let scope = semantic.scope_of(method).unwrap_or(ScopeId::MODULE);
                            if crate::lint::blocks::calls_in(&method.body)
                                .into_iter()
                                .any(|c| takes_os_lock(c, semantic, scope))
                            {
                                found = Some(LockKind::Process);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        found
    }
}
