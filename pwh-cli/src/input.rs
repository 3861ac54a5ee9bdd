//! Reading a body from a file or standard input, and writing one out.

use std::io::{IsTerminal, Read};
use std::path::Path;

use crate::error::Failure;

/// The bytes of `path`, or of standard input when `path` is `-`.
pub(crate) fn read_body(path: &Path) -> Result<Vec<u8>, Failure> {
    if path.as_os_str() == "-" {
        if std::io::stdin().is_terminal() {
            eprintln!("reading the body from standard input (end it with Ctrl-D)");
        }
        let mut body = Vec::new();
        std::io::stdin()
            .read_to_end(&mut body)
            .map_err(|e| Failure::new(format!("cannot read standard input: {e}")))?;
        return Ok(body);
    }
    std::fs::read(path).map_err(|e| Failure::file("read", path, &e))
}

/// Writes `body` to `path`, byte for byte.
pub(crate) fn save_body(path: &Path, body: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, body).map_err(|e| Failure::file("write", path, &e))
}

/// Milliseconds since the Unix epoch, for `time_ms`.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
