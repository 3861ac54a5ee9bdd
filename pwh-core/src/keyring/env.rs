//! Tokens from the environment: `PUSHER_APP_KEY`, `PUSHER_APP_SECRET`, `PUSHER_EXTRA_TOKENS`.

use super::KeyRing;
use crate::token::Token;

/// Environment variable holding the main token's key.
pub const ENV_KEY: &str = "PUSHER_APP_KEY";
/// Environment variable holding the main token's secret.
pub const ENV_SECRET: &str = "PUSHER_APP_SECRET";
/// Environment variable holding more tokens: `key1:secret1,key2:secret2`.
pub const ENV_EXTRA_TOKENS: &str = "PUSHER_EXTRA_TOKENS";

/// Why tokens could not be read from the environment.
///
/// Its `Debug` form is its message, so that `KeyRing::from_env()?` in a `main` returning
/// `Result<_, Box<dyn Error>>` prints what to do, not the variant's fields.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyRingError {
    /// One of `PUSHER_APP_KEY` / `PUSHER_APP_SECRET` is set without the other.
    #[error("{set} is set but {missing} is not: set both, or neither and use {ENV_EXTRA_TOKENS}")]
    Incomplete {
        /// The variable that is set.
        set: &'static str,
        /// The variable that is missing.
        missing: &'static str,
    },
    /// No token at all.
    #[error("no Pusher token configured: set {ENV_KEY} and {ENV_SECRET}")]
    Empty,
    /// A variable is set but is not valid Unicode.
    #[error("{0} is not valid Unicode")]
    NotUnicode(&'static str),
    /// An entry of `PUSHER_EXTRA_TOKENS` is not `key:secret`.
    #[error(
        "{ENV_EXTRA_TOKENS} entry #{position} is not `key:secret` \
         (expected `key1:secret1,key2:secret2`)"
    )]
    MalformedExtra {
        /// 1-based position of the entry in the list.
        position: usize,
    },
    /// The same key is configured twice.
    #[error("token key `{0}` is configured twice")]
    DuplicateKey(String),
}

impl std::fmt::Debug for KeyRingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl KeyRing {
    /// Reads tokens from the environment: `PUSHER_APP_KEY` with `PUSHER_APP_SECRET`, plus any
    /// in `PUSHER_EXTRA_TOKENS` (`key1:secret1,key2:secret2`).
    ///
    /// # Errors
    ///
    /// [`KeyRingError`] when a variable is malformed, only half of the main pair is set, a key
    /// is configured twice, or no token is configured at all.
    pub fn from_env() -> Result<Self, KeyRingError> {
        Self::from_lookup(|name| match std::env::var(name) {
            Ok(value) => Ok(Some(value)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(()),
        })
    }

    fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, ()>,
    ) -> Result<Self, KeyRingError> {
        let var = |name: &'static str| {
            lookup(name)
                .map_err(|()| KeyRingError::NotUnicode(name))
                .map(|v| v.filter(|v| !v.trim().is_empty()))
        };
        let mut tokens = Vec::new();
        match (var(ENV_KEY)?, var(ENV_SECRET)?) {
            (Some(key), Some(secret)) => tokens.push(Token::new(key.trim(), secret.trim())),
            (None, None) => {}
            (Some(_), None) => {
                return Err(KeyRingError::Incomplete {
                    set: ENV_KEY,
                    missing: ENV_SECRET,
                })
            }
            (None, Some(_)) => {
                return Err(KeyRingError::Incomplete {
                    set: ENV_SECRET,
                    missing: ENV_KEY,
                })
            }
        }
        if let Some(extra) = var(ENV_EXTRA_TOKENS)? {
            for (i, entry) in extra.split(',').map(str::trim).enumerate() {
                if entry.is_empty() {
                    continue;
                }
                let (key, secret) = entry
                    .split_once(':')
                    .map(|(k, s)| (k.trim(), s.trim()))
                    .filter(|(k, s)| !k.is_empty() && !s.is_empty())
                    .ok_or(KeyRingError::MalformedExtra { position: i + 1 })?;
                tokens.push(Token::new(key, secret));
            }
        }
        if tokens.is_empty() {
            return Err(KeyRingError::Empty);
        }
        let mut ring = Self {
            entries: Vec::with_capacity(tokens.len()),
        };
        for token in tokens {
            if ring.get(token.key()).is_some() {
                return Err(KeyRingError::DuplicateKey(token.key().to_owned()));
            }
            ring.push(token);
        }
        Ok(ring)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(
        vars: &'a [(&'static str, &'static str)],
    ) -> impl Fn(&'static str) -> Result<Option<String>, ()> + 'a {
        move |name| {
            Ok(vars
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned()))
        }
    }

    #[test]
    fn env_reads_main_and_extra_tokens() {
        let ring = KeyRing::from_lookup(lookup(&[
            (ENV_KEY, "main"),
            (ENV_SECRET, "s0"),
            (ENV_EXTRA_TOKENS, " k1:s1 , k2:s:2,"),
        ]))
        .unwrap();
        let keys: Vec<_> = ring
            .tokens()
            .map(|t| (t.key(), t.secret().expose()))
            .collect();
        assert_eq!(keys, [("main", "s0"), ("k1", "s1"), ("k2", "s:2")]);
    }

    #[test]
    fn errors_debug_as_their_message() {
        let e = KeyRingError::Incomplete {
            set: ENV_KEY,
            missing: ENV_SECRET,
        };
        assert_eq!(format!("{e:?}"), e.to_string());
        assert!(format!("{e:?}").starts_with("PUSHER_APP_KEY is set but PUSHER_APP_SECRET is not"));
    }

    #[test]
    fn env_errors_are_specific() {
        assert_eq!(
            KeyRing::from_lookup(lookup(&[])).unwrap_err(),
            KeyRingError::Empty
        );
        assert_eq!(
            KeyRing::from_lookup(lookup(&[(ENV_KEY, "k")])).unwrap_err(),
            KeyRingError::Incomplete {
                set: ENV_KEY,
                missing: ENV_SECRET
            }
        );
        assert_eq!(
            KeyRing::from_lookup(lookup(&[(ENV_EXTRA_TOKENS, "a:b,nocolon")])).unwrap_err(),
            KeyRingError::MalformedExtra { position: 2 }
        );
        assert_eq!(
            KeyRing::from_lookup(lookup(&[(ENV_EXTRA_TOKENS, ":secret")])).unwrap_err(),
            KeyRingError::MalformedExtra { position: 1 }
        );
        assert_eq!(
            KeyRing::from_lookup(lookup(&[
                (ENV_KEY, "a"),
                (ENV_SECRET, "s"),
                (ENV_EXTRA_TOKENS, "a:t")
            ]))
            .unwrap_err(),
            KeyRingError::DuplicateKey("a".into())
        );
        assert_eq!(
            KeyRing::from_lookup(|_| Err(())).unwrap_err(),
            KeyRingError::NotUnicode(ENV_KEY)
        );
        // The message says what to do and never shows a secret.
        let msg = KeyRing::from_lookup(lookup(&[(ENV_EXTRA_TOKENS, "k:verysecret,bad")]))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("key1:secret1"), "{msg}");
        assert!(!msg.contains("verysecret"), "{msg}");
    }
}
