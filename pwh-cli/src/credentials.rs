//! Which token signs, and which tokens a signature is checked against. The key and the secret
//! each come from their flag or, without it, from their variable: `--key` or `PUSHER_APP_KEY`,
//! `--secret` or `PUSHER_APP_SECRET`. A key without a secret also finds its token in
//! `PUSHER_EXTRA_TOKENS`, read with the main pair by [`KeyRing::from_env`].

use std::env::VarError;

use pwh_core::keyring::{KeyRingError, ENV_EXTRA_TOKENS, ENV_KEY, ENV_SECRET};
use pwh_core::{KeyRing, Token};

use crate::cli::Credentials;
use crate::error::Failure;

/// A token a signature may have been made with, and where it was configured.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub(crate) token: Token,
    pub(crate) origin: &'static str,
}

/// The credentials of the environment: its two main variables, and the key ring of all its
/// tokens. (No `Debug`: it holds a secret.)
struct Env {
    key: Option<String>,
    secret: Option<String>,
    ring: Result<KeyRing, KeyRingError>,
}

impl Env {
    fn read() -> Result<Self, Failure> {
        Ok(Self {
            key: var(ENV_KEY)?,
            secret: var(ENV_SECRET)?,
            ring: KeyRing::from_env(),
        })
    }

    /// The environment's tokens; `None` when it has none, or only half of the main pair (which
    /// a flag completes).
    fn ring(&self) -> Result<Option<&KeyRing>, Failure> {
        match &self.ring {
            Ok(ring) => Ok(Some(ring)),
            Err(KeyRingError::Empty | KeyRingError::Incomplete { .. }) => Ok(None),
            Err(e) => Err(e.clone().into()),
        }
    }
}

/// A variable's trimmed value; unset when blank, as [`KeyRing::from_env`] reads it.
fn var(name: &'static str) -> Result<Option<String>, Failure> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value.trim().to_owned()).filter(|v| !v.is_empty())),
        Err(VarError::NotPresent) => Ok(None),
        Err(VarError::NotUnicode(_)) => Err(KeyRingError::NotUnicode(name).into()),
    }
}

/// The token `send`, `sign` and `replay` sign with.
pub(crate) fn signing_token(credentials: &Credentials) -> Result<Token, Failure> {
    signing_token_from(credentials, &Env::read()?)
}

/// The tokens `verify` checks against: the command line's first, then the environment's.
pub(crate) fn candidates(credentials: &Credentials) -> Result<Vec<Candidate>, Failure> {
    candidates_from(credentials, &Env::read()?)
}

/// A secret, from `origin`, without a key.
fn no_key(origin: &str) -> Failure {
    Failure::new(format!("{origin} needs a key: pass --key or set {ENV_KEY}"))
}

fn signing_token_from(credentials: &Credentials, env: &Env) -> Result<Token, Failure> {
    let key = credentials.key.as_deref().or(env.key.as_deref());
    match (key, &credentials.secret) {
        (Some(key), Some(secret)) => Ok(Token::new(key, secret.0.as_str())),
        (None, Some(_)) => Err(no_key("--secret")),
        (Some(key), None) => secret_of(key, env),
        (None, None) if env.secret.is_some() => Err(no_key(ENV_SECRET)),
        (None, None) => env
            .ring()?
            .and_then(|ring| ring.tokens().next())
            .cloned()
            .ok_or_else(|| KeyRingError::Empty.into()),
    }
}

/// The token of `key` (given without `--secret`): from the environment's tokens, else with
/// `PUSHER_APP_SECRET` unless that is the secret of another `PUSHER_APP_KEY`.
fn secret_of(key: &str, env: &Env) -> Result<Token, Failure> {
    if let Some(token) = env.ring()?.and_then(|ring| ring.get(key)) {
        return Ok(token.clone());
    }
    let main_key = env.key.as_deref();
    match &env.secret {
        Some(secret) if main_key.is_none_or(|main| main == key) => Ok(Token::new(key, secret)),
        _ => {
            let other = match main_key {
                Some(main) if env.secret.is_some() => {
                    format!(" ({ENV_SECRET} is the secret of {ENV_KEY} `{main}`)")
                }
                _ => String::new(),
            };
            Err(Failure::new(format!(
                "no secret for key `{key}`: pass --secret or set {ENV_SECRET}{other}, or add \
                 `{key}:SECRET` to {ENV_EXTRA_TOKENS}"
            )))
        }
    }
}

