//! Command-line flags.

use std::path::PathBuf;

/// The usage text printed by `--help` and after a bad flag.
pub(crate) const USAGE: &str = "\
pwh-loadtest: fire distinct signed Pusher webhooks at the axum example app over keep-alive
HTTP/1.1 connections on 127.0.0.1, then check that every event was handled exactly once.

USAGE:
    pwh-loadtest [--webhooks N] [--concurrency C] [--fail-once F] [--retries R] [--duplicate]
                 [--app-bin PATH]

FLAGS:
    --webhooks N      distinct webhooks to send, 1 to 3 events each   [default: 50000]
    --concurrency C   concurrent keep-alive connections                [default: 64]
    --fail-once F     start the app with PWH_FAIL_ONCE=F (0 < F <= 1): that fraction of
                      handler calls fails once; a 500 is retried with the same body and
                      signature, as Pusher does                        [default: off]
    --retries R       retries of one webhook after a 500 or a broken connection
                                                                       [default: 5]
    --duplicate       deliver every webhook twice, the two copies at the same time (a
                      redelivery racing the original); each event must still be handled once
    --app-bin PATH    the example-axum binary to start; by default it is built in release
                      (`cargo build --release -p example-axum`) and taken from the target dir
    -h, --help        this text

The app gets the demo token (demo-key/demo-secret) unless PUSHER_APP_KEY and PUSHER_APP_SECRET
are both set. Exits 1 when a check fails, 2 on a usage or setup error.";

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Command {
    /// Print the usage.
    Help,
    /// Run the load.
    Run(Options),
}

/// The options of a run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Options {
    /// Distinct webhooks to send.
    pub(crate) webhooks: usize,
    /// Concurrent connections.
    pub(crate) concurrency: usize,
    /// `PWH_FAIL_ONCE` for the app, when the failure mode is on.
    pub(crate) fail_once: Option<f64>,
    /// Retries of one webhook.
    pub(crate) retries: u32,
    /// Whether every webhook is delivered twice, concurrently.
    pub(crate) duplicate: bool,
    /// The app binary, when given.
    pub(crate) app_bin: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            webhooks: 50_000,
            concurrency: 64,
            fail_once: None,
            retries: 5,
            duplicate: false,
            app_bin: None,
        }
    }
}

/// Parses the arguments (without the program name). Accepts `--flag value` and `--flag=value`.
pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(Command::Help);
        }
        if flag == "--duplicate" && inline.is_none() {
            options.duplicate = true;
            continue;
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--webhooks" => options.webhooks = positive(&flag, &value()?)?,
            "--concurrency" => options.concurrency = positive(&flag, &value()?)?,
            "--retries" => {
                let v = value()?;
                options.retries = v
                    .parse()
                    .map_err(|_| format!("{flag}: `{v}` is not a number of retries"))?;
            }
            "--fail-once" => {
                let v = value()?;
                let ratio = v
                    .parse::<f64>()
                    .ok()
                    .filter(|r| *r > 0.0 && *r <= 1.0)
                    .ok_or_else(|| format!("{flag}: `{v}` is not a fraction in (0, 1]"))?;
                options.fail_once = Some(ratio);
            }
            "--app-bin" => options.app_bin = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Command::Run(options))
}

fn positive(flag: &str, value: &str) -> Result<usize, String> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{flag}: `{value}` is not a positive number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn defaults() {
        assert_eq!(run(&[]), Ok(Command::Run(Options::default())));
        assert_eq!(run(&["--help"]), Ok(Command::Help));
    }

    #[test]
    fn flags_in_both_forms() {
        let Ok(Command::Run(o)) = run(&[
            "--webhooks",
            "10",
            "--concurrency=4",
            "--fail-once",
            "0.05",
            "--retries=2",
            "--app-bin",
            "/bin/app",
            "--duplicate",
        ]) else {
            panic!("should parse");
        };
        assert_eq!(o.webhooks, 10);
        assert_eq!(o.concurrency, 4);
        assert_eq!(o.fail_once, Some(0.05));
        assert_eq!(o.retries, 2);
        assert_eq!(o.app_bin, Some(PathBuf::from("/bin/app")));
        assert!(o.duplicate);
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(run(&["--webhooks", "0"]).is_err());
        assert!(run(&["--concurrency"]).is_err());
        assert!(run(&["--fail-once", "0"]).is_err());
        assert!(run(&["--fail-once", "1.5"]).is_err());
        assert!(run(&["--nope"]).is_err());
    }
}
