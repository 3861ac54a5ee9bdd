//! Every shared conformance case through actix-web: in process (`actix_web::test`) and over
//! TCP; and what the suite does not cover: streamed bodies over the limit, 405 with
//! `Allow: POST`, the `VerifiedWebhook` extractor.

use std::net::SocketAddr;

use actix_web::body::to_bytes;
use actix_web::test::{call_service, init_service, TestRequest};
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpServer};
use futures_util::stream;
use pwh_actix::{VerifiedWebhook, WebhookRejection};
use pwh_core::testing::{Harness, Recorder, TestWebhook, TEST_KEY};
use pwh_tests::{run_suite, send_tcp, Receiver, Suite};

const PATH: &str = "/pusher/webhooks";

#[actix_web::test]
async fn in_process() {
    let suite = Suite::load();
    let receiver = Receiver::new(&suite);
    let app =
        init_service(App::new().service(pwh_actix::webhooks(PATH, receiver.dispatcher.clone())))
            .await;
    let app = &app;
    run_suite("actix test", &receiver, &suite, |case| async move {
        let method = case.method.parse().unwrap();
        let mut request = TestRequest::default().method(method).uri(PATH);
        for (name, value) in &case.headers {
            request = request.insert_header((name.as_str(), value.as_str()));
        }
        let response = call_service(app, request.set_payload(case.body()).to_request()).await;
        response.status().as_u16()
    })
    .await;
}

#[actix_web::test]
async fn over_tcp() {
    let suite = Suite::load();
    let receiver = Receiver::new(&suite);
    let dispatcher = receiver.dispatcher.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let server =
        HttpServer::new(move || App::new().service(pwh_actix::webhooks(PATH, dispatcher.clone())))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
    let handle = server.handle();
    let running = actix_web::rt::spawn(server);
    run_suite("actix over TCP", &receiver, &suite, |case| {
        send_tcp(addr, case)
    })
    .await;
    handle.stop(true).await;
    let _ = running.await;
}

#[actix_web::test]
async fn other_methods_are_405_with_allow_post_and_plain_text() {
    let harness = Harness::configure(|b| b.registered_handlers(false));
    let app =
        init_service(App::new().service(pwh_actix::webhooks(PATH, harness.dispatcher().clone())))
            .await;
    for method in ["GET", "PUT", "DELETE", "PATCH"] {
        let request = TestRequest::default()
            .method(method.parse().unwrap())
            .uri(PATH);
        let response = call_service(&app, request.to_request()).await;
        assert_eq!(response.status(), 405, "{method}");
        assert_eq!(response.headers().get("allow").unwrap(), "POST");
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            "text/plain; charset=utf-8"
        );
    }
}

#[actix_web::test]
async fn a_streamed_body_over_the_limit_is_413() {
    let recorder = Recorder::new();
    let harness = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(recorder.clone())
            .body_limit(64)
    });
    let app =
        init_service(App::new().service(pwh_actix::webhooks(PATH, harness.dispatcher().clone())))
            .await;
    let signed = TestWebhook::new()
        .channel_occupied(&"x".repeat(100))
        .signed();
    let chunks: Vec<Result<Bytes, actix_web::error::PayloadError>> = signed
        .body
        .chunks(7)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let mut streamed = TestRequest::post().uri(PATH);
    for (name, value) in &signed.headers {
        streamed = streamed.insert_header((*name, value.as_str()));
    }
    let mut streamed = streamed.to_request();
    let payload: std::pin::Pin<
        Box<dyn futures_util::Stream<Item = Result<Bytes, actix_web::error::PayloadError>>>,
    > = Box::pin(stream::iter(chunks));
    let _ = std::mem::replace(streamed.payload(), payload.into());
    let response = call_service(&app, streamed).await;
    assert_eq!(response.status(), 413);
    let body = to_bytes(response.into_body()).await.unwrap();
    assert_eq!(body, "body larger than the 64-byte limit");
    assert!(recorder.lines().is_empty());
}

async fn receive(
    hook: Result<VerifiedWebhook, WebhookRejection>,
) -> Result<String, WebhookRejection> {
    let hook = hook?;
    Ok(format!("{} {}", hook.key(), hook.events().len()))
}

#[actix_web::test]
async fn the_extractor_verifies_and_refuses_with_the_same_answers() {
    let harness = Harness::configure(|b| b.registered_handlers(false));
    let app = init_service(
        App::new()
            .app_data(harness.dispatcher().clone())
            .route("/mine", web::post().to(receive)),
    )
    .await;
    let signed = TestWebhook::new()
        .channel_occupied("a")
        .cache_miss("b")
        .signed();
    let mut request = TestRequest::post()
        .uri("/mine")
        .set_payload(signed.body.clone());
    for (name, value) in &signed.headers {
        request = request.insert_header((*name, value.as_str()));
    }
    let response = call_service(&app, request.to_request()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        to_bytes(response.into_body()).await.unwrap(),
        format!("{TEST_KEY} 2")
    );

    let forged = signed.with_signature(&"0".repeat(64));
    let mut request = TestRequest::post()
        .uri("/mine")
        .set_payload(forged.body.clone());
    for (name, value) in &forged.headers {
        request = request.insert_header((*name, value.as_str()));
    }
    let response = call_service(&app, request.to_request()).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        to_bytes(response.into_body()).await.unwrap(),
        "X-Pusher-Signature does not match the body"
    );

    let bare = init_service(App::new().route("/mine", web::post().to(receive))).await;
    let response = call_service(&bare, TestRequest::post().uri("/mine").to_request()).await;
    assert_eq!(response.status(), 500);
    assert_eq!(
        to_bytes(response.into_body()).await.unwrap(),
        "webhook receiver not configured"
    );
}
