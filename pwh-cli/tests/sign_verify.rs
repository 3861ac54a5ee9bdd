//! `pwh sign` headers accepted by the example app on a raw POST; `pwh verify` naming the cause
//! of a mismatch.

mod common;

use common::{now_ms, pwh, pwh_with, temp_dir, Server, KEY, OLD_KEY, OLD_SECRET, SECRET};
use pwh_core::adapter::{KEY_HEADER, SIGNATURE_HEADER};

fn body() -> String {
    format!(
        r#"{{"time_ms":{},"events":[{{"name":"channel_occupied","channel":"signed"}}]}}"#,
        now_ms()
    )
}

/// The two header lines of `pwh sign`, as (name, value).
fn headers(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .map(|line| {
            let (name, value) = line.split_once(": ").unwrap();
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

#[test]
fn signed_headers_let_a_raw_post_through() {
    let server = Server::start();
    let dir = temp_dir("sign");
    let file = dir.join("body.json");
    let body = body();
    std::fs::write(&file, &body).unwrap();

    let run = pwh(&["sign", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    let headers = headers(&run.stdout);
    assert_eq!(headers.len(), 2, "{run:?}");
    // Named as pwh-core names them (HTTP header names are case-insensitive).
    assert_eq!(headers[0], (KEY_HEADER.to_owned(), KEY.to_owned()));
    assert_eq!(headers[1].0, SIGNATURE_HEADER);
    assert_eq!(headers[1].1.len(), 64);

    // The same from standard input.
    let stdin = pwh_with(
        &[("PUSHER_APP_KEY", KEY), ("PUSHER_APP_SECRET", SECRET)],
        &["sign", "-"],
        Some(body.as_bytes()),
    );
    assert_eq!(stdin.stdout, run.stdout);

    // What curl -H "X-Pusher-Key: ..." -H "X-Pusher-Signature: ..." --data-binary @body.json does.
    let mut sent: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    sent.push(("Content-Type", "application/json"));
    let reply = server.request("POST", "/pusher/webhooks", &sent, body.as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(server.state()["occupied"], serde_json::json!(["signed"]));

    // The headers of another body are refused.
    let other = body.replace("signed", "forged");
    let reply = server.request("POST", "/pusher/webhooks", &sent, other.as_bytes());
    assert_eq!(reply.status, 401);
}

#[test]
fn verify_names_a_trailing_newline_and_a_wrong_secret() {
    let dir = temp_dir("verify");
    let file = dir.join("body.json");
    let body = body();
    std::fs::write(&file, &body).unwrap();
    let file = file.to_str().unwrap();
    let signature = headers(&pwh(&["sign", file]).stdout)[1].1.clone();

    let run = pwh(&["verify", "--signature", &signature, file]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout.trim(),
        format!("match: the signature matches the body under key `{KEY}`")
    );

    // The same body saved by an editor, with a final newline.
    let with_newline = dir.join("edited.json");
    std::fs::write(&with_newline, format!("{body}\n")).unwrap();
    let run = pwh(&[
        "verify",
        "--signature",
        &signature,
        with_newline.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.starts_with("mismatch: "), "{run:?}");
    assert!(
        run.stdout.contains("likely cause: trailing newline"),
        "{run:?}"
    );

    // Signed with a secret that is not configured.
    let forged = pwh_with(
        &[
            ("PUSHER_APP_KEY", KEY),
            ("PUSHER_APP_SECRET", "a-wrong-secret"),
        ],
        &["sign", file],
        None,
    );
    let forged = headers(&forged.stdout)[1].1.clone();
    let run = pwh(&["verify", "--key", KEY, "--signature", &forged, file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("wrong secret"), "{run:?}");
    assert!(!run.stdout.contains(SECRET), "{run:?}");

    // Signed with the other configured token than the key names.
    let env = [
        ("PUSHER_APP_KEY", KEY),
        ("PUSHER_APP_SECRET", SECRET),
        ("PUSHER_EXTRA_TOKENS", &format!("{OLD_KEY}:{OLD_SECRET}")),
    ];
    let by_old = pwh_with(&env, &["sign", "--key", OLD_KEY, file], None);
    let by_old = headers(&by_old.stdout)[1].1.clone();
    let run = pwh_with(
        &env,
        &["verify", "--key", KEY, "--signature", &by_old, file],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("wrong key/secret pair"), "{run:?}");
    assert!(run.stdout.contains(OLD_KEY), "{run:?}");
    assert!(!run.stdout.contains(OLD_SECRET), "{run:?}");

    // Not 64 hex digits.
    let run = pwh(&["verify", "--signature", &signature[..40], file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("not 64 hex digits: 40 characters"),
        "{run:?}"
    );
}
