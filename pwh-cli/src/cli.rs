//! The command line: commands, options and their help (clap derive).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand};

use crate::jobs::JobsArgs;
use crate::kinds_help;

/// The URL of the example apps' endpoint, the default target of `send` and `replay`.
pub(crate) const DEFAULT_URL: &str = "http://127.0.0.1:3000/pusher/webhooks";

/// Send, sign, verify and replay signed Pusher Channels WebHooks; inspect deferred jobs.
#[derive(Debug, Parser)]
#[command(name = "pwh", version, about, long_about = None)]
#[command(after_help = "\
The key comes from --key or PUSHER_APP_KEY, the secret from --secret or PUSHER_APP_SECRET
(a flag wins over its variable); PUSHER_EXTRA_TOKENS=key1:secret1,key2:secret2 adds tokens.
Prefer the environment to --secret: a command line is visible to other users of the machine.

Exit status: 0 done (2xx answer, signature matches, jobs action done), 1 non-2xx answer or
signature mismatch, 2 error (bad input, no credentials, no connection, not a pwh store).

Examples:
  pwh send channel_occupied --channel news
  pwh sign body.json
  pwh verify --signature 3f1c... body.json
  pwh replay saved.json --fresh
  pwh jobs --sqlite pwh.sqlite dead
  pwh jobs --redis redis://127.0.0.1:6379/ list")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Build a webhook, sign it and POST it; print the status, the answer and the round trip.
    Send(SendArgs),
    /// Print the X-Pusher-Key and X-Pusher-Signature headers for a body (for curl).
    Sign(SignArgs),
    /// Check a body against a signature; on a mismatch, name the likely cause.
    Verify(VerifyArgs),
    /// POST a saved body again, as it was or with a fresh time_ms.
    Replay(ReplayArgs),
    /// List, retry, discard and purge an app's deferred jobs (in its pwh-sqlite file or Redis).
    Jobs(JobsArgs),
}

/// The token to sign with, or to check against. Each of the two may come from the environment
/// instead (see `credentials`): neither is required here.
#[derive(Debug, Args)]
pub(crate) struct Credentials {
    /// The token's key (sent in X-Pusher-Key) [env: PUSHER_APP_KEY]
    #[arg(long, value_name = "KEY", value_parser = key)]
    pub(crate) key: Option<String>,
    /// The token's secret [env: PUSHER_APP_SECRET, or the secret of the key in
    /// PUSHER_EXTRA_TOKENS]
    #[arg(long, value_name = "SECRET")]
    pub(crate) secret: Option<SecretArg>,
}

/// A `--key`, trimmed: never empty.
fn key(s: &str) -> Result<String, &'static str> {
    match s.trim() {
        "" => Err("the key is empty"),
        key => Ok(key.to_owned()),
    }
}

/// A secret given on the command line: never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SecretArg(pub(crate) String);

impl fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretArg(<redacted>)")
    }
}

impl FromStr for SecretArg {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Err("the secret is empty");
        }
        Ok(Self(s.trim().to_owned()))
    }
}

/// Where to POST, and how long to wait.
#[derive(Debug, Args)]
pub(crate) struct Target {
    /// The webhook endpoint
    #[arg(long, value_name = "URL", default_value = DEFAULT_URL)]
    pub(crate) url: String,
    /// Seconds to wait for the whole exchange
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub(crate) timeout: u64,
    /// Also write the exact body sent to FILE (to replay it later)
    #[arg(long, value_name = "FILE")]
    pub(crate) save: Option<PathBuf>,
    /// Print the request's headers and body before sending it
    #[arg(long, short)]
    pub(crate) verbose: bool,
}

/// The help of `send` after the list of the kinds ([`kinds_help::kinds`]).
const SEND_HELP: &str = "\
For client_event, --data is sent as a JSON string, as Pusher does: --data '{\"a\":1}' is sent
as \"data\":\"{\\\"a\\\":1}\". Add --data-object to send it as a JSON value instead, as some
Pusher-compatible servers do.