fn candidates_from(credentials: &Credentials, env: &Env) -> Result<Vec<Candidate>, Failure> {
    let mut candidates = Vec::new();
    let mut push = |key: &str, secret: &str, origin| {
        candidates.push(Candidate {
            token: Token::new(key, secret),
            origin,
        });
    };
    match (credentials.key.as_deref(), &credentials.secret) {
        (Some(key), Some(secret)) => push(key, &secret.0, "--key/--secret"),
        (None, Some(secret)) => {
            let key = env.key.as_deref().ok_or_else(|| no_key("--secret"))?;
            push(key, &secret.0, "PUSHER_APP_KEY/--secret");
        }
        // PUSHER_APP_SECRET without PUSHER_APP_KEY goes with --key.
        (Some(key), None) => {
            if let (None, Some(secret)) = (&env.key, &env.secret) {
                push(key, secret, "--key/PUSHER_APP_SECRET");
            }
        }
        (None, None) => {}
    }
    let ring = match &env.ring {
        Ok(ring) => ring,
        // The command line's token is enough on its own.
        Err(KeyRingError::Empty | KeyRingError::Incomplete { .. }) if !candidates.is_empty() => {
            return Ok(candidates)
        }
        Err(e) => return Err(e.clone().into()),
    };
    for token in ring.tokens() {
        let origin = if env.key.as_deref() == Some(token.key()) {
            "PUSHER_APP_KEY/PUSHER_APP_SECRET"
        } else {
            "PUSHER_EXTRA_TOKENS"
        };
        candidates.push(Candidate {
            token: token.clone(),
            origin,
        });
    }
    Ok(candidates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::SecretArg;

    fn creds(key: Option<&str>, secret: Option<&str>) -> Credentials {
        Credentials {
            key: key.map(Into::into),
            secret: secret.map(|s| SecretArg(s.into())),
        }
    }

    /// PUSHER_APP_KEY=main PUSHER_APP_SECRET=s0 PUSHER_EXTRA_TOKENS=extra:s1
    fn full() -> Env {
        Env {
            key: Some("main".into()),
            secret: Some("s0".into()),
            ring: Ok(KeyRing::new([
                Token::new("main", "s0"),
                Token::new("extra", "s1"),
            ])),
        }
    }

    /// Only these main variables, as `KeyRing::from_env` reads them.
    fn only(key: Option<&str>, secret: Option<&str>) -> Env {
        let ring = match (key, secret) {
            (None, None) => Err(KeyRingError::Empty),
            (Some(_), None) => Err(KeyRingError::Incomplete {
                set: ENV_KEY,
                missing: ENV_SECRET,
            }),
            (None, Some(_)) => Err(KeyRingError::Incomplete {
                set: ENV_SECRET,
                missing: ENV_KEY,
            }),
            (Some(k), Some(s)) => Ok(KeyRing::new([Token::new(k, s)])),
        };
        Env {
            key: key.map(Into::into),
            secret: secret.map(Into::into),
            ring,
        }
    }

    fn signing(key: Option<&str>, secret: Option<&str>, env: &Env) -> Result<Token, Failure> {
        signing_token_from(&creds(key, secret), env)
    }

    #[test]
    fn the_command_line_wins_then_the_key_picks_from_the_environment() {
        let token = signing(Some("k"), Some("s"), &only(None, None)).unwrap();
        assert_eq!((token.key(), token.secret().expose()), ("k", "s"));
        let token = signing(Some("k"), Some("s"), &full()).unwrap();
        assert_eq!((token.key(), token.secret().expose()), ("k", "s"));
        let token = signing(Some("extra"), None, &full()).unwrap();
        assert_eq!(token.secret().expose(), "s1");
        let token = signing(None, None, &full()).unwrap();
        assert_eq!((token.key(), token.secret().expose()), ("main", "s0"));
    }

    #[test]
    fn the_key_and_the_secret_each_come_from_their_flag_or_their_variable() {
        let token = signing(None, Some("s"), &only(Some("env-key"), None)).unwrap();
        assert_eq!((token.key(), token.secret().expose()), ("env-key", "s"));
        // The flag wins over its variable, and only over its own.
        let token = signing(None, Some("s"), &full()).unwrap();
        assert_eq!((token.key(), token.secret().expose()), ("main", "s"));
        let token = signing(Some("k"), None, &only(None, Some("env-secret"))).unwrap();
        assert_eq!((token.key(), token.secret().expose()), ("k", "env-secret"));
    }

    #[test]
    fn missing_credentials_name_the_flag_and_the_variable() {
        let err = signing(None, None, &only(None, None)).unwrap_err();
        assert!(err.to_string().contains("PUSHER_APP_KEY"), "{err}");
        assert!(err.to_string().contains("--key"), "{err}");
        let err = signing(None, Some("s"), &only(None, None)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--secret needs a key: pass --key or set PUSHER_APP_KEY"
        );
        let err = signing(None, None, &only(None, Some("s"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "PUSHER_APP_SECRET needs a key: pass --key or set PUSHER_APP_KEY"
        );
        let err = signing(None, None, &only(Some("k"), None)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("no secret for key `k`: pass --secret or set PUSHER_APP_SECRET"),
            "{err}"
        );
        // PUSHER_APP_SECRET is PUSHER_APP_KEY's: another key does not take it.
        let err = signing(Some("nope"), None, &full()).unwrap_err();
        assert!(
            err.to_string().contains("no secret for key `nope`")
                && err
                    .to_string()
                    .contains("the secret of PUSHER_APP_KEY `main`"),
            "{err}"
        );
        assert!(!err.to_string().contains("s0"), "{err}");
    }

    #[test]
    fn verify_checks_the_command_line_token_then_the_environment() {
        let all = candidates_from(&creds(Some("k"), Some("s")), &full()).unwrap();
        let keys: Vec<_> = all.iter().map(|c| c.token.key()).collect();
        assert_eq!(keys, ["k", "main", "extra"]);
        assert_eq!(all[0].origin, "--key/--secret");
        assert_eq!(all[1].origin, "PUSHER_APP_KEY/PUSHER_APP_SECRET");
        let alone = candidates_from(&creds(Some("k"), Some("s")), &only(None, None));
        assert_eq!(alone.unwrap().len(), 1);
        assert!(candidates_from(&creds(None, None), &only(None, None)).is_err());
    }

    #[test]
    fn verify_completes_half_a_pair_with_a_flag() {
        let half = candidates_from(&creds(None, Some("s")), &only(Some("env-key"), None)).unwrap();
        assert_eq!(half.len(), 1);
        assert_eq!(
            (half[0].token.key(), half[0].origin),
            ("env-key", "PUSHER_APP_KEY/--secret")
        );
        let half = candidates_from(&creds(Some("k"), None), &only(None, Some("e"))).unwrap();
        assert_eq!(half[0].token.secret().expose(), "e");
        let err = candidates_from(&creds(None, Some("s")), &only(None, None)).unwrap_err();
        assert!(
            err.to_string().contains("--key or set PUSHER_APP_KEY"),
            "{err}"
        );
    }
}
