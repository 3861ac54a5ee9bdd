//! The tokens an endpoint accepts, and the signature check that picks one by its key.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::rejection::Rejection;
use crate::token::Token;

type HmacSha256 = Hmac<Sha256>;

/// Environment variable holding the main token's key.
pub const ENV_KEY: &str = "PUSHER_APP_KEY";
/// Environment variable holding the main token's secret.
pub const ENV_SECRET: &str = "PUSHER_APP_SECRET";
/// Environment variable holding more tokens: `key1:secret1,key2:secret2`.
pub const ENV_EXTRA_TOKENS: &str = "PUSHER_EXTRA_TOKENS";

/// The set of tokens whose webhooks an endpoint accepts.
///
/// Pusher names the signing token in `X-Pusher-Key`; the key ring looks its secret up and checks
/// `X-Pusher-Signature`, an HMAC-SHA256 of the raw body, in constant time.
///
/// ```
/// use pwh_core::{KeyRing, Token};
///
/// let keys = KeyRing::new([
///     Token::new("278d425bdf160c739803", "7ad3773142a6692b25b8"),
///     Token::new("5a1f0c9e7b3d2a4c6e8f", "rotated-secret-0f3b9c71d2"),
/// ]);
/// let body = br#"{"time_ms":1,"events":[]}"#;
/// let signature = keys.sign("5a1f0c9e7b3d2a4c6e8f", body).unwrap();
/// let verified = keys.verify(Some("5a1f0c9e7b3d2a4c6e8f"), Some(&signature), body).unwrap();
/// assert_eq!(verified.token().key(), "5a1f0c9e7b3d2a4c6e8f");
/// ```
#[derive(Clone, Debug)]
pub struct KeyRing {
    entries: Vec<Entry>,
}

#[derive(Clone)]
struct Entry {
    token: Token,
    /// The HMAC state keyed with the secret, cloned for each check.
    mac: HmacSha256,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.token.fmt(f)
    }
}

/// A webhook whose signature matched one of the key ring's tokens.
#[derive(Clone, Copy, Debug)]
pub struct Verified<'k> {
    token: &'k Token,
    signature: [u8; 32],
}

impl<'k> Verified<'k> {
    /// The token that signed the webhook.
    pub fn token(&self) -> &'k Token {
        self.token
    }

    /// The decoded signature: it identifies the exact body, so it names a delivery.
    pub fn signature(&self) -> &[u8; 32] {
        &self.signature
    }
}

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
    /// A key ring holding `tokens`. A key given twice keeps its first secret.
    pub fn new(tokens: impl IntoIterator<Item = Token>) -> Self {
        let mut ring = Self {
            entries: Vec::new(),
        };
        for token in tokens {
            if ring.get(token.key()).is_none() {
                ring.push(token);
            }
        }
        ring
    }

    fn push(&mut self, token: Token) {
        // HMAC accepts keys of any length, so this cannot fail.
        if let Ok(mac) = HmacSha256::new_from_slice(token.secret().expose().as_bytes()) {
            self.entries.push(Entry { token, mac });
        }
    }

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

    /// The token with this key, if any.
    pub fn get(&self, key: &str) -> Option<&Token> {
        self.entry(key).map(|e| &e.token)
    }

    fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.token.key() == key)
    }

    /// The tokens, in the order they were added.
    pub fn tokens(&self) -> impl Iterator<Item = &Token> {
        self.entries.iter().map(|e| &e.token)
    }

    /// Checks `signature` (hex, either case, surrounding white space ignored) over the raw
    /// `body` with the secret of the token named by `key`. The MAC is compared in constant time.
    ///
    /// # Errors
    ///
    /// A [`Rejection`] (all answered with 401) naming what is wrong: no key, unknown key, no
    /// signature, a signature that is not 64 hex digits, or one that does not match.
    pub fn verify(
        &self,
        key: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<Verified<'_>, Rejection> {
        let key = key.map(str::trim).filter(|k| !k.is_empty());
        let entry = self
            .entry(key.ok_or(Rejection::MissingKey)?)
            .ok_or(Rejection::UnknownKey)?;
        let signature = signature
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(Rejection::MissingSignature)?;
        if signature.len() != 64 {
            return Err(Rejection::MalformedSignature {
                reason: "not 64 hex digits",
            });
        }
        let decoded = decode_hex(signature.as_bytes()).ok_or(Rejection::MalformedSignature {
            reason: "not hexadecimal",
        })?;
        let mut mac = entry.mac.clone();
        mac.update(body);
        mac.verify_slice(&decoded)
            .map_err(|_| Rejection::SignatureMismatch)?;
        Ok(Verified {
            token: &entry.token,
            signature: decoded,
        })
    }

    /// Signs `body` as the token named `key` would: lowercase hex HMAC-SHA256.
    ///
    /// Useful to test an endpoint or to forward webhooks; `None` when no token has that key.
    pub fn sign(&self, key: &str, body: &[u8]) -> Option<String> {
        let mut mac = self.entry(key)?.mac.clone();
        mac.update(body);
        Some(hex::encode(mac.finalize().into_bytes()))
    }
}

