//! The plain-text answers the endpoint and [`WebhookError`](crate::WebhookError) send.

use std::borrow::Cow;
use std::io::Cursor;

use rocket::http::{ContentType, Status};
use rocket::Response;

/// `status` with `body` as `text/plain; charset=utf-8`; a 405 also says `Allow: POST`.
pub(crate) fn plain(status: Status, body: impl Into<Cow<'static, str>>) -> Response<'static> {
    let body: Cow<'static, [u8]> = match body.into() {
        Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
        Cow::Owned(text) => Cow::Owned(text.into_bytes()),
    };
    let mut response = Response::build();
    response
        .status(status)
        .header(ContentType::Plain)
        .sized_body(body.len(), Cursor::new(body));
    if status == Status::MethodNotAllowed {
        response.raw_header("Allow", "POST");
    }
    response.finalize()
}
