//! The tokens an endpoint accepts ([`Token`], [`KeyRing`], read from the environment with
//! [`KeyRing::from_env`]), and the signature check that picks one by its key.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::rejection::Rejection;

mod env;

pub use env::{KeyRingError, ENV_EXTRA_TOKENS, ENV_KEY, ENV_SECRET};

pub use crate::token::{Secret, Token};

type HmacSha256 = Hmac<Sha256>;

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

    pub(crate) fn push(&mut self, token: Token) {
        let mac = HmacSha256::new_from_slice(token.secret().expose().as_bytes())
            .expect("HMAC takes keys of any length");
        self.entries.push(Entry { token, mac });
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

    /// Checks `signature` (hex, either case, surrounding ASCII white space ignored) over the raw
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
        let key = key.map(str::trim_ascii).filter(|k| !k.is_empty());
        let entry = self
            .entry(key.ok_or(Rejection::MissingKey)?)
            .ok_or(Rejection::UnknownKey)?;
        let signature = signature
            .map(str::trim_ascii)
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
///
/// Why not `hex::decode_to_slice`: measured with `benches/callgrind.sh`, it costs 1,040 more
/// instructions per webhook than this, 12 % of everything pwh does for a one-event webhook
/// besides SHA-256. A test compares the two on every byte.
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

    #[test]
    fn hex_decoding_agrees_with_the_hex_crate_on_every_byte() {
        let valid = "0123456789abcdefABCDEF0123456789abcdefABCDEF0123456789abcdef0123";
        let mut expected = [0u8; 32];
        hex::decode_to_slice(valid, &mut expected).unwrap();
        assert_eq!(decode_hex(valid.as_bytes()), Some(expected));
        for position in 0..64 {
            for byte in 0..=255u8 {
                let mut digits = valid.as_bytes().to_vec();
                digits[position] = byte;
                let ours = decode_hex(&digits);
                let theirs = std::str::from_utf8(&digits).ok().and_then(|d| {
                    let mut out = [0u8; 32];
                    hex::decode_to_slice(d, &mut out).ok().map(|()| out)
                });
                assert_eq!(ours, theirs, "byte {byte:#x} at {position}");
            }
        }
        assert_eq!(decode_hex(&valid.as_bytes()[..62]), None);
    }

    const BODY: &[u8] =
        br#"{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"test_channel"}]}"#;
    const SIG: &str = "709fdb84c03664445f7698120b0edf0acc1ab1c8c6e93a0368c61841d6b998aa";

    fn ring() -> KeyRing {
        KeyRing::new([
            Token::new("278d425bdf160c739803", "7ad3773142a6692b25b8"),
            Token::new("5a1f0c9e7b3d2a4c6e8f", "rotated-secret-0f3b9c71d2"),
        ])
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
}
