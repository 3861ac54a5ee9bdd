//! `pwh send` against the example axum app: every kind reaches its handler, a wrong secret is
//! refused, errors are one line.

mod common;

use common::{pwh, pwh_with, temp_dir, Server, KEY, SECRET};
use serde_json::json;

#[test]
fn each_kind_reaches_the_app_and_shows_on_its_state() {
    let server = Server::start();
    let url = server.url();
    let send = |args: &[&str]| {
        let mut all = vec!["send"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--url", &url]);
        let run = pwh(&all);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        assert_eq!(run.http_status(), 200, "{args:?}: {run:?}");
        assert_eq!(run.stdout.lines().nth(1), Some("ok"), "{run:?}");
    };

    send(&["channel_occupied", "--channel", "news"]);
    assert_eq!(server.state()["occupied"], json!(["news"]));

    send(&[
        "member_added",
        "--channel",
        "presence-lobby",
        "--user-id",
        "alice",
    ]);
    assert_eq!(
        server.state()["members"]["presence-lobby"],
        json!(["alice"])
    );

    // --data is sent as a string of JSON text, which the app's ClientData<Message> reads.
    send(&[
        "client_event",
        "--channel",
        "presence-lobby",
        "--event",
        "client-typing",
        "--data",
        r#"{"text":"hi"}"#,
        "--user-id",
        "alice",
    ]);
    let state = server.state();
    assert_eq!(state["client_events"], 1);
    assert_eq!(
        state["last_client_event"],
        json!({"channel": "presence-lobby", "event": "client-typing", "user_id": "alice", "text": "hi"})
    );

    send(&["subscription_count", "--channel", "news", "--count", "3"]);
    assert_eq!(server.state()["subscriptions"]["news"], 3);

    send(&["cache_miss", "--channel", "cache-prices"]);
    assert_eq!(server.state()["cache_misses"]["cache-prices"], 1);

    send(&[
        "member_removed",
        "--channel",
        "presence-lobby",
        "--user-id",
        "alice",
    ]);
    assert_eq!(server.state()["members"], json!({}));

    // A kind the app has no handler for reaches its catch-all handler.
    send(&[
        "member_updated",
        "--channel",
        "presence-lobby",
        "--user-id",
        "bob",
    ]);
    assert_eq!(server.state()["handled"]["member_updated"], 1);

    send(&["channel_vacated", "--channel", "news"]);
    let state = server.state();
    assert_eq!(state["occupied"], json!([]));
    assert_eq!(state["handled_total"], 8);

    // Several events from a batch file, in one signed webhook.
    let dir = temp_dir("batch");
    let batch = dir.join("events.json");
    std::fs::write(
        &batch,
        r#"[{"name":"channel_occupied","channel":"sport"},
            {"name":"member_added","channel":"presence-sport","user_id":"carol"}]"#,
    )
    .unwrap();
    send(&["--batch", batch.to_str().unwrap()]);
    let state = server.state();
    assert_eq!(state["occupied"], json!(["sport"]));
    assert_eq!(state["members"]["presence-sport"], json!(["carol"]));
    assert_eq!(state["handled_total"], 10);
}

#[test]
fn a_wrong_secret_is_refused_with_401_and_a_failing_exit_status() {
    let server = Server::start();
    let run = pwh(&[
        "send",
        "channel_occupied",
        "--channel",
        "news",
        "--url",
        &server.url(),
        "--key",
        KEY,
        "--secret",
        "not-the-secret",
    ]);
    assert_eq!(run.http_status(), 401, "{run:?}");
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(server.handled_total(), 0);
    assert!(!run.stdout.contains("not-the-secret") && !run.stderr.contains("not-the-secret"));
}

#[test]
fn a_stale_time_ms_is_refused() {
    let server = Server::start();
    let run = pwh(&[
        "send",
        "cache_miss",
        "--channel",
        "c",
        "--time-ms",
        "1000",
        "--url",
        &server.url(),
    ]);
    assert_eq!((run.http_status(), run.code), (401, 1), "{run:?}");
    assert_eq!(server.handled_total(), 0);
}

