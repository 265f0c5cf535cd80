//! PINs kept as argon2id hashes (PHC strings), hashed and verified off the async runtime.
//!
//! Argon2 with its default parameters (RFC 9106 section 4's second recommended option as
//! tuned by the `argon2` crate: 19 MiB, 2 passes) takes tens of milliseconds of CPU on
//! purpose, so both operations run on tokio's blocking pool instead of stalling the task that
//! serves other calls.
//!
//! A PIN check takes the same path whether the customer exists, has no PIN or has one: an
//! unknown customer is verified against a fixed dummy hash, so the time taken does not tell a
//! caller which customer ids exist.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::StoreError;

/// Hashes a PIN (already checked for shape) with a fresh random salt.
pub(crate) async fn hash(pin: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(pin.as_bytes())
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|_| StoreError::PinHashing)?
    .map_err(|_| StoreError::PinHashing)
}

/// Whether `pin` matches `stored` (a PHC string). With no stored hash, a dummy one is
/// verified and the answer is no, in about the same time.
pub(crate) async fn verify(pin: String, stored: Option<String>) -> Result<bool, StoreError> {
    tokio::task::spawn_blocking(move || verify_blocking(&pin, stored.as_deref()))
        .await
        .map_err(|_| StoreError::PinHashing)?
}

fn verify_blocking(pin: &str, stored: Option<&str>) -> Result<bool, StoreError> {
    let argon2 = Argon2::default();
    match stored {
        Some(hash) => match argon2.verify_password(pin.as_bytes(), hash) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
            // The stored value is not a PHC string we can read: never show it.
            Err(_) => Err(StoreError::CorruptRow {
                column: "pin_hash",
                value: "(not shown)".to_owned(),
            }),
        },
        None => {
            // Same work as a real check; the result is thrown away.
            if let Some(dummy) = dummy_hash() {
                let _ = argon2.verify_password(pin.as_bytes(), dummy);
            }
            Ok(false)
        }
    }
}

/// A hash of a PIN nobody can type (it has letters), made once with the default parameters.
fn dummy_hash() -> Option<&'static str> {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    DUMMY
        .get_or_init(|| {
            Argon2::default()
                .hash_password_with_salt(b"no-such-pin", b"centralino-dummy-salt")
                .ok()
                .map(|hash| hash.to_string())
        })
        .as_deref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_pin_only() {
        let stored = hash("2468".into()).await.expect("hash");
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains("2468"));
        assert!(
            verify("2468".into(), Some(stored.clone()))
                .await
                .expect("verify")
        );
        assert!(
            !verify("2469".into(), Some(stored.clone()))
                .await
                .expect("verify")
        );
        let again = hash("2468".into()).await.expect("hash");
        assert_ne!(again, stored, "every hash has its own salt");
    }

    #[tokio::test]
    async fn no_stored_hash_never_matches() {
        assert!(!verify("2468".into(), None).await.expect("verify"));
        assert!(!verify("no-such-pin".into(), None).await.expect("verify"));
    }

    #[tokio::test]
    async fn an_unreadable_stored_hash_is_an_error_that_hides_it() {
        let error = verify("2468".into(), Some("plain-2468".into()))
            .await
            .unwrap_err();
        assert!(!error.to_string().contains("2468"), "{error}");
    }
}
