//! Read request headers from any framework, case-insensitively.

use std::collections::HashMap;

/// Request headers, looked up by name without regard to case.
///
/// Implemented for [`http::HeaderMap`] (axum, hyper), slices and vectors of name/value pairs,
/// and `HashMap<String, String>`; an adapter for another framework implements it for a small
/// wrapper. A value that is not valid UTF-8 reads as absent.
pub trait Headers {
    /// The first value of the header `name` (given in lowercase), if present.
    fn header(&self, name: &str) -> Option<&str>;
}

impl Headers for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&str> {
        // Pusher's two headers by their ready-made names: no parsing of `name` per request.
        const KEY_NAME: http::HeaderName = http::HeaderName::from_static(KEY);
        const SIGNATURE_NAME: http::HeaderName = http::HeaderName::from_static(SIGNATURE);
        let value = match name {
            KEY => self.get(KEY_NAME),
            SIGNATURE => self.get(SIGNATURE_NAME),
            other => self.get(other),
        };
        value.and_then(|v| v.to_str().ok())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for [(K, V)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> Headers for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<S: std::hash::BuildHasher> Headers for HashMap<String, String, S> {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl<H: Headers + ?Sized> Headers for &H {
    fn header(&self, name: &str) -> Option<&str> {
        (**self).header(name)
    }
}

/// The header naming the token that signed a webhook, lowercased: `x-pusher-key`.
pub const KEY: &str = "x-pusher-key";
/// The header holding the webhook's signature, lowercased: `x-pusher-signature`.
pub const SIGNATURE: &str = "x-pusher-signature";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_ignore_case() {
        let pairs = [("X-Pusher-KEY", "k"), ("x-pusher-signature", "s")];
        assert_eq!(pairs.header(KEY), Some("k"));
        assert_eq!(pairs.header(SIGNATURE), Some("s"));
        let mut map = http::HeaderMap::new();
        map.insert("X-Pusher-Key", http::HeaderValue::from_static("k"));
        assert_eq!(map.header(KEY), Some("k"));
        let hash: HashMap<String, String> = [("X-PUSHER-KEY".to_owned(), "k".to_owned())].into();
        assert_eq!(hash.header(KEY), Some("k"));
        assert_eq!(hash.header(SIGNATURE), None);
    }

    #[test]
    fn non_utf8_values_read_as_absent() {
        let mut map = http::HeaderMap::new();
        map.insert(KEY, http::HeaderValue::from_bytes(b"\xff").unwrap());
        assert_eq!(map.header(KEY), None);
    }
}
