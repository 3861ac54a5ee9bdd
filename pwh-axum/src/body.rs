//! Reading the raw request body under the dispatcher's limit.

use axum::body::{Body, Bytes, HttpBody};
use http::{header, HeaderMap, Method};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use pwh_core::Rejection;

use crate::WebhookRejection;

/// Reads the raw body of a request, at most `limit` bytes of it.
///
/// A request whose method is not `POST` gets an empty body without its own being read: the
/// dispatcher refuses the method (405) whatever the body. A body declared (`Content-Length`)
/// or found while streaming to be larger than `limit` is refused (413) without reading the
/// rest. axum's `DefaultBodyLimit` plays no part: `limit` is the only one.
///
/// # Errors
///
/// [`Rejection::PayloadTooLarge`] past the limit; [`WebhookRejection::UnreadableBody`] when
/// the body fails to arrive. Both are logged at `warn`, without the body.
pub(crate) async fn read(
    method: &Method,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, WebhookRejection> {
    if method != Method::POST {
        return Ok(Bytes::new());
    }
    let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);
    let declared = declared_length(headers).unwrap_or(0);
    let result = if declared > limit_u64 || body.size_hint().lower() > limit_u64 {
        Err(too_large(limit))
    } else {
        match Limited::new(body, limit).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(e) if is_length_limit(e.as_ref()) => Err(too_large(limit)),
            Err(e) => Err(WebhookRejection::UnreadableBody(axum::Error::new(e))),
        }
    };
    result.inspect_err(|rejection| match rejection {
        WebhookRejection::UnreadableBody(error) => {
            tracing::warn!(status = 400, %error, "could not read a Pusher webhook's body");
        }
        other => {
            tracing::warn!(status = other.status().as_u16(), reason = %other, "rejected Pusher webhook");
        }
    })
}

fn too_large(limit: usize) -> WebhookRejection {
    WebhookRejection::Refused(Rejection::PayloadTooLarge { limit })
}

/// The `Content-Length` the client announced, if it is a number.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get_all(header::CONTENT_LENGTH)
        .iter()
        .filter_map(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
        .max()
}

/// Whether a body error is a length limit, ours or one an outer layer (e.g. tower-http's
/// `RequestBodyLimit`) put on the body.
fn is_length_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |e| e.source()).any(|e| e.is::<LengthLimitError>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (header::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[tokio::test]
    async fn reads_a_body_within_the_limit_whole() {
        let bytes = read(
            &Method::POST,
            &HeaderMap::new(),
            Body::from("0123456789"),
            10,
        )
        .await
        .unwrap();
        assert_eq!(&bytes[..], b"0123456789");
        let streamed = read(
            &Method::POST,
            &HeaderMap::new(),
            chunked(b"0123456789", 3),
            10,
        )
        .await
        .unwrap();
        assert_eq!(&streamed[..], b"0123456789");
    }

    #[tokio::test]
    async fn one_byte_over_is_too_large_whichever_way_it_comes() {
        for body in [Body::from("01234567890"), chunked(b"01234567890", 4)] {
            let err = read(&Method::POST, &HeaderMap::new(), body, 10)
                .await
                .unwrap_err();
            assert_eq!(
                err.rejection(),
                Some(&Rejection::PayloadTooLarge { limit: 10 })
            );
        }
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_unread() {
        let headers = headers(&[("content-length", "11")]);
        let err = within(read(&Method::POST, &headers, never_ending(), 10))
            .await
            .unwrap_err();
        assert_eq!(err.status(), 413);
    }

    #[tokio::test]
    async fn other_methods_are_not_read() {
        let bytes = within(read(&Method::GET, &HeaderMap::new(), never_ending(), 10))
            .await
            .unwrap();
        assert!(bytes.is_empty());
    }

    #[tokio::test]
    async fn a_failing_body_is_unreadable_and_says_so_without_detail() {
        let err = read(&Method::POST, &HeaderMap::new(), failing_body(), 100)
            .await
            .unwrap_err();
        assert!(
            matches!(err, WebhookRejection::UnreadableBody(_)),
            "{err:?}"
        );
        assert_eq!(err.status(), 400);
    }

    #[tokio::test]
    async fn an_outer_length_limit_is_too_large_not_unreadable() {
        let outer = Body::new(Limited::new(Body::from("0123456789"), 4));
        let err = read(&Method::POST, &HeaderMap::new(), outer, 100)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 413);
    }

    #[test]
    fn unparsable_lengths_are_ignored() {
        assert_eq!(
            declared_length(&headers(&[("content-length", "abc")])),
            None
        );
        assert_eq!(
            declared_length(&headers(&[("content-length", " 12 ")])),
            Some(12)
        );
        assert_eq!(declared_length(&HeaderMap::new()), None);
    }
}
