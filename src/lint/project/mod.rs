//! The project model: what one module tells the others, and the facts that only the whole project
//! decides.
//!
//! Analysis runs in two phases. Each file is parsed once and reduced to a [`ModuleSummary`]
//! (serializable, cached, the AST dropped): its qualified name, the names it imports, its classes
//! with their bases, the places where it keeps instances of classes ([`Hold`]), the helpers it
//! defines that take a cross-process lock or read and write JSON, and its findings, each with the
//! [`Condition`] under which it holds. Linking then runs over all summaries every time: it builds
//! the class hierarchy across modules, decides which classes live for the process (with the chain
//! of evidence), and keeps the findings whose conditions hold.

pub mod context;
pub mod facts;
pub(crate) mod frameworks;
pub mod hierarchy;
pub mod import_calls;
pub mod launches;
pub mod lifetime;
pub mod link;
pub mod name;
pub mod names;
pub mod one_shot;
pub mod scripts;
mod shared_files;
mod singletons;
pub mod startup;
mod stdlib;
pub use stdlib::is_stdlib;
pub mod summary;
mod temporaries;

pub use name::Name;
use serde::{Deserialize, Serialize};

/// Where a module keeps an instance of a class: what makes that instance live as long as its
/// holder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HoldSite {
    /// Bound to a module global (at import, or through `global` in a singleton accessor).
    ModuleGlobal { name: Name },
    /// Returned by module-level function `function`, which takes no argument and whose
    /// `functools.cache`/`lru_cache` keeps the one instance it makes (a memoized accessor).
    Memoized { function: Name },
    /// Stored on instances of `owner` (qualified class name) as attribute `attr`: constructed in
    /// a method, a parameter annotated with the class and stored, or a field default factory.
    Attribute { owner: Name, attr: Name },
    /// Handed to the constructor of `owner` (qualified class name), which keeps what it is
    /// given: `ChatAgent(tools=[*Toolkit().get_tools()])`, `Client(store=MemoryStore())`.
    /// `param` is the keyword, or `#i` for the i-th positional argument.
    Argument { owner: Name, param: Name },
    /// Handed to a long-running framework (`bot.add_cog(Stats(bot))`).
    Registered { call: Name },
    /// Created by the program's entry point (the `__main__` block, a function it calls, or a
    /// `__main__.py`), which runs until the process exits.
    Entry { function: Name },
    /// Made by module-level function `function` before it serves until the process is stopped
    /// (`call`, described, at `line`): `gw = Gateway(config)`, then `gw.client.loop_forever()`.
    Serving {
        function: Name,
        call: Name,
        line: u32,
    },
    /// Made by method `function` of `owner` from a module it imports by a computed name
    /// (`import_module(f"app.plugins.{name}").Plugin()`): the hold's class is the package
    /// prefix and the class name (`app.plugins.Plugin`), and every class of that name in a
    /// module below the package is kept as long as the loader is.
    Loaded { owner: Name, function: Name },
}

/// An instance of `class` (a qualified name as the module sees it) kept at `site`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub class: Name,
    pub line: u32,
    pub site: HoldSite,
    /// The instance is of a subclass of `class` found at run time (`if issubclass(cls,
    /// Connector): self.connectors.append(cls(config))`): every subclass is kept this way.
    #[serde(default)]
    pub subclasses: bool,
    /// Made in the module's `if __name__ == "__main__":` block, which runs only when the module
    /// is the program (a module others import for its classes keeps a demonstration there).
    #[serde(default)]
    pub in_main_block: bool,
}

/// A class as other modules need to know it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassFacts {
    /// Qualified name: `pkg.jobs.Runner`.
    pub name: Name,
    pub line: u32,
    /// Base classes, qualified as the module sees them (resolved through re-exports when linked).
    pub bases: Vec<Name>,
    /// A method that loops until the process ends (`def run(self): while True:`): the method and
    /// the loop's line.
    pub service_loop: Option<(Name, u32)>,
    /// A method defines request handlers that use the instance and hands them to a web app
    /// (`def __init__(self, app): @app.route("/x") def x(): self.items...`): the app's server
    /// keeps the instance for the life of its process. The decorator as spelled, and its line.
    #[serde(default)]
    pub serves_routes: Option<(Name, u32)>,
    /// `self.<attr>` is emptied, trimmed or replaced here: (attr, line, what bounds it). Seen by
    /// containers defined in a base class of another module.
    pub bounds: Vec<(Name, u32, Name)>,
    /// Its class-level assignments declare per-instance fields (a dataclass, an attrs class, a
    /// pydantic model): subclasses in other modules inherit that.
    #[serde(default)]
    pub is_model: bool,
    /// Its decorators, qualified (`common.singleton.singleton`); a decorator that keeps one
    /// instance ([`singletons`]) makes the class live for the process.
    #[serde(default)]
    pub decorators: Vec<Name>,
}