/// Decodes a signature's 64 hex digits (either case) into its 32 bytes; `None` if any other
/// character is present. (The digits are the sender's, not a secret: no need for constant time.
/// The comparison with the expected MAC is `verify_slice`'s.)
fn decode_hex(digits: &[u8]) -> Option<[u8; 32]> {
    /// A digit's value, or 16 and more for anything else.
    const fn value(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => 0xf0,
        }
    }
    let mut out = [0u8; 32];
    let mut invalid = 0u8;
    let pairs = digits
        .iter()
        .step_by(2)
        .zip(digits.iter().skip(1).step_by(2));
    for (byte, (&high, &low)) in out.iter_mut().zip(pairs) {
        let (high, low) = (value(high), value(low));
        invalid |= high | low;
        *byte = (high << 4) | (low & 0x0f);
    }
    (digits.len() == 64 && invalid < 16).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] =
        br#"{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"test_channel"}]}"#;
    const SIG: &str = "709fdb84c03664445f7698120b0edf0acc1ab1c8c6e93a0368c61841d6b998aa";

    #[test]
    fn hex_decoding_agrees_with_the_hex_crate() {
        let bytes: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(37) ^ 0xa5).collect();
        let lower = hex::encode(&bytes);
        let upper = lower.to_uppercase();
        let mixed: String = lower
            .chars()
            .zip(upper.chars())
            .enumerate()
            .map(|(i, (l, u))| if i % 3 == 0 { u } else { l })
            .collect();
        for text in [&lower, &upper, &mixed, &SIG.to_owned()] {
            let expected: Vec<u8> = hex::decode(text).unwrap();
            assert_eq!(
                decode_hex(text.as_bytes()).unwrap().to_vec(),
                expected,
                "{text}"
            );
        }
        // Any one character that is not a hex digit, anywhere, fails.
        for position in 0..64 {
            for bad in [b'g', b'G', b'/', b':', b'@', b'`', b' ', 0, 0xff] {
                let mut text = lower.clone().into_bytes();
                text[position] = bad;
                assert_eq!(decode_hex(&text), None, "{bad} at {position}");
            }
        }
        assert_eq!(decode_hex(&lower.as_bytes()[..62]), None);
    }

    fn ring() -> KeyRing {
        KeyRing::new([
            Token::new("278d425bdf160c739803", "7ad3773142a6692b25b8"),
            Token::new("5a1f0c9e7b3d2a4c6e8f", "rotated-secret-0f3b9c71d2"),
        ])
    }

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
    fn known_signature_verifies_with_the_first_token() {
        let ring = ring();
        let v = ring
            .verify(Some("278d425bdf160c739803"), Some(SIG), BODY)
            .unwrap();
        assert_eq!(v.token().key(), "278d425bdf160c739803");
        assert_eq!(hex::encode(v.signature()), SIG);
    }

    #[test]
    fn key_selects_the_secret_among_several_tokens() {
        let ring = ring();
        let second = ring.sign("5a1f0c9e7b3d2a4c6e8f", BODY).unwrap();
        assert_ne!(second, SIG);
        let v = ring
            .verify(Some("5a1f0c9e7b3d2a4c6e8f"), Some(&second), BODY)
            .unwrap();
        assert_eq!(v.token().key(), "5a1f0c9e7b3d2a4c6e8f");
        // Each signature only verifies under the key that made it.
        assert_eq!(
            ring.verify(Some("278d425bdf160c739803"), Some(&second), BODY)
                .unwrap_err(),
            Rejection::SignatureMismatch
        );
        assert_eq!(
            ring.verify(Some("5a1f0c9e7b3d2a4c6e8f"), Some(SIG), BODY)
                .unwrap_err(),
            Rejection::SignatureMismatch
        );
    }

    #[test]
    fn uppercase_and_padded_signatures_verify() {
        let ring = ring();
        let padded = format!("  {}\t", SIG.to_uppercase());
        assert!(ring
            .verify(Some("278d425bdf160c739803"), Some(&padded), BODY)
            .is_ok());
    }

    #[test]
    fn each_rejection_reason() {
        let ring = ring();
        let key = Some("278d425bdf160c739803");
        assert_eq!(
            ring.verify(None, Some(SIG), BODY).unwrap_err(),
            Rejection::MissingKey
        );
        assert_eq!(
            ring.verify(Some(" "), Some(SIG), BODY).unwrap_err(),
            Rejection::MissingKey
        );
        assert_eq!(
            ring.verify(Some("nope"), Some(SIG), BODY).unwrap_err(),
            Rejection::UnknownKey
        );
        assert_eq!(
            ring.verify(key, None, BODY).unwrap_err(),
            Rejection::MissingSignature
        );
        assert_eq!(
            ring.verify(key, Some(""), BODY).unwrap_err(),
            Rejection::MissingSignature
        );
        assert!(matches!(
            ring.verify(key, Some(&SIG[..63]), BODY).unwrap_err(),
            Rejection::MalformedSignature { .. }
        ));
        assert!(matches!(
            ring.verify(key, Some(&format!("{SIG}00")), BODY)
                .unwrap_err(),
            Rejection::MalformedSignature { .. }
        ));
        assert!(matches!(
            ring.verify(key, Some(&"z".repeat(64)), BODY).unwrap_err(),
            Rejection::MalformedSignature { .. }
        ));
        // Multi-byte characters of the right byte length are not hex either.
        assert!(matches!(
            ring.verify(key, Some(&"é".repeat(32)), BODY).unwrap_err(),
            Rejection::MalformedSignature { .. }
        ));
        let mut tampered = BODY.to_vec();
        tampered[10] ^= 1;
        assert_eq!(
            ring.verify(key, Some(SIG), &tampered).unwrap_err(),
            Rejection::SignatureMismatch
        );
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
