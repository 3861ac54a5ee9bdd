//! `pwh verify`: does a body match a signature under the configured tokens, and if not, why
//! not. Every MAC comparison goes through [`sign::matches`] (pwh-core's constant-time check).

use std::process::ExitCode;

use crate::cli::VerifyArgs;
use crate::credentials::{self, Candidate};
use crate::diagnosis::Finding;
use crate::error::Failure;
use crate::forms;
use crate::input::read_body;
use crate::sign;

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Report {
    /// The key of the token the body matches under, if it does.
    pub(crate) matched: Option<String>,
    /// What is wrong (on a mismatch) or worth knowing (on a match).
    pub(crate) findings: Vec<Finding>,
}

/// Runs `pwh verify`.
pub(crate) fn run(args: &VerifyArgs) -> Result<ExitCode, Failure> {
    let candidates = credentials::candidates(&args.credentials)?;
    let body = read_body(&args.file)?;
    let key = args.credentials.key.as_deref().map(str::trim);
    let report = check(&candidates, key, &args.signature, &body);
    match (&report.matched, key) {
        (Some(key), _) => println!("match: the signature matches the body under key `{key}`"),
        (None, Some(key)) => {
            println!("mismatch: the signature does not match the body under key `{key}`");
        }
        (None, None) => {
            let keys: Vec<&str> = candidates.iter().map(|c| c.token.key()).collect();
            println!(
                "mismatch: the signature does not match the body under any configured token \
                 (keys: {})",
                keys.join(", ")
            );
        }
    }
    for finding in &report.findings {
        let label = if report.matched.is_some() || finding.is_note() {
            "note"
        } else {
            "likely cause"
        };
        println!("{label}: {finding}");
    }
    Ok(if report.matched.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Checks `signature` over `body` under the candidates with `key` (all of them without a key),
/// and on a mismatch looks for the usual causes.
pub(crate) fn check(
    candidates: &[Candidate],
    key: Option<&str>,
    signature: &str,
    body: &[u8],
) -> Report {
    let mut findings = Vec::new();
    let mut signature = signature.trim();
    let prefixed = match signature.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("sha256=") => {
            signature = signature.get(7..).unwrap_or_default();
            true
        }
        _ => false,
    };
    if let Err(malformed) = check_form(signature) {
        findings.push(malformed);
        return Report {
            matched: None,
            findings,
        };
    }
    if signature.bytes().any(|c| c.is_ascii_uppercase()) {
        findings.push(Finding::Uppercase);
    }
    let (in_scope, others): (Vec<&Candidate>, Vec<&Candidate>) = candidates
        .iter()
        .partition(|c| key.is_none_or(|key| c.token.key() == key));
    if let (Some(key), true) = (key, in_scope.is_empty()) {
        findings.push(Finding::UnknownKey {
            key: key.to_owned(),
        });
    }
    let signed_by = |body: &[u8]| -> Option<&Candidate> {
        in_scope
            .iter()
            .copied()
            .find(|c| sign::matches(&c.token, body, signature))
    };
    if let Some(candidate) = signed_by(body) {
        if prefixed {
            findings.insert(
                0,
                Finding::Prefixed {
                    matches_without: true,
                },
            );
            return Report {
                matched: None,
                findings,
            };
        }
        return Report {
            matched: Some(candidate.token.key().to_owned()),
            findings,
        };
    }
    if prefixed {
        findings.insert(
            0,
            Finding::Prefixed {
                matches_without: false,
            },
        );
    }
    let before = findings.len();
    if body.ends_with(b"\n") {
        let without_one = body.strip_suffix(b"\n").unwrap_or(body);
        let trimmed = body.trim_ascii_end();
        if signed_by(without_one).is_some() || signed_by(trimmed).is_some() {
            findings.push(Finding::NewlineAdded);
        }
    } else if signed_by(&[body, b"\n"].concat()).is_some() {
        findings.push(Finding::NewlineRemoved);
    }
    for (form, bytes) in forms::reserialised(body) {
        // The body without its trailing white space is the newline's diagnosis.
        if bytes != body.trim_ascii_end() && signed_by(&bytes).is_some() {
            findings.push(Finding::Reserialised { form });
        }
    }
    for other in others {
        if sign::matches(&other.token, body, signature) {
            findings.push(Finding::OtherToken {
                key: other.token.key().to_owned(),
                origin: other.origin,
            });
        }
    }
    if findings.len() == before {
        findings.push(Finding::NoCauseFound);
    }
    Report {
        matched: None,
        findings,
    }
}

/// Why a signature is not 64 hex digits, if it is not.
fn check_form(signature: &str) -> Result<(), Finding> {
    let non_hex = signature.chars().find(|c| !c.is_ascii_hexdigit());
    if signature.len() != 64 || non_hex.is_some() {
        return Err(Finding::Malformed {
            length: signature.chars().count(),
            non_hex,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use pwh_core::Token;

    use super::*;

    const BODY: &[u8] = br#"{"time_ms":1,"events":[{"name":"channel_occupied","channel":"news"}]}"#;

    fn candidates() -> Vec<Candidate> {
        vec![
            Candidate {
                token: Token::new("main", "right-secret"),
                origin: "PUSHER_APP_KEY/PUSHER_APP_SECRET",
            },
            Candidate {
                token: Token::new("old", "old-secret"),
                origin: "PUSHER_EXTRA_TOKENS",
            },
        ]
    }

    fn sig(secret: &str, body: &[u8]) -> String {
        sign::signature(&Token::new("any", secret), body)
    }

    #[test]
    fn a_matching_signature_names_its_key() {
        let report = check(&candidates(), None, &sig("old-secret", BODY), BODY);
        assert_eq!(report.matched.as_deref(), Some("old"));
        assert!(report.findings.is_empty());
        let report = check(
            &candidates(),
            Some("main"),
            &sig("right-secret", BODY),
            BODY,
        );
        assert_eq!(report.matched.as_deref(), Some("main"));
    }

    #[test]
    fn a_trailing_newline_added_after_signing() {
        let with_newline = [BODY, b"\n"].concat();
        let report = check(
            &candidates(),
            Some("main"),
            &sig("right-secret", BODY),
            &with_newline,
        );
        assert_eq!(report.matched, None);
        assert_eq!(report.findings, [Finding::NewlineAdded]);
        assert!(report.findings[0]
            .to_string()
            .starts_with("trailing newline"));
    }

    #[test]
    fn a_newline_removed_after_signing() {
        let with_newline = [BODY, b"\n"].concat();
        let report = check(
            &candidates(),
            Some("main"),
            &sig("right-secret", &with_newline),
            BODY,
        );
        assert_eq!(report.findings, [Finding::NewlineRemoved]);
    }

    #[test]
    fn re_serialised_json() {
        // Signed compact, then pretty-printed (as `jq .` does) on the way.
        let pretty = "{\n  \"time_ms\": 1,\n  \"events\": [\n    {\n      \"name\": \
                      \"channel_occupied\",\n      \"channel\": \"news\"\n    }\n  ]\n}";
        let report = check(
            &candidates(),
            Some("main"),
            &sig("right-secret", BODY),
            pretty.as_bytes(),
        );
        assert_eq!(
            report.findings,
            [Finding::Reserialised {
                form: "compact (white space removed, key order kept)"
            }]
        );
        assert!(report.findings[0]
            .to_string()
            .contains("re-serialised JSON"));
        // Signed as serde_json writes a parsed value (keys sorted), sent in another order.
        let sorted = serde_json::from_slice::<serde_json::Value>(BODY)
            .unwrap()
            .to_string();
        let report = check(
            &candidates(),
            None,
            &sig("right-secret", sorted.as_bytes()),
            BODY,
        );
        assert_eq!(
            report.findings,
            [Finding::Reserialised {
                form: "re-serialised with its keys sorted"
            }]
        );
    }

    #[test]
    fn signed_with_another_configured_token() {
        let report = check(&candidates(), Some("main"), &sig("old-secret", BODY), BODY);
        assert_eq!(
            report.findings,
            [Finding::OtherToken {
                key: "old".into(),
                origin: "PUSHER_EXTRA_TOKENS"
            }]
        );
        assert!(report.findings[0]
            .to_string()
            .contains("wrong key/secret pair"));
    }

    #[test]
    fn a_wrong_secret_that_is_nowhere_configured() {
        let report = check(&candidates(), Some("main"), &sig("wrong", BODY), BODY);
        assert_eq!(report.findings, [Finding::NoCauseFound]);
        assert!(report.findings[0].to_string().contains("wrong secret"));
    }

    #[test]
    fn wrong_length_and_non_hex_signatures() {
        let good = sig("right-secret", BODY);
        let report = check(&candidates(), None, &good[..63], BODY);
        assert_eq!(
            report.findings,
            [Finding::Malformed {
                length: 63,
                non_hex: None
            }]
        );
        assert!(report.findings[0]
            .to_string()
            .contains("not 64 hex digits: 63"));
        let report = check(&candidates(), None, &format!("{}z", &good[..63]), BODY);
        assert_eq!(
            report.findings,
            [Finding::Malformed {
                length: 64,
                non_hex: Some('z')
            }]
        );
        // Multi-byte characters are counted as characters, and never panic.
        let report = check(&candidates(), None, &"é".repeat(32), BODY);
        assert!(matches!(
            report.findings[..],
            [Finding::Malformed { length: 32, .. }]
        ));
    }

    #[test]
    fn uppercase_hex_matches_with_a_note() {
        let upper = sig("right-secret", BODY).to_uppercase();
        let report = check(&candidates(), None, &upper, BODY);
        assert_eq!(report.matched.as_deref(), Some("main"));
        assert_eq!(report.findings, [Finding::Uppercase]);
    }

    #[test]
    fn a_sha256_prefix_is_refused_and_explained() {
        let prefixed = format!("sha256={}", sig("right-secret", BODY));
        let report = check(&candidates(), None, &prefixed, BODY);
        assert_eq!(report.matched, None);
        assert_eq!(
            report.findings,
            [Finding::Prefixed {
                matches_without: true
            }]
        );
    }

    #[test]
    fn an_unknown_key_still_finds_the_token_that_signed() {
        let report = check(&candidates(), Some("nope"), &sig("old-secret", BODY), BODY);
        assert_eq!(report.matched, None);
        assert_eq!(
            report.findings[0],
            Finding::UnknownKey { key: "nope".into() }
        );
        assert!(matches!(report.findings[1], Finding::OtherToken { .. }));
    }
}
