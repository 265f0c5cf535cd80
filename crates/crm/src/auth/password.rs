//! Passwords: argon2id hashes as PHC strings, what a new password must be, and which stored
//! hashes the CRM accepts.
//!
//! Hashing and verifying are deliberately slow (tens of milliseconds each, by design of
//! argon2): the functions here block, and the async code calls them through
//! `tokio::task::spawn_blocking` with a bound on how many run at once (see `sessions.rs`).

use std::fmt;

use argon2::password_hash::PasswordHasher;
use argon2::{Algorithm, Argon2, Params, PasswordVerifier, Version};
use crm_store::PasswordHash;

/// Shortest password the API accepts for a new password (NIST SP 800-63B, 5.1.1.2: at least 8).
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest password, in bytes: long enough for any passphrase, short enough to bound the work.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// The most memory a stored hash may ask a verification to use (1 GiB, in KiB): a hash with
/// absurd parameters in the configuration must not take the CRM down at the first login.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 16;

/// A password as received: `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    /// The password itself. Every call site is where it leaves the wrapper.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether it may become someone's password: 8 to 1024 bytes, not only spaces.
    pub fn check_new(&self) -> Result<(), PasswordError> {
        if self.0.len() < MIN_PASSWORD_LEN || self.0.trim().is_empty() {
            return Err(PasswordError::TooShort);
        }
        if self.0.len() > MAX_PASSWORD_LEN {
            return Err(PasswordError::TooLong);
        }
        Ok(())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Why a password or a hash was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordError {
    #[error("a password is at least 8 characters")]
    TooShort,
    #[error("a password is at most 1024 bytes")]
    TooLong,
    #[error("not a PHC string of an argon2 hash ($argon2id$v=19$m=...,t=...,p=...$salt$hash)")]
    NotArgon2,
    #[error("the hash asks for more than 1 GiB of memory, 64 iterations or 16 lanes")]
    TooCostly,
    #[error("invalid argon2 cost: memory at least 8 KiB per lane, at least 1 iteration and 1 lane")]
    InvalidCost,
    #[error("password hashing failed")]
    Hashing,
}

/// The argon2id cost of new hashes. The default is the argon2 crate's (19 MiB, 2 iterations,
/// 1 lane: OWASP's recommended minimum); verification always uses the cost written in the
/// hash, so changing this affects new hashes only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl HashCost {
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, PasswordError> {
        if memory_kib > MAX_MEMORY_KIB
            || iterations > MAX_ITERATIONS
            || parallelism > MAX_PARALLELISM
        {
            return Err(PasswordError::TooCostly);
        }
        Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|_| PasswordError::InvalidCost)?;
        Ok(Self {
            memory_kib,
            iterations,
            parallelism,
        })
    }

    /// Cheap hashes (64 KiB, 1 iteration) for tests, where every login would otherwise cost
    /// a real hash. Never for a real installation.
    pub fn cheap_for_tests() -> Self {
        Self {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    fn hasher(self) -> Argon2<'static> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .expect("checked by HashCost::new, or the cheap constants that satisfy argon2's rules");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

impl Default for HashCost {
    fn default() -> Self {
        Self {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
        }
    }
}

/// Hashes `password` with a fresh random salt (from the operating system). Blocks.
pub fn hash_password(password: &Password, cost: HashCost) -> Result<PasswordHash, PasswordError> {
    let phc = cost
        .hasher()
        .hash_password(password.expose().as_bytes())
        .map_err(|_| PasswordError::Hashing)?
        .to_string();
    PasswordHash::new(phc).map_err(|_| PasswordError::Hashing)
}

/// Whether `password` matches `hash`, at the cost written in the hash. A hash the CRM cannot
/// read matches nothing. Blocks.
pub fn verify_password(password: &Password, hash: &PasswordHash) -> bool {
    let Ok(parsed) = check_password_hash(hash.as_str()) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.expose().as_bytes(), &parsed)
        .is_ok()
}

/// Accepts a PHC string the CRM can verify: an argon2 hash (argon2id, or argon2i/argon2d made
/// elsewhere) with a salt, an output, and a bounded cost.
pub fn check_password_hash(phc: &str) -> Result<argon2::PasswordHash, PasswordError> {
    let parsed = argon2::PasswordHash::new(phc).map_err(|_| PasswordError::NotArgon2)?;
    Algorithm::try_from(parsed.algorithm.as_str()).map_err(|_| PasswordError::NotArgon2)?;
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err(PasswordError::NotArgon2);
    }
    let params = Params::try_from(&parsed).map_err(|_| PasswordError::NotArgon2)?;
    if params.m_cost() > MAX_MEMORY_KIB
        || params.t_cost() > MAX_ITERATIONS
        || params.p_cost() > MAX_PARALLELISM
    {
        return Err(PasswordError::TooCostly);
    }
    Ok(parsed)
}

/// [`check_password_hash`], as the store's type.
pub fn parse_password_hash(phc: &str) -> Result<PasswordHash, PasswordError> {
    check_password_hash(phc)?;
    PasswordHash::new(phc).map_err(|_| PasswordError::NotArgon2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let password = Password::new("correct horse battery staple");
        let hash = hash_password(&password, HashCost::cheap_for_tests()).unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(verify_password(&password, &hash));
        assert!(!verify_password(
            &Password::new("correct horse battery stapl"),
            &hash
        ));
        let again = hash_password(&password, HashCost::cheap_for_tests()).unwrap();
        assert_ne!(hash, again, "a fresh salt every time");
    }

    #[test]
    fn the_default_cost_is_argon2s_recommendation() {
        let hash = hash_password(&Password::new("password1"), HashCost::default()).unwrap();
        assert!(
            hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{:?}",
            hash.as_str()
        );
    }

    #[test]
    fn only_bounded_argon2_hashes_are_accepted() {
        let good = hash_password(&Password::new("password1"), HashCost::cheap_for_tests()).unwrap();
        assert!(parse_password_hash(good.as_str()).is_ok());
        for bad in [
            "",
            "demo1001",
            "$2b$12$abcdefghijklmnopqrstuuKc3jGnZaHRc2r6r6xgS1n5Z5nBtn3aO",
            "$argon2id$v=19$m=19456,t=2,p=1",
            "$md5$abc$def",
        ] {
            assert_eq!(
                parse_password_hash(bad).unwrap_err(),
                PasswordError::NotArgon2,
                "{bad}"
            );
        }
        let costly = good.as_str().replace("m=64", "m=4194304");
        assert_eq!(
            parse_password_hash(&costly).unwrap_err(),
            PasswordError::TooCostly
        );
        assert!(!verify_password(
            &Password::new("password1"),
            &PasswordHash::new(costly).unwrap()
        ));
    }

    #[test]
    fn new_passwords_have_a_length() {
        assert_eq!(
            Password::new("short").check_new(),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            Password::new("        ").check_new(),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            Password::new("x".repeat(1025)).check_new(),
            Err(PasswordError::TooLong)
        );
        assert!(Password::new("demo1001").check_new().is_ok());
        assert_eq!(
            format!("{:?}", Password::new("demo1001")),
            "Password(<redacted>)"
        );
    }

    #[test]
    fn costs_are_bounded() {
        assert!(HashCost::new(19456, 2, 1).is_ok());
        assert_eq!(HashCost::new(4, 1, 1), Err(PasswordError::InvalidCost));
        assert_eq!(HashCost::new(1 << 21, 1, 1), Err(PasswordError::TooCostly));
    }
}
