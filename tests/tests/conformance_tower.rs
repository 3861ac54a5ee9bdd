//! Every shared conformance case through `pwh_core::Dispatcher` as a `tower::Service`: served
//! by hyper directly (no web framework), and behind a `tower::ServiceBuilder` layer stack.

use std::convert::Infallible;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use pwh_tests::{run_suite, send_tcp, Receiver, Suite};
use tower::{Service, ServiceBuilder, ServiceExt};

fn request(case: &pwh_tests::Case) -> http::Request<Full<Bytes>> {
    let mut request = http::Request::builder()
        .method(case.method.as_str())
        .uri("/pusher/webhooks");
    for (name, value) in &case.headers {
        request = request.header(name, value);
    }
    request.body(Full::new(Bytes::from(case.body()))).unwrap()
}

#[tokio::test]
async fn behind_a_service_builder_stack() {
    let suite = Suite::load();
    let receiver = Receiver::new(&suite);
    let service = ServiceBuilder::new()
        .concurrency_limit(8)
        .timeout(std::time::Duration::from_secs(10))
        .map_request(|request: http::Request<Full<Bytes>>| request)
        .service(receiver.dispatcher.clone());
    run_suite("tower ServiceBuilder", &receiver, &suite, |case| {
        let service = service.clone();
        async move {
            let response = service.oneshot(request(case)).await.unwrap();
            let status = response.status().as_u16();
            let _ = response.into_body().collect().await;
            status
        }
    })
    .await;
}

#[tokio::test]
async fn served_by_hyper_over_tcp() {
    let suite = Suite::load();
    let receiver = Receiver::new(&suite);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dispatcher = receiver.dispatcher.clone();
    let server = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let service = TowerToHyperService::new(dispatcher.clone());
            tokio::spawn(async move {
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    run_suite("hyper over TCP", &receiver, &suite, |case| {
        send_tcp(addr, case)
    })
    .await;
    server.abort();
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_is_413_without_reading_it_all() {
    let suite = Suite::load();
    let receiver = Receiver::new(&suite);
    let mut dispatcher = receiver.dispatcher.clone();
    // A body that never ends: the service must stop at the limit (1 MiB), not read on.
    let request = http::Request::post("/pusher/webhooks")
        .body(Endless)
        .unwrap();
    let response = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        ServiceExt::<http::Request<Endless>>::ready(&mut dispatcher)
            .await
            .unwrap()
            .call(request)
            .await
            .unwrap()
    })
    .await
    .expect("answered without reading past the limit");
    assert_eq!(response.status(), 413);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
}

/// A body of 64 KiB frames without end.
struct Endless;

impl http_body::Body for Endless {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        let frame = http_body::Frame::data(Bytes::from_static(&[b' '; 65536]));
        std::task::Poll::Ready(Some(Ok(frame)))
    }
}
