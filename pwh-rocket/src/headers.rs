//! Rocket's request headers, as pwh-core reads them.

use rocket::http::HeaderMap;

/// Lets the dispatcher read a Rocket request's headers (`HeaderMap::get_one` ignores case).
pub(crate) struct RocketHeaders<'a, 'h>(pub(crate) &'a HeaderMap<'h>);

impl pwh_core::adapter::Headers for RocketHeaders<'_, '_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.0.get_one(name)
    }
}

#[cfg(test)]
mod tests {
    use pwh_core::adapter::Headers;
    use rocket::http::{Header, HeaderMap};

    use super::RocketHeaders;

    #[test]
    fn lookups_ignore_case_and_take_the_first_value() {
        let mut map = HeaderMap::new();
        map.add(Header::new("X-Pusher-Key", "k"));
        map.add(Header::new("X-PUSHER-SIGNATURE", "first"));
        map.add(Header::new("x-pusher-signature", "second"));
        let headers = RocketHeaders(&map);
        assert_eq!(headers.header("x-pusher-key"), Some("k"));
        assert_eq!(headers.header("x-pusher-signature"), Some("first"));
        assert_eq!(headers.header("content-type"), None);
    }
}
