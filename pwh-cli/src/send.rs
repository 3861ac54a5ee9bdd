//! `pwh send`: build a webhook (one event from the command line, or a batch file), sign it and
//! POST it.

use std::process::ExitCode;

use crate::cli::SendArgs;
use crate::error::Failure;
use crate::input::{now_ms, read_body};
use crate::{body, credentials, http, sign};

/// Runs `pwh send`.
pub(crate) fn run(args: &SendArgs) -> Result<ExitCode, Failure> {
    let body = build(args)?;
    let token = credentials::signing_token(&args.credentials)?;
    http::send(&args.target, &sign::headers(&token, &body), &body)
}

/// The body `args` describe.
fn build(args: &SendArgs) -> Result<Vec<u8>, Failure> {
    let events = match (&args.batch, &args.kind) {
        (Some(path), _) => body::batch(&read_body(path)?)?,
        (None, Some(kind)) => vec![body::event(kind, &args.fields)?],
        (None, None) => return Err(Failure::new("give the event's KIND, or --batch FILE")),
    };
    Ok(body::webhook(args.time_ms.unwrap_or_else(now_ms), &events))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn built(args: &[&str]) -> Result<Vec<u8>, Failure> {
        let cli = Cli::try_parse_from(args).unwrap();
        let Command::Send(send) = cli.command else {
            panic!("not send")
        };
        build(&send)
    }

    #[test]
    fn the_command_line_becomes_the_body() {
        let body = built(&[
            "pwh",
            "send",
            "member_added",
            "--channel",
            "presence-a",
            "--user-id",
            "7",
            "--time-ms",
            "42",
        ])
        .unwrap();
        assert_eq!(
            body,
            br#"{"time_ms":42,"events":[{"name":"member_added","channel":"presence-a","user_id":"7"}]}"#
        );
        let err = built(&["pwh", "send", "member_added", "--channel", "p"]).unwrap_err();
        assert_eq!(err.to_string(), "`member_added` needs --user-id");
    }

    #[test]
    fn time_ms_defaults_to_now() {
        let before = now_ms();
        let body = built(&["pwh", "send", "cache_miss", "--channel", "c"]).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let time_ms = value["time_ms"].as_u64().unwrap();
        assert!(time_ms >= before && time_ms <= now_ms(), "{time_ms}");
    }

    #[test]
    fn a_missing_batch_file_is_an_error_naming_it() {
        let err = built(&["pwh", "send", "--batch", "/nonexistent/events.json"]).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/events.json"),
            "{err}"
        );
    }
}
