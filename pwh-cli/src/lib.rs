#![doc = include_str!("../README.md")]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod body;
mod cli;
mod credentials;
mod diagnosis;
mod error;
mod flags;
mod forms;
mod http;
mod input;
mod jobs;
mod kinds_help;
mod replay;
mod send;
mod sign;
mod verify;

use std::process::ExitCode;

use clap::Parser;

/// Runs the `pwh` command with the process's arguments: parses them, runs the command, and
/// prints any error as one `error: ...` line on standard error.
///
/// Exit status: 0 when done (a 2xx answer, a matching signature, a `jobs` action done), 1 for
/// a non-2xx answer or a signature mismatch, 2 for an error (bad input, no credentials, no
/// connection, a file that is not a pwh store, an unknown job).
pub fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match &cli.command {
        cli::Command::Send(args) => send::run(args),
        cli::Command::Sign(args) => sign::run(args),
        cli::Command::Verify(args) => verify::run(args),
        cli::Command::Replay(args) => replay::run(args),
        cli::Command::Jobs(args) => jobs::run(args),
    };
    result.unwrap_or_else(|failure| {
        eprintln!("error: {failure}");
        ExitCode::from(2)
    })
}
