//! One signed POST and its answer, through `ureq` (blocking: a command sends one request and
//! waits for it; no async runtime needed). `https://` needs the `tls` feature.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::cli::Target;
use crate::diagnosis;
use crate::error::Failure;
use crate::input::save_body;

/// What the endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) reason: &'static str,
    pub(crate) body: String,
    pub(crate) elapsed: Duration,
}

impl Answer {
    /// Prints the status, the round-trip time and the answer's body; success on a 2xx.
    pub(crate) fn report(&self) -> ExitCode {
        println!(
            "HTTP {} {} in {:.1} ms",
            self.status,
            self.reason,
            self.elapsed.as_secs_f64() * 1000.0
        );
        if !self.body.is_empty() {
            println!("{}", self.body.trim_end());
        }
        if (200..300).contains(&self.status) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    }
}

/// Signs nothing: POSTs `body` with `headers` (plus `Content-Type: application/json`) to the
/// target, after saving the body if asked to and printing it when verbose, and reports.
pub(crate) fn send(
    target: &Target,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<ExitCode, Failure> {
    if let Some(path) = &target.save {
        save_body(path, body)?;
    }
    if target.verbose {
        eprintln!("POST {}", target.url);
        eprintln!("Content-Type: application/json");
        for (name, value) in headers {
            eprintln!("{name}: {value}");
        }
        eprintln!("{}\n", String::from_utf8_lossy(body));
    }
    let answer = post(
        &target.url,
        headers,
        body,
        Duration::from_secs(target.timeout),
    )?;
    let code = answer.report();
    if let Some(hint) = diagnosis::misrouted(answer.status, &path_of(&target.url)) {
        eprintln!("note: {hint}");
    }
    Ok(code)
}

/// The path of `url` (`/` when it has none), or the whole of it if it cannot be parsed.
fn path_of(url: &str) -> String {
    url.trim()
        .parse::<ureq::http::Uri>()
        .map_or_else(|_| url.to_owned(), |uri| uri.path().to_owned())
}

/// POSTs `body` to `url`. Redirects are not followed (a POST is not re-sent elsewhere): a 3xx
/// is reported like any other status.
pub(crate) fn post(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<Answer, Failure> {
    check_scheme(url)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(timeout))
        .user_agent(concat!("pwh/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut request = agent.post(url).header("Content-Type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let started = Instant::now();
    let mut response = request
        .send(body)
        .map_err(|e| Failure::new(format!("POST {url}: {}", describe(&e))))?;
    let bytes = response
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_vec()
        .map_err(|e| Failure::new(format!("POST {url}: reading the answer: {}", describe(&e))))?;
    let elapsed = started.elapsed();
    let status = response.status();
    Ok(Answer {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or(""),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        elapsed,
    })
}

fn check_scheme(url: &str) -> Result<(), Failure> {
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("https://") {
        if cfg!(feature = "tls") {
            return Ok(());
        }
        return Err(Failure::new(
            "https:// URLs need pwh built with the `tls` feature \
             (cargo install pwh-cli --features tls)",
        ));
    }
    if lower.starts_with("http://") {
        return Ok(());
    }
    Err(Failure::new(format!(
        "`{url}` is not an http:// or https:// URL"
    )))
}

fn describe(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is the app running?)".to_owned()
        }
        ureq::Error::Timeout(_) => "no answer in time (see --timeout)".to_owned(),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_and_https_with_tls_are_accepted() {
        assert!(check_scheme("http://127.0.0.1:3000/pusher/webhooks").is_ok());
        assert!(check_scheme("HTTP://example.com/").is_ok());
        assert_eq!(
            check_scheme("https://example.com/").is_ok(),
            cfg!(feature = "tls")
        );
        let err = check_scheme("127.0.0.1:3000/hooks").unwrap_err();
        assert!(err.to_string().contains("not an http://"), "{err}");
    }

    #[test]
    fn the_path_of_a_url() {
        assert_eq!(
            path_of("http://127.0.0.1:3000/pusher/webhooks"),
            "/pusher/webhooks"
        );
        assert_eq!(path_of("http://example.com/hooks?x=1"), "/hooks");
        assert_eq!(path_of("http://example.com"), "/");
    }

    #[test]
    fn a_refused_connection_is_one_clear_error() {
        // Port 1 on the loopback: nothing listens there.
        let err = post("http://127.0.0.1:1/", &[], b"{}", Duration::from_secs(5)).unwrap_err();
        assert!(
            err.to_string().starts_with("POST http://127.0.0.1:1/: "),
            "{err}"
        );
    }
}
