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
    app: String,
}

impl Token {
    /// A token from its key and secret.
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            secret: Secret(secret.into()),
            app: String::new(),
        }
    }

    /// Marks the token as one of a separate app named `app`.
    ///
    /// A body is one delivery whatever token of its app signed it: the tokens of one key ring
    /// are one app by default (key rotation: the same body signed by the old and the new
    /// token is handled once). When one endpoint serves several Pusher apps, name each app's
    /// tokens, so that identical bodies from two apps (a `channel_vacated` of the same channel
    /// at the same millisecond) are two deliveries.
    ///
    /// ```
    /// use pwh_core::Token;
    ///
    /// let token = Token::new("key-b", "secret-b").in_app("app-b");
    /// assert_eq!(token.app(), "app-b");
    /// assert_eq!(Token::new("key-a", "secret-a").app(), "");
    /// ```
    #[must_use]
    pub fn in_app(mut self, app: impl Into<String>) -> Self {
        self.app = app.into();
        self
    }

    /// The app the token belongs to: `""` (the default) unless [`in_app`](Self::in_app) named
    /// one.
    pub fn app(&self) -> &str {
        &self.app
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
            .field("app", &self.app)
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
