//! swarmcheck: finds memory growth and cross-process JSON file races in Python multi-process
//! systems.
//!
//! The library is the engine; the `swarmcheck` binary is a thin CLI over it.

pub mod cli;
pub mod config;
pub mod finding;
pub mod lint;
pub mod obs;
pub mod report;
pub mod rules;
pub mod server;
pub mod store;
