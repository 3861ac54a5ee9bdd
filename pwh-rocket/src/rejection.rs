//! [`WebhookRejection`] as Rocket answers it.

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};

use crate::{reply, WebhookRejection};

impl WebhookRejection {
    /// The status to answer with: the rejection's (401, 400, 413 or 405), 500 when no
    /// dispatcher is managed.
    pub fn status(&self) -> Status {
        Status::new(self.rejection().status().as_u16())
    }
}

/// The answer every pwh adapter sends: [`status`](WebhookRejection::status), the reason as
/// `text/plain; charset=utf-8` (a generic one when no dispatcher is managed: the details are in
/// the log), and `Allow: POST` on a 405.
impl<'r> Responder<'r, 'static> for WebhookRejection {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Ok(reply::respond(&self.response()))
    }
}

#[cfg(test)]
mod tests {
    use pwh_core::adapter::Rejection;

    use super::*;

    #[test]
    fn statuses_follow_the_contract() {
        let cases = [
            (Rejection::SignatureMismatch, 401),
            (Rejection::MissingKey, 401),
            (Rejection::PayloadTooLarge { limit: 64 }, 413),
            (Rejection::Malformed { reason: "x".into() }, 400),
            (
                Rejection::MethodNotAllowed {
                    method: "GET".into(),
                },
                405,
            ),
            (Rejection::unreadable_body("unexpected end of file"), 400),
            (Rejection::NotConfigured, 500),
        ];
        for (rejection, code) in cases {
            let rejection = WebhookRejection::from(rejection);
            assert_eq!(rejection.status().code, code, "{rejection}");
        }
    }

    #[test]
    fn messages_say_what_to_do() {
        let not_configured = WebhookRejection::from(Rejection::NotConfigured);
        assert!(not_configured.to_string().contains(".manage(dispatcher)"));
        assert_eq!(
            not_configured.response().body(),
            "webhook receiver not configured"
        );
        assert_eq!(
            WebhookRejection::from(Rejection::SignatureMismatch).to_string(),
            Rejection::SignatureMismatch.to_string()
        );
        assert_eq!(
            WebhookRejection::from(Rejection::UnknownKey).into_rejection(),
            Rejection::UnknownKey
        );
    }
}
