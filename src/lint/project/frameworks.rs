//! The table of frameworks whose objects live for the process (`frameworks.toml`, documented in
//! the README): base classes, registration methods and entry-point runners.

use serde::Deserialize;
use std::sync::OnceLock;

#[derive(Debug, Deserialize)]
pub struct Frameworks {
    pub long_lived_bases: Vec<String>,
    pub per_request_bases: Vec<String>,
    pub one_shot_command_bases: Vec<String>,
    pub singleton_decorators: Vec<String>,
    pub registration_methods: Vec<String>,
    pub serve_calls: Vec<String>,
    pub serve_calls_that_return: Vec<String>,
    pub serve_functions: Vec<String>,
    pub serving_apps: Vec<String>,
    pub handler_decorators: HandlerDecorators,
    pub spawn_calls: Vec<String>,
    pub mapping_calls: Vec<String>,
    pub startup_hooks: StartupHooks,
}

/// How a framework is told to run a function once, while the application starts.
#[derive(Debug, Deserialize)]
pub struct StartupHooks {
    pub modules: Vec<String>,
    pub keywords: Vec<String>,
    pub decorators: Vec<String>,
    pub events: Vec<String>,
    pub methods: Vec<String>,
}

/// Decorators of handlers a framework runs many at a time, by what they handle.
#[derive(Debug, Deserialize)]
pub struct HandlerDecorators {
    pub request: Vec<String>,
    pub task: Vec<String>,
    pub event: Vec<String>,
}

/// Whether `module` (qualified) is where a management tool looks up its commands
/// (`<app>/management/commands/<command>.py`, which `manage.py <command>` runs).
pub fn in_management_commands(module: &str) -> bool {
    module.contains(".management.commands.") || module.starts_with("management.commands.")
}

impl Frameworks {
    /// Whether `base` (qualified) is a framework class whose subclasses live for the process.
    pub fn is_long_lived_base(&self, base: &str) -> bool {
        self.long_lived_bases.iter().any(|b| b == base)
    }
}

pub fn table() -> &'static Frameworks {
    static TABLE: OnceLock<Frameworks> = OnceLock::new();
    TABLE.get_or_init(|| {
        toml::from_str(include_str!("frameworks.toml")).expect("frameworks.toml is valid")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_table_parses() {
        let t = super::table();
        assert!(t
            .long_lived_bases
            .iter()
            .any(|b| b == "discord.ext.commands.Cog"));
        // A thread is a service by its run loop, not by its base class.
        assert!(!t.long_lived_bases.iter().any(|b| b == "threading.Thread"));
        assert!(t.serve_functions.iter().any(|f| f == "uvicorn.run"));
        assert!(t.registration_methods.iter().any(|m| m == "add_cog"));
    }
}