/// Why a finding holds only under project facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Condition {
    /// Holds whatever the rest of the project says.
    Always,
    /// A container on instances of `class` grows: a finding only when those instances (or those
    /// of a subclass) live for the process, and no subclass in the project bounds `attr`.
    /// `grown_in`: the methods that add to it; when module-level code is all that calls them,
    /// they add a fixed number of times ([`import_calls`]).
    LongLivedOwner {
        class: Name,
        attr: Name,
        #[serde(default)]
        grown_in: Vec<Name>,
        /// It only gains items, with no key that is new per event (a list's appends): a
        /// lifetime that rests on another object's background loop is not enough
        /// ([`lifetime::Lifetimes::through_anothers_loop`]).
        #[serde(default)]
        items_only: bool,
        /// Some method of `grown_in` is decorated (other than as a class or static method, or
        /// a property's accessor): the decorator may hand it to a framework that calls it
        /// without naming it (`@irc3.event(...)`), so nothing naming it does not mean it never
        /// runs; or one is a request, task or event handler a method defines in its body.
        #[serde(default)]
        decorated: bool,
        /// Every growth site runs only when one of these keyword-only flags of its function is
        /// set (`if dedupe: seen.add(msg)`, `dedupe=False` by default): no finding when no call
        /// in the program passes any of them.
        #[serde(default)]
        opt_in: Vec<Name>,
        /// `class` grows `attr` as a container of this kind (`dict`, `list`, `set`) but does
        /// not make it: a finding only when a class of its family (a base or a subclass, in
        /// any module) makes it one of that kind and neither grows nor bounds it
        /// ([`ModuleFacts::quiet_attrs`]).
        #[serde(default)]
        borrowed: Option<Name>,
        /// The methods of `class` that bound `attr` (remove from it, reset it), none of which
        /// grows it: a finding only when nothing in the program calls any of them (see
        /// [`crate::lint::project::link`]'s `never_called`). Empty when a bound elsewhere, or
        /// none, was found.
        #[serde(default)]
        removed_in: Vec<Name>,
    },
    /// A container assigned in the body of `class`, which has a base in another module: a class
    /// attribute shared by every instance (as [`Condition::ModuleLivesLong`]) unless a base
    /// makes the class a model (pydantic, dataclass, attrs), whose class-level assignments are
    /// per-instance field defaults; then it is a container on instances, as
    /// [`Condition::LongLivedOwner`].
    ClassBodyContainer {
        class: Name,
        attr: Name,
        #[serde(default)]
        grown_in: Vec<Name>,
    },
    /// A finding unless the module is a script that ends (nothing imports it, it is run
    /// directly, and it runs no loop): its module globals die with it, and a one-shot run has no
    /// concurrent run of itself to lose JSON updates to.
    ModuleLivesLong,
    /// A JSON state file written in place: as [`Condition::ModuleLivesLong`], and no finding
    /// when the function or method that writes (`entry`, when only a call by its name can run
    /// it) never runs: nothing in the program's code names it.
    /// `read_elsewhere`: the module does not read the file back, but names it so (`alias.json`)
    /// that another module may: a finding only when another module of the program (tests
    /// aside) reads a file of that name.
    StateWrite {
        entry: Option<NamedEntry>,
        #[serde(default)]
        read_elsewhere: Option<Name>,
        /// The function that writes, when its module calls it only where the file does not
        /// exist: a finding only when another module (tests aside) names it too.
        #[serde(default)]
        first_version_by: Option<Name>,
        /// The module-level function that writes, in place, to the path its caller hands it
        /// (and that path, as the function spells it), when no caller in its own module reads
        /// that file: a finding only when a module that calls it reads the file it passes there.
        #[serde(default)]
        for_callers: Option<(Name, Name)>,
    },
    /// A module global or a class attribute, `name` (qualified): as
    /// [`Condition::ModuleLivesLong`], and no finding when another module of the project empties,
    /// trims or replaces it through that name ([`crate::lint::containers::imported`]). `grown_in`: when it grows only in
    /// module-level functions of its module, outside endless loops, those functions
    /// (qualified); no finding when the project calls each of them only while it starts
    /// ([`startup`]), or when none is decorated and nothing in the program names any of them.
    SharedContainer {
        name: Name,
        grown_in: Vec<Name>,
        /// Some function of `grown_in` is decorated: the decorator may hand it to a framework
        /// that calls it without naming it (`@bot.on_message`).
        #[serde(default)]
        decorated: bool,
        /// For a class attribute, the methods it grows in (outside endless loops): no finding
        /// when each runs only while the program starts ([`import_calls`]).
        #[serde(default)]
        methods: Vec<Name>,
        /// As for [`Condition::LongLivedOwner`]: the opt-in flags every growth site waits on.
        #[serde(default)]
        opt_in: Vec<Name>,
        /// `name` is another module's global, grown here through an import as a container of
        /// this kind (`dict`, `list`, `set`): a finding only when it is a container of that
        /// kind in the project that its own module neither grows nor bounds
        /// ([`ModuleFacts::quiet_globals`]).
        #[serde(default)]
        imported: Option<Name>,
        /// As for [`Condition::LongLivedOwner`]: the functions (or methods, for a class
        /// attribute) that bound it, none of which grows it: a finding only when nothing in the
        /// program calls any of them.
        #[serde(default)]
        removed_in: Vec<Name>,
    },
    /// A cache on a method of `class` keeps the instances it is called on alive: a finding when
    /// the project shows instances that come and go (a framework makes one per request, or a
    /// function makes one that dies with the call, [`Temporary`]), and `class` is no
    /// `enum.Enum` (in any module). Without such evidence the instances may be few and
    /// long-lived, and the cache keeps nothing that would otherwise be freed.
    CacheKeepsInstances { class: Name },
    /// A container shared by the instances of `classes` (a module global, a class attribute)
    /// that grows only in their initializers: once per instance made. A finding when the
    /// project shows instances of one of them that come and go (as for
    /// [`Condition::CacheKeepsInstances`]) and the module is no script that ends; a class made
    /// once, a fixed number of times at start-up, or never, adds a fixed number of entries.
    GrowsPerInstance { classes: Vec<Name> },
    /// A read-modify-write of a shared file: a finding unless the module is a script that ends
    /// (as [`Condition::ModuleLivesLong`]). It keeps its rule's severity when it can run
    /// concurrently: the module shows it (`shown`: a handler, a spawn per item, a call from
    /// one), or another module of the project writes the same `file`. Otherwise it stands only
    /// on a store object's file (`object_file`) or under a lock, and at low severity when the
    /// `require-concurrency-evidence` option asks for evidence.
    /// `root` is the imported constant the path starts from, when the project may show it to
    /// be under the user's home directory; `function` the qualified module-level function that
    /// does it, which a handler of another module may call.
    /// `snapshot`: the document was read by another method and kept on `self`; with no
    /// evidence of concurrent runs there is no finding, since a process that loads a file once
    /// and saves its copy in memory is the file's owner until a second process shows up.
    ConcurrentRmw {
        file: Option<Name>,
        shown: bool,
        snapshot: bool,
        /// It runs in a command-line command, once per invocation: like `snapshot`, no
        /// finding without evidence of concurrent runs.
        #[serde(default)]
        one_shot: bool,
        /// A coroutine with no `await` from the read to the write: other modules' writes of the
        /// file, from coroutines of the same event loop, take turns with it.
        #[serde(default)]
        takes_turns: bool,
        /// A lock is taken around it (a thread lock, or one released between the read and the
        /// write): the author expects concurrent runs, even in example code.
        #[serde(default)]
        locked: bool,
        /// The file belongs to the object whose method does it (`self.path`): a store that
        /// every holder of the object shares. Any other file is the function's own, and with
        /// no evidence of concurrent runs there is no finding.
        #[serde(default)]
        object_file: bool,
        root: Option<Name>,
        function: Option<Name>,
        /// The function or method (of a class qualified by module) that does it, when only a
        /// call by its name can run it: no finding without evidence of concurrent runs when
        /// nothing in the program's code names it (dead code, or code only tests call).
        #[serde(default)]
        entry: Option<NamedEntry>,
        /// The other module-level functions (qualified) of the module that read, change and
        /// write back the same file: a handler elsewhere that calls one races with this.
        #[serde(default)]
        siblings: Vec<Name>,
        /// Module-level functions (qualified) of the module that call `function`, directly or
        /// through one another: a handler elsewhere that calls one of them runs it.
        #[serde(default)]
        callers: Vec<Name>,
    },
}

