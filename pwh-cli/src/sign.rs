//! HMAC-SHA256 signatures as Pusher makes them, and `pwh sign`.

use std::process::ExitCode;

use hmac::{Hmac, Mac};
use pwh_core::Token;
use sha2::Sha256;

use crate::cli::SignArgs;
use crate::credentials;
use crate::error::Failure;
use crate::input::read_body;

type HmacSha256 = Hmac<Sha256>;

/// The `X-Pusher-Signature` of `body` under `token`: lowercase hex HMAC-SHA256.
pub(crate) fn signature(token: &Token, body: &[u8]) -> String {
    hex::encode(mac(token, body).finalize().into_bytes())
}

/// Whether `expected` (a decoded signature) is the MAC of `body` under `token`. Compared in
/// constant time by `verify_slice`, never with `==`.
pub(crate) fn matches(token: &Token, body: &[u8], expected: &[u8]) -> bool {
    mac(token, body).verify_slice(expected).is_ok()
}

fn mac(token: &Token, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length: `new_from_slice` cannot fail here.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(token.secret().expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    mac
}

/// The header naming the signing token.
pub(crate) const KEY_HEADER: &str = "X-Pusher-Key";
/// The header carrying the signature.
pub(crate) const SIGNATURE_HEADER: &str = "X-Pusher-Signature";

/// The headers that sign `body` as `token`.
pub(crate) fn headers(token: &Token, body: &[u8]) -> [(&'static str, String); 2] {
    [
        (KEY_HEADER, token.key().to_owned()),
        (SIGNATURE_HEADER, signature(token, body)),
    ]
}

/// `pwh sign`: prints the two headers for the body.
pub(crate) fn run(args: &SignArgs) -> Result<ExitCode, Failure> {
    let token = credentials::signing_token(&args.credentials)?;
    let body = read_body(&args.file)?;
    if body.ends_with(b"\n") {
        eprintln!(
            "note: the body ends with a newline, which is signed with it: send it with \
             curl --data-binary, which keeps it"
        );
    }
    for (name, value) in headers(&token, &body) {
        println!("{name}: {value}");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] =
        br#"{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"test_channel"}]}"#;
    const SIG: &str = "709fdb84c03664445f7698120b0edf0acc1ab1c8c6e93a0368c61841d6b998aa";

    fn token() -> Token {
        Token::new("278d425bdf160c739803", "7ad3773142a6692b25b8")
    }

    #[test]
    fn signs_as_pusher_and_as_pwh_core() {
        assert_eq!(signature(&token(), BODY), SIG);
        let ring = pwh_core::KeyRing::new([token()]);
        let body = br#"{"time_ms":1,"events":[]}"#;
        assert_eq!(
            Some(signature(&token(), body)),
            ring.sign(token().key(), body)
        );
    }

    #[test]
    fn matches_only_the_signed_bytes_and_secret() {
        let sig = hex::decode(SIG).unwrap();
        assert!(matches(&token(), BODY, &sig));
        assert!(!matches(&token(), &[BODY, b"\n"].concat(), &sig));
        assert!(!matches(
            &Token::new("278d425bdf160c739803", "other"),
            BODY,
            &sig
        ));
        assert!(!matches(&token(), BODY, &sig[..31]));
    }

    #[test]
    fn headers_name_the_key_and_never_the_secret() {
        let headers = headers(&token(), BODY);
        assert_eq!(headers[0], ("X-Pusher-Key", "278d425bdf160c739803".into()));
        assert_eq!(headers[1], ("X-Pusher-Signature", SIG.into()));
    }
}