Examples:
  pwh send channel_occupied --channel news
  pwh send member_added --channel presence-lobby --user-id alice
  pwh send client_event --channel presence-lobby --event client-typing \\
      --data '{\"text\":\"hi\"}' --user-id alice
  pwh send subscription_count --channel news --count 3
  pwh send member_updated --channel presence-lobby --user-id alice
  pwh send --batch events.json --url https://example.com/pusher/webhooks
  PUSHER_APP_KEY=demo-key PUSHER_APP_SECRET=demo-secret pwh send cache_miss --channel cache-x";

#[derive(Debug, Args)]
#[command(after_help = format!("{}\n\n{SEND_HELP}", kinds_help::kinds()))]
pub(crate) struct SendArgs {
    /// The event's name
    #[arg(value_name = "KIND", required_unless_present = "batch")]
    pub(crate) kind: Option<String>,
    /// Send the events of FILE instead: a JSON array of event objects, or a whole webhook
    /// ({"time_ms": ..., "events": [...]}, whose time_ms is replaced)
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "kind", "channel", "user_id", "event", "data", "socket_id", "count"
    ])]
    pub(crate) batch: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) fields: EventFields,
    /// The webhook's time_ms [default: now]
    #[arg(long, value_name = "N")]
    pub(crate) time_ms: Option<u64>,
    #[command(flatten)]
    pub(crate) target: Target,
    #[command(flatten)]
    pub(crate) credentials: Credentials,
}

/// The fields of one event, each sent when given.
#[derive(Debug, Default, Args)]
pub(crate) struct EventFields {
    // Help: which kinds have the field, from the one definition of the kinds.
    #[arg(long, value_name = "C", help = kinds_help::flag("channel", "The channel"))]
    pub(crate) channel: Option<String>,
    // Help: which kinds have the field, from the one definition of the kinds.
    #[arg(long, value_name = "U", help = kinds_help::flag("user_id", "The user"))]
    pub(crate) user_id: Option<String>,
    // Help: which kinds have the field, from the one definition of the kinds.
    #[arg(long, value_name = "E", help = kinds_help::flag("event", "The client event's name, e.g. client-typing"))]
    pub(crate) event: Option<String>,
    // Help: which kinds have the field, from the one definition of the kinds.
    #[arg(long, value_name = "JSON", help = kinds_help::flag("data", "The client event's data, sent as a string of this text"))]
    pub(crate) data: Option<String>,
    /// Send --data as a JSON value rather than as a string
    #[arg(long, requires = "data")]
    pub(crate) data_object: bool,
    // Help: which kinds have the field, from the one definition of the kinds.
    #[arg(long, value_name = "S", help = kinds_help::flag("socket_id", "The sender's socket id"))]
    pub(crate) socket_id: Option<String>,
    // Help: which kinds have the field, from the one definition of the kinds.
    #[arg(long, value_name = "N", help = kinds_help::flag("subscription_count", "The subscription count"))]
    pub(crate) count: Option<u64>,
}

#[derive(Debug, Args)]
#[command(after_help = "\
The body is signed byte for byte: a trailing newline is part of it. Send it with
curl --data-binary (not --data, which strips newlines).

Examples:
  pwh sign body.json
  printf '%s' \"$BODY\" | pwh sign -
  pwh sign body.json > headers.txt
  curl http://127.0.0.1:3000/pusher/webhooks -H @headers.txt \\
      -H 'Content-Type: application/json' --data-binary @body.json")]
pub(crate) struct SignArgs {
    /// The body: a file, or - for standard input
    #[arg(value_name = "FILE", default_value = "-")]
    pub(crate) file: PathBuf,
    #[command(flatten)]
    pub(crate) credentials: Credentials,
}

#[derive(Debug, Args)]
#[command(after_help = "\
The signature is checked against every configured token (--key/--secret, PUSHER_APP_KEY and
PUSHER_APP_SECRET, PUSHER_EXTRA_TOKENS), or against --key's only when --key is given. On a
mismatch, pwh looks for the usual causes: a trailing newline added or removed, JSON
re-serialised (compact, sorted or pretty-printed), another configured token, a signature that
is not 64 hex digits.

Examples:
  pwh verify --signature 709fdb84c03664445f7698120b0edf0acc1ab1c8c6e93a0368c61841d6b998aa body.json
  pwh verify --key 278d425bdf160c739803 --signature \"$SIG\" - < body.json")]