/// A function or method that runs only when code calls it by its name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedEntry {
    /// The class, qualified (`pkg.store.Registry`), whose method it is.
    pub class: Option<Name>,
    pub name: Name,
}

/// Everything phase one learns about a module that the project needs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleFacts {
    /// Qualified module name (`pkg.jobs.runner`; `pkg` for `pkg/__init__.py`).
    pub module: Name,
    /// The module is test code: a test double here is not a long-lived service.
    pub is_test: bool,
    /// The module is example or documentation code ([`context::is_example_path`], judged below
    /// the checked root): what it keeps shows how the project may be used, not how long its
    /// objects live. Set on every run, never cached: it depends on the checked root.
    #[serde(skip)]
    pub is_example: bool,
    /// Module-level names bound by imports: (local name, absolute qualified target); how
    /// re-exports (`from .runner import Runner` in `__init__.py`) are followed; `from .base import
    /// *` is recorded as (`*`, the module).
    pub exports: Vec<(Name, Name)>,
    /// The local names of `exports` bound only under `if TYPE_CHECKING:`: a type checker reads
    /// them, the running program never imports their modules.
    #[serde(default)]
    pub typing_only: Vec<Name>,
    pub classes: Vec<ClassFacts>,
    pub holds: Vec<Hold>,
    /// Qualified names of this module's functions that hold a cross-process lock while their
    /// `with` block runs (or while they run).
    pub lock_helpers: Vec<Name>,
    /// The module is in a regular package (its directory holds an `__init__.py`).
    pub in_package: bool,
    /// It has an `if __name__ == "__main__":` block.
    pub has_main_guard: bool,
    /// A schema migration (an Alembic revision: module-level `revision` and `down_revision`
    /// and an `upgrade()` function; or a Django `Migration` class): the migration tool runs it
    /// once per upgrade, one revision after another, and nothing imports it.
    #[serde(default)]
    pub is_migration: bool,
    /// Module-level code calls something (`main()`, `swarm.run(task)`): run directly, it does
    /// its work at import.
    pub calls_at_top_level: bool,
    /// Module-level code calls a function the module defines (`update_manifest()` at the end of
    /// the file): the module is a program whose main work is that call, not a library.
    #[serde(default)]
    pub runs_own_function_at_import: bool,
    /// Its entry point keeps running: a loop or a serve call in module-level code, the
    /// `__main__` block or a function that block calls (what, and the line).
    pub runs_forever: Option<(Name, u32)>,
    /// Module-level functions that read or write JSON for their callers: (qualified name,
    /// summary).
    pub json_helpers: Vec<(Name, crate::lint::json_io::Summary)>,
    /// Modules imported whole (`import pkg.utils`); names imported from a module are in
    /// `exports`.
    pub imported: Vec<Name>,
    /// JSON files the module writes outside test code, by file name or by the imported
    /// constant that names them (`@pkg.paths.QUEUE`), and the line.
    #[serde(default)]
    pub written_files: Vec<(Name, u32)>,
    /// The files it reads JSON from, by name, with the line of the read: another module's
    /// write of the same file in place is a write of state.
    #[serde(default)]
    pub read_files: Vec<(Name, u32)>,
    /// Helpers of other modules it calls to write a file the calling function reads: the
    /// qualified callee as this module names it, the helper's path as the helper spells it,
    /// and the line. Their writes in place to that path are writes of state
    /// ([`Condition::StateWrite`]'s `for_callers`). Known only when the module is analyzed
    /// again with the helpers it imports, after linking
    /// ([`link::Project::add_state_writer_calls`]): never in the facts that are linked or
    /// cached.
    #[serde(skip)]
    pub state_writer_calls: Vec<(Name, Name, u32)>,
    /// Module constants that name a file: (qualified constant, file name).
    #[serde(default)]
    pub file_constants: Vec<(Name, Name)>,
    /// Module constants whose path is under the user's home directory: (qualified, line).
    #[serde(default)]
    pub home_constants: Vec<(Name, u32)>,
    /// Calls that the module's handlers (routes, tasks, event handlers) make to functions of
    /// other modules: (callee, line, why the handler runs concurrently).
    #[serde(default)]
    pub handler_calls: Vec<(Name, u32, String)>,
    /// Programs the module starts once per item of a loop (a process per agent), and the line.
    #[serde(default)]
    pub launches: Vec<(launches::Program, u32)>,
    /// Modules imported inside functions (`from swarm.queue import claim` in `main()`).
    #[serde(default)]
    pub imports_inside: Vec<Name>,
    /// Keyword arguments the module's calls pass with a value that may be true: not a `False`
    /// or `None` literal, nor the caller's own parameter of that name handed on
    /// (`_debug(msg, dedupe=dedupe)`). An opt-in flag no module sets stays off.
    #[serde(default)]
    pub keywords_set: Vec<Name>,
    /// Method names module-level code calls (`registry.add_listener(f)` at import).
    #[serde(default)]
    pub import_time_method_calls: Vec<Name>,
    /// Attribute names the module's functions use ([`import_calls`]).
    #[serde(default)]
    pub function_attr_names: import_calls::AttrNameHashes,
    /// Methods that add to a container on `self` in this module.
    #[serde(default)]
    pub growth_methods: Vec<Name>,
    /// `self.m(...)` calls that lead to `growth_methods` ([`import_calls::ImportCalls::edges`]).
    #[serde(default)]
    pub registration_edges: Vec<(Name, Name)>,
    /// Decorator factories among the callers of `registration_edges`.
    #[serde(default)]
    pub registration_factories: Vec<Name>,
    /// `(class, method)`: method names the initializers of the module's classes call on other
    /// objects ([`import_calls::ImportCalls::from_initializers`]).
    #[serde(default)]
    pub initializer_method_calls: Vec<(Name, Name)>,
    /// `(function, method)`: method names the module-level functions of the module call on
    /// other objects ([`import_calls::ImportCalls::from_functions`]).
    #[serde(default)]
    pub function_method_calls: Vec<(Name, Name)>,
    /// Classes the module instantiates into something that dies with the call
    /// ([`temporaries`]): the first site of each.
    #[serde(default)]
    pub temporaries: Vec<Temporary>,
    /// Classes a function of the module makes and returns, a new instance per call
    /// ([`temporaries`]): the first site of each.
    #[serde(default)]
    pub returned: Vec<Temporary>,
    /// Classes a function of the module (not an initializer, not the entry point) makes and
    /// files in a collection (`self.chats[chat_id] = HeartFChatting(chat_id)`,
    /// `self.sessions.append(Session())`), a new instance per call that stays: the first site
    /// of each ([`temporaries`]).
    #[serde(default)]
    pub filed: Vec<Temporary>,
    /// Module-level functions that remove from a parameter: (qualified name, its position).
    #[serde(default)]
    pub removers: Vec<(Name, u8)>,
    /// What start-up code calls, what functions that grow a module global call, and the names
    /// the rest of the code uses ([`startup`]).
    #[serde(default)]
    pub startup_calls: startup::StartupCalls,
    /// What the module's command-line commands call, and the names its other code uses; `None`
    /// without commands ([`one_shot`]).
    #[serde(default)]
    pub one_shot_calls: Option<one_shot::OneShotCalls>,
    /// Containers of other modules this module resets through an imported name, qualified
    /// (outside test code; [`crate::lint::containers::imported`]).
    #[serde(default)]
    pub resets: Vec<Name>,
    /// Module-level containers of this module that its own code neither grows nor bounds,
    /// qualified, with their kind (`dict`, `list`, `set`): other modules may grow them through
    /// an import.
    #[serde(default)]
    pub quiet_globals: Vec<(Name, Name)>,
    /// Containers on instances that this module makes but neither grows nor bounds: (class,
    /// attribute, kind, line). A class of the same family in another module may grow them.
    #[serde(default)]
    pub quiet_attrs: Vec<(Name, Name, Name, u32)>,
    /// Its decorators that keep one instance of the class they decorate, qualified
    /// ([`singletons`]).
    #[serde(default)]
    pub instance_caches: Vec<Name>,
}

/// `claim = Claim(task)` in `function`, which does not hand the instance back: every call makes
/// one more instance of `class`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Temporary {
    pub class: Name,
    pub line: u32,
    pub function: Name,
}

impl ModuleFacts {
    /// The modules and names this module imports when it runs: whole modules and names from
    /// modules, but not those imported only for a type checker (under `if TYPE_CHECKING:`),
    /// which the module never calls and which never run because of it.
    pub fn run_time_imported_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.imported.iter().map(Name::as_str).chain(
            self.exports
                .iter()
                .filter(|(local, _)| !self.typing_only.contains(local))
                .map(|(_, target)| target.as_str()),
        )
    }
}
