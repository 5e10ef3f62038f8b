//! `swarmcheck server`: the language server, over standard input and output.

use super::{fail, Status};
use clap::Args;

#[derive(Debug, Args)]
pub struct ServerArgs {}

pub fn run(_args: ServerArgs) -> Status {
    match crate::server::run() {
        Ok(()) => Status::Ok,
        Err(e) => fail(miette::miette!("language server: {e}")),
    }
}