pub(crate) struct VerifyArgs {
    /// The X-Pusher-Signature value
    #[arg(long, value_name = "SIG")]
    pub(crate) signature: String,
    /// The body: a file, or - for standard input
    #[arg(value_name = "FILE", default_value = "-")]
    pub(crate) file: PathBuf,
    #[command(flatten)]
    pub(crate) credentials: Credentials,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Without --fresh the saved bytes are sent unchanged, with --signature if given, else signed
afresh (same body, same signature): a receiver that remembers deliveries answers 200 without
running its handlers again. With --fresh, time_ms becomes now and the body is re-signed: a new
delivery, which passes the receiver's max age check even when the saved body is old.

Examples:
  pwh send channel_occupied --channel news --save hook.json
  pwh replay hook.json
  pwh replay hook.json --fresh
  pwh replay captured.json --signature \"$SIG\" --key \"$KEY\"")]
pub(crate) struct ReplayArgs {
    /// The saved body
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Replace time_ms with now and re-sign
    #[arg(long, conflicts_with = "signature")]
    pub(crate) fresh: bool,
    /// Send this X-Pusher-Signature instead of signing the saved bytes
    #[arg(long, value_name = "SIG")]
    pub(crate) signature: Option<String>,
    #[command(flatten)]
    pub(crate) target: Target,
    #[command(flatten)]
    pub(crate) credentials: Credentials,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let cli = Cli::try_parse_from([
            "pwh",
            "sign",
            "--key",
            "k",
            "--secret",
            "hunter2-very-secret",
            "body.json",
        ])
        .unwrap();
        let shown = format!("{cli:?}");
        assert!(shown.contains("SecretArg(<redacted>)"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn credentials_are_optional_and_batch_excludes_a_kind() {
        // The key (or the secret) may come from the environment: checked after parsing.
        assert!(Cli::try_parse_from(["pwh", "sign", "--secret", "s"]).is_ok());
        assert!(Cli::try_parse_from(["pwh", "sign", "--key", "k"]).is_ok());
        assert!(Cli::try_parse_from(["pwh", "sign", "--key", " "]).is_err());
        assert!(Cli::try_parse_from(["pwh", "send"]).is_err());
        assert!(
            Cli::try_parse_from(["pwh", "send", "cache_miss", "--batch", "events.json"]).is_err()
        );
        assert!(
            Cli::try_parse_from(["pwh", "replay", "f", "--fresh", "--signature", "x"]).is_err()
        );
    }

    #[test]
    fn jobs_takes_its_store_anywhere_and_checks_ids_and_choices() {
        let parse = |args: &[&str]| Cli::try_parse_from(["pwh", "jobs"].iter().chain(args));
        assert!(parse(&["--sqlite", "f", "list"]).is_ok());
        assert!(parse(&["list", "--sqlite", "f", "--state", "dead"]).is_ok());
        assert!(parse(&["--redis", "redis://h/", "list", "--redis-prefix", "a:"]).is_ok());
        assert!(parse(&["dead", "--redis", "redis://h/"]).is_ok());
        assert!(parse(&["list", "--redis-cluster", "h:7000,h:7001"]).is_ok());
        assert!(parse(&["list", "--state", "sleeping"]).is_err());
        assert!(parse(&["retry"]).is_err(), "an id or --all-dead");
        assert!(parse(&["retry", "--all-dead"]).is_ok());
        assert!(parse(&["retry", &"ab".repeat(16), "--all-dead"]).is_err());
        assert!(parse(&["retry", "abc"]).is_err(), "32 hex digits");
        assert!(parse(&["discard", &"0".repeat(32)]).is_ok());
        assert!(parse(&["purge"]).is_err(), "--done or --dead");
        assert!(parse(&["purge", "--done", "--dead", "--older-than", "1h"]).is_ok());
        assert!(parse(&["purge", "--done", "--older-than", "soon"]).is_err());
    }

    #[test]
    fn every_command_has_examples_in_its_help() {
        let mut cli = Cli::command();
        for name in ["send", "sign", "verify", "replay", "jobs"] {
            let help = cli
                .find_subcommand_mut(name)
                .unwrap()
                .render_long_help()
                .to_string();
            assert!(help.contains("Examples:"), "{name}: {help}");
            assert!(help.contains(&format!("pwh {name}")), "{name}: {help}");
        }
    }
}
