//! Which token signs, and which tokens a signature is checked against: `--key`/`--secret`, or
//! `PUSHER_APP_KEY`/`PUSHER_APP_SECRET` and `PUSHER_EXTRA_TOKENS` through
//! [`KeyRing::from_env`].

use pwh_core::{KeyRing, KeyRingError, Token, ENV_EXTRA_TOKENS, ENV_KEY};

use crate::cli::Credentials;
use crate::error::Failure;

/// A token a signature may have been made with, and where it was configured.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub(crate) token: Token,
    pub(crate) origin: &'static str,
}

/// The token `send`, `sign` and `replay` sign with.
pub(crate) fn signing_token(credentials: &Credentials) -> Result<Token, Failure> {
    signing_token_from(credentials, KeyRing::from_env)
}

/// The tokens `verify` checks against: `--key`/`--secret` first, then the environment's.
pub(crate) fn candidates(credentials: &Credentials) -> Result<Vec<Candidate>, Failure> {
    candidates_from(credentials, KeyRing::from_env)
}

fn signing_token_from(
    credentials: &Credentials,
    env: impl FnOnce() -> Result<KeyRing, KeyRingError>,
) -> Result<Token, Failure> {
    match (&credentials.key, &credentials.secret) {
        (Some(key), Some(secret)) => Ok(Token::new(key.trim(), secret.0.as_str())),
        (Some(key), None) => env()?.get(key.trim()).cloned().ok_or_else(|| {
            Failure::new(format!(
                "no secret for key `{}`: pass --secret, or set it in {ENV_KEY}/PUSHER_APP_SECRET \
                 or {ENV_EXTRA_TOKENS}",
                key.trim()
            ))
        }),
        (None, _) => env()?
            .tokens()
            .next()
            .cloned()
            .ok_or_else(|| Failure::new(KeyRingError::Empty.to_string())),
    }
}

fn candidates_from(
    credentials: &Credentials,
    env: impl FnOnce() -> Result<KeyRing, KeyRingError>,
) -> Result<Vec<Candidate>, Failure> {
    let mut candidates = Vec::new();
    if let (Some(key), Some(secret)) = (&credentials.key, &credentials.secret) {
        candidates.push(Candidate {
            token: Token::new(key.trim(), secret.0.as_str()),
            origin: "--key/--secret",
        });
    }
    let ring = match env() {
        Ok(ring) => ring,
        // The command line's token is enough on its own.
        Err(KeyRingError::Empty) if !candidates.is_empty() => return Ok(candidates),
        Err(e) => return Err(e.into()),
    };
    let main_key = std::env::var(ENV_KEY).ok();
    for token in ring.tokens() {
        let origin = if main_key.as_deref().map(str::trim) == Some(token.key()) {
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

    fn env() -> Result<KeyRing, KeyRingError> {
        Ok(KeyRing::new([
            Token::new("main", "s0"),
            Token::new("extra", "s1"),
        ]))
    }

    #[test]
    fn the_command_line_wins_then_the_key_picks_from_the_environment() {
        let token =
            signing_token_from(&creds(Some("k"), Some("s")), || Err(KeyRingError::Empty)).unwrap();
        assert_eq!((token.key(), token.secret().expose()), ("k", "s"));
        let token = signing_token_from(&creds(Some("extra"), None), env).unwrap();
        assert_eq!(token.secret().expose(), "s1");
        let token = signing_token_from(&creds(None, None), env).unwrap();
        assert_eq!(token.key(), "main");
    }

    #[test]
    fn missing_credentials_say_what_to_set() {
        let err = signing_token_from(&creds(None, None), || Err(KeyRingError::Empty)).unwrap_err();
        assert!(err.to_string().contains("PUSHER_APP_KEY"), "{err}");
        let err = signing_token_from(&creds(Some("nope"), None), env).unwrap_err();
        assert!(
            err.to_string().contains("no secret for key `nope`"),
            "{err}"
        );
    }

    #[test]
    fn verify_checks_the_command_line_token_then_the_environment() {
        let all = candidates_from(&creds(Some("k"), Some("s")), env).unwrap();
        let keys: Vec<_> = all.iter().map(|c| c.token.key()).collect();
        assert_eq!(keys, ["k", "main", "extra"]);
        assert_eq!(all[0].origin, "--key/--secret");
        let alone = candidates_from(&creds(Some("k"), Some("s")), || Err(KeyRingError::Empty));
        assert_eq!(alone.unwrap().len(), 1);
        assert!(candidates_from(&creds(None, None), || Err(KeyRingError::Empty)).is_err());
    }
}
