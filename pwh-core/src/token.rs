//! A Pusher token: the public key that names it and the secret that signs with it.

use std::fmt;

/// One Pusher token: the `key` sent in `X-Pusher-Key` and the `secret` that signs webhooks.
///
/// An app may hold several tokens (key rotation, several apps feeding one endpoint); collect
/// them in a [`KeyRing`](crate::KeyRing). The secret never shows in `Debug` output.
///
/// ```
/// use pwh_core::Token;
///
/// let token = Token::new("278d425bdf160c739803", "7ad3773142a6692b25b8");
/// assert_eq!(token.key(), "278d425bdf160c739803");
/// assert!(!format!("{token:?}").contains("7ad377"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    key: String,
    secret: Secret,
}

impl Token {
    /// A token from its key and secret.
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            secret: Secret(secret.into()),
        }
    }

    /// The public key, as sent in `X-Pusher-Key`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The secret that signs this token's webhooks.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("key", &self.key)
            .field("secret", &self.secret)
            .finish()
    }
}

/// A token's secret. Its `Debug` and `Display` are redacted; read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact_the_secret() {
        let token = Token::new("k1", "super-secret-value");
        let shown = format!("{token:?} {} {:?}", token.secret(), token.secret());
        assert!(!shown.contains("super-secret-value"), "{shown}");
        assert!(shown.contains("k1"));
        assert_eq!(token.secret().expose(), "super-secret-value");
    }
}