#[test]
fn errors_are_one_line_on_stderr_and_never_show_the_secret() {
    // No credentials at all.
    let run = pwh_with(&[], &["send", "cache_miss", "--channel", "c"], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.starts_with("error: "), "{run:?}");
    assert!(run.stderr.contains("PUSHER_APP_KEY"), "{run:?}");

    // A field the kind needs.
    let run = pwh(&["send", "member_added", "--channel", "presence-a"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stderr.trim(), "error: `member_added` needs --user-id");

    // Nothing listening.
    let run = pwh(&[
        "send",
        "cache_miss",
        "--channel",
        "c",
        "--url",
        "http://127.0.0.1:1/pusher/webhooks",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(
        run.stderr.starts_with("error: POST http://127.0.0.1:1/"),
        "{run:?}"
    );

    // Help, verbose output and errors never show the configured secret.
    for args in [
        &["send", "--help"][..],
        &["sign", "--help"],
        &[
            "send",
            "-v",
            "cache_miss",
            "--channel",
            "c",
            "--url",
            "http://127.0.0.1:1/",
        ],
    ] {
        let run = pwh(args);
        assert!(!run.stdout.contains(SECRET), "{args:?}: {run:?}");
        assert!(!run.stderr.contains(SECRET), "{args:?}: {run:?}");
    }
}

#[test]
fn the_key_and_the_secret_each_come_from_their_flag_or_their_variable() {
    let server = Server::start();
    let url = server.url();
    let send = |env: &[(&str, &str)], credential: [&str; 2]| {
        let mut args = vec!["send", "cache_miss", "--channel", "half", "--url", &url];
        args.extend_from_slice(&credential);
        pwh_with(env, &args, None)
    };
    // --secret with PUSHER_APP_KEY from the environment.
    let run = send(&[("PUSHER_APP_KEY", KEY)], ["--secret", SECRET]);
    assert_eq!((run.code, run.http_status()), (0, 200), "{run:?}");
    // --key with PUSHER_APP_SECRET from the environment.
    let run = send(&[("PUSHER_APP_SECRET", SECRET)], ["--key", KEY]);
    assert_eq!((run.code, run.http_status()), (0, 200), "{run:?}");
    // A flag wins over its variable.
    let run = send(
        &[
            ("PUSHER_APP_KEY", KEY),
            ("PUSHER_APP_SECRET", "not-the-secret"),
        ],
        ["--secret", SECRET],
    );
    assert_eq!((run.code, run.http_status()), (0, 200), "{run:?}");
    assert_eq!(server.handled_total(), 3);

    // `sign` takes them the same way: the same headers as with both variables.
    let body = br#"{"time_ms":1,"events":[]}"#;
    let both = pwh_with(
        &[("PUSHER_APP_KEY", KEY), ("PUSHER_APP_SECRET", SECRET)],
        &["sign", "-"],
        Some(body),
    );
    let half = pwh_with(
        &[("PUSHER_APP_KEY", KEY)],
        &["sign", "--secret", SECRET, "-"],
        Some(body),
    );
    assert_eq!(half.code, 0, "{half:?}");
    assert_eq!(half.stdout, both.stdout);
}

#[test]
fn a_missing_key_names_its_flag_and_its_variable_and_no_option_is_required() {
    for command in ["send", "sign"] {
        let mut args = vec![command];
        if command == "send" {
            args.extend_from_slice(&[
                "cache_miss",
                "--channel",
                "c",
                "--url",
                "http://127.0.0.1:1/",
            ]);
        }
        args.extend_from_slice(&["--secret", SECRET]);
        let run = pwh_with(&[], &args, Some(b"{}"));
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(
            run.stderr.trim(),
            "error: --secret needs a key: pass --key or set PUSHER_APP_KEY",
            "{run:?}"
        );

        // Neither flag nor variable: both named.
        let run = pwh_with(&[], &args[..args.len() - 2], Some(b"{}"));
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains("--key") && run.stderr.contains("PUSHER_APP_KEY"),
            "{run:?}"
        );

        // The usage line presents the credentials as options, not as required arguments.
        let help = pwh_with(&[], &[command, "--help"], None);
        let usage = help
            .stdout
            .lines()
            .find(|line| line.starts_with("Usage: "))
            .unwrap();
        assert!(usage.contains("[OPTIONS]"), "{usage}");
        assert!(
            !usage.contains("--key") && !usage.contains("--secret"),
            "{usage}"
        );
        assert!(help.stdout.contains("[env: PUSHER_APP_KEY]"), "{help:?}");
    }
}

#[test]
fn a_404_or_a_405_says_the_endpoint_is_not_mounted_there() {
    let server = Server::start();
    let send = |path: &str| {
        let url = format!("http://{}{path}", server.addr);
        pwh(&["send", "cache_miss", "--channel", "c", "--url", &url])
    };
    // The app mounts its endpoint at /pusher/webhooks, not at /webhooks.
    let run = send("/webhooks");
    assert_eq!((run.http_status(), run.code), (404, 1), "{run:?}");
    assert_eq!(
        run.stderr.trim(),
        "note: 404 Not Found: is the webhook endpoint mounted at this path (/webhooks)? Check \
         the app's route against --url",
        "{run:?}"
    );
    // /state answers GET only.
    let run = send("/state");
    assert_eq!((run.http_status(), run.code), (405, 1), "{run:?}");
    assert!(
        run.stderr
            .contains("405 Method Not Allowed: the path answers but not to POST (/state)"),
        "{run:?}"
    );
    assert_eq!(server.handled_total(), 0);
    // The endpoint's own answers have no such note.
    let run = send("/pusher/webhooks");
    assert_eq!(run.http_status(), 200, "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
}
