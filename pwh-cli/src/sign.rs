//! Signatures as pwh-core makes them (its [`KeyRing`]), and `pwh sign`.

use std::process::ExitCode;

use pwh_core::adapter::{KEY_HEADER, SIGNATURE_HEADER};
use pwh_core::{KeyRing, Token};

use crate::cli::SignArgs;
use crate::credentials;
use crate::error::Failure;
use crate::input::read_body;

/// The `X-Pusher-Signature` of `body` under `token`: lowercase hex HMAC-SHA256, by
/// [`KeyRing::sign`].
pub(crate) fn signature(token: &Token, body: &[u8]) -> String {
    KeyRing::new([token.clone()])
        .sign(token.key(), body)
        .unwrap_or_else(|| unreachable!("a key ring signs as the token it holds"))
}

/// Whether `signature` (64 hex digits, either case) is that of `body` under `token`: checked by
/// [`KeyRing::verify`], which compares the MACs in constant time.
pub(crate) fn matches(token: &Token, body: &[u8], signature: &str) -> bool {
    KeyRing::new([token.clone()])
        .verify(Some(token.key()), Some(signature), body)
        .is_ok()
}

/// The headers that sign `body` as `token`, named as pwh-core names them.
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
    fn signs_as_pusher() {
        assert_eq!(signature(&token(), BODY), SIG);
    }

    #[test]
    fn matches_only_the_signed_bytes_and_secret() {
        assert!(matches(&token(), BODY, SIG));
        assert!(matches(&token(), BODY, &SIG.to_uppercase()));
        assert!(!matches(&token(), &[BODY, b"\n"].concat(), SIG));
        assert!(!matches(
            &Token::new("278d425bdf160c739803", "other"),
            BODY,
            SIG
        ));
        assert!(!matches(&token(), BODY, &SIG[..62]));
    }

    #[test]
    fn headers_name_the_key_and_never_the_secret() {
        let headers = headers(&token(), BODY);
        assert_eq!(headers[0], ("x-pusher-key", "278d425bdf160c739803".into()));
        assert_eq!(headers[1], ("x-pusher-signature", SIG.into()));
    }
}
