//! Helpers shared across the crate that know nothing of simulation: the bottom of the module
//! graph, so any module may use them.
//!
//! - `suggest` — "did you mean …?" for misspelt keys, names and values, and lists of choices.
//! - [`sha256_hex`] — the digest that names scenario files, plugin libraries and resolved
//!   scenarios in manifests.

pub(crate) mod suggest;

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
