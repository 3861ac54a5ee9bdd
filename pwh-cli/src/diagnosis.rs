//! What `pwh` can tell about what went wrong, and how it says it: why a signature does not
//! match (`verify`), and what an answer that no webhook endpoint gives means (`send`, `replay`).

use std::fmt;

/// One diagnosis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Finding {
    /// The signature starts with `sha256=`.
    Prefixed { matches_without: bool },
    /// The signature is not 64 hex digits.
    Malformed {
        length: usize,
        non_hex: Option<char>,
    },
    /// The signature has uppercase hex digits.
    Uppercase,
    /// No configured token has the key given.
    UnknownKey { key: String },
    /// The body ends with white space that was not signed.
    NewlineAdded,
    /// The signed body ended with a newline that this one lacks.
    NewlineRemoved,
    /// The signature is that of another form of the same JSON.
    Reserialised { form: &'static str },
    /// The signature is that of another configured token.
    OtherToken { key: String, origin: &'static str },
    /// None of the above.
    NoCauseFound,
}

impl Finding {
    /// Worth knowing, but not why a signature does not match.
    pub(crate) fn is_note(&self) -> bool {
        matches!(self, Self::Uppercase)
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prefixed { matches_without } => {
                write!(
                    f,
                    "the signature starts with `sha256=`: X-Pusher-Signature is the bare hex \
                     digest, and receivers refuse the prefix"
                )?;
                if *matches_without {
                    write!(f, " (without it, the signature matches)")?;
                }
                Ok(())
            }
            Self::Malformed { length, non_hex } => {
                write!(f, "the signature is not 64 hex digits: {length} characters")?;
                if let Some(c) = non_hex {
                    write!(f, ", with {c:?}, which is not a hex digit")?;
                }
                write!(f, " (an HMAC-SHA256 in hex is 64 digits 0-9a-f)")
            }
            Self::Uppercase => f.write_str(
                "the signature has uppercase hex digits: Pusher sends lowercase; pwh accepts \
                 either case, but a receiver that compares hex strings refuses it",
            ),
            Self::UnknownKey { key } => write!(
                f,
                "no configured token has the key `{key}`: a receiver answers 401 (unknown key)"
            ),
            Self::NewlineAdded => f.write_str(
                "trailing newline: the signature matches the body without its final newline: \
                 something (an editor, echo, a heredoc) added it after signing; send the exact \
                 bytes (printf, curl --data-binary)",
            ),
            Self::NewlineRemoved => f.write_str(
                "newline removed: the signature matches the body with a final newline: the \
                 sender signed it with one, and something (curl --data, a trim) removed it",
            ),
            Self::Reserialised { form } => write!(
                f,
                "re-serialised JSON: the signature matches the {form} form of the same JSON: \
                 the body was parsed and written again after signing; verify the raw bytes as \
                 received"
            ),
            Self::OtherToken { key, origin } => write!(
                f,
                "wrong key/secret pair: the signature matches the token with key `{key}` (from \
                 {origin}): the body was signed with another token than the key names"
            ),
            Self::NoCauseFound => f.write_str(
                "no known cause found: the body was changed in another way, or it was signed \
                 with a secret that is not configured (wrong secret)",
            ),
        }
    }
}

/// What a status likely means when the endpoint itself never answers it to a POST: the request
/// reached a server, but not a webhook endpoint at `path`. `None` for any other status.
pub(crate) fn misrouted(status: u16, path: &str) -> Option<String> {
    match status {
        404 => Some(format!(
            "404 Not Found: is the webhook endpoint mounted at this path ({path})? Check the \
             app's route against --url"
        )),
        405 => Some(format!(
            "405 Method Not Allowed: the path answers but not to POST ({path}): is the webhook \
             endpoint mounted there?"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_uppercase_is_a_note() {
        assert!(Finding::Uppercase.is_note());
        assert!(!Finding::NewlineAdded.is_note());
        assert!(!Finding::NoCauseFound.is_note());
    }

    #[test]
    fn a_404_or_a_405_names_the_path() {
        assert_eq!(
            misrouted(404, "/hooks").unwrap(),
            "404 Not Found: is the webhook endpoint mounted at this path (/hooks)? Check the \
             app's route against --url"
        );
        assert!(misrouted(405, "/state")
            .unwrap()
            .starts_with("405 Method Not Allowed: the path answers but not to POST (/state)"));
        for status in [200, 401, 413, 500] {
            assert_eq!(misrouted(status, "/"), None, "{status}");
        }
    }

    #[test]
    fn messages_say_what_happened_and_what_to_do() {
        let other = Finding::OtherToken {
            key: "k2".into(),
            origin: "PUSHER_EXTRA_TOKENS",
        };
        assert_eq!(
            other.to_string(),
            "wrong key/secret pair: the signature matches the token with key `k2` (from \
             PUSHER_EXTRA_TOKENS): the body was signed with another token than the key names"
        );
        let malformed = Finding::Malformed {
            length: 65,
            non_hex: Some('g'),
        };
        assert_eq!(
            malformed.to_string(),
            "the signature is not 64 hex digits: 65 characters, with 'g', which is not a hex \
             digit (an HMAC-SHA256 in hex is 64 digits 0-9a-f)"
        );
        assert!(Finding::NewlineAdded
            .to_string()
            .contains("curl --data-binary"));
        assert!(Finding::Prefixed {
            matches_without: true
        }
        .to_string()
        .ends_with("(without it, the signature matches)"));
    }
}
