//! Page tokens and page sizes of the `centralino.crm.v1.Crm` lists.
//!
//! A token is opaque to clients: hex of `v1|<position>|<snapshot>|<filter digest>`. The
//! position is where the next page starts (an offset, or the last history entry's sequence
//! number). The snapshot bounds the SR lists to the SRs opened before the first page was
//! read, so that SRs opened meanwhile do not shift later pages (the lists are newest first).
//! The digest ties a token to the filters it was made for: a token sent with other filters
//! is refused instead of answering a page of something else. Tokens are not secret and need
//! not be: a forged one can only ask for a page the caller may read anyway, and offsets are
//! bounded by the store.

use sha2::{Digest, Sha256};

use crate::CrmError;

/// A page size asked for: 0 means `default`, above `max` is refused.
pub(crate) fn page_size(asked: u32, default: u32, max: u32) -> Result<u32, CrmError> {
    match asked {
        0 => Ok(default),
        n if n <= max => Ok(n),
        _ => Err(CrmError::InvalidArgument(
            "page_size is above the maximum of this list (see crm.proto)",
        )),
    }
}

/// What a page token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct PageToken {
    /// Where the next page starts.
    pub(crate) position: u64,
    /// SR lists: only SRs opened before this instant (unix ms).
    pub(crate) snapshot_until_unix_ms: Option<i64>,
}

const BAD_TOKEN: CrmError = CrmError::InvalidArgument(
    "page_token is not one this list gave for these filters: start again without it",
);

/// A digest of a list's filters, from their parts (each length-prefixed, so that parts cannot
/// run into each other).
pub(crate) fn filter_digest(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl PageToken {
    pub(crate) fn encode(self, digest: &str) -> String {
        let snapshot = self
            .snapshot_until_unix_ms
            .map_or_else(String::new, |ms| ms.to_string());
        let plain = format!("v1|{}|{snapshot}|{digest}", self.position);
        plain.bytes().map(|b| format!("{b:02x}")).collect()
    }

    /// The token of a request; `None` for the first page (an empty token).
    pub(crate) fn decode(token: &str, digest: &str) -> Result<Option<Self>, CrmError> {
        if token.is_empty() {
            return Ok(None);
        }
        // A real token is well under 200 hex digits.
        if token.len() > 256 || !token.len().is_multiple_of(2) {
            return Err(BAD_TOKEN);
        }
        let bytes = (0..token.len())
            .step_by(2)
            .map(|i| {
                token
                    .get(i..i + 2)
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or(BAD_TOKEN)?;
        let plain = String::from_utf8(bytes).map_err(|_| BAD_TOKEN)?;
        let mut parts = plain.split('|');
        let (Some("v1"), Some(position), Some(snapshot), Some(found), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(BAD_TOKEN);
        };
        if found != digest {
            return Err(BAD_TOKEN);
        }
        let position = position.parse().map_err(|_| BAD_TOKEN)?;
        let snapshot_until_unix_ms = if snapshot.is_empty() {
            None
        } else {
            Some(snapshot.parse().map_err(|_| BAD_TOKEN)?)
        };
        Ok(Some(Self {
            position,
            snapshot_until_unix_ms,
        }))
    }

    /// The offset of an offset-paged list, within `max`.
    pub(crate) fn offset(self, max: u32) -> Result<u32, CrmError> {
        u32::try_from(self.position)
            .ok()
            .filter(|offset| *offset <= max)
            .ok_or(BAD_TOKEN)
    }
}

/// Cuts a page fetched with one entry more than `size`: the page, and whether more follow.
pub(crate) fn split_page<T>(mut rows: Vec<T>, size: u32) -> (Vec<T>, bool) {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let more = rows.len() > size;
    rows.truncate(size);
    (rows, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_belong_to_their_filters() {
        let digest = filter_digest(&["queue", "technology"]);
        let token = PageToken {
            position: 100,
            snapshot_until_unix_ms: Some(1_772_445_600_001),
        };
        let text = token.encode(&digest);
        assert_eq!(PageToken::decode(&text, &digest).unwrap(), Some(token));
        assert_eq!(PageToken::decode("", &digest).unwrap(), None);
        let other = filter_digest(&["queue", "technolog", "y"]);
        assert_ne!(digest, other);
        assert!(PageToken::decode(&text, &other).is_err());
        for bad in ["zz", "abc", &"00".repeat(200), "7631"] {
            assert!(PageToken::decode(bad, &digest).is_err(), "{bad}");
        }
    }

    #[test]
    fn page_sizes_have_a_default_and_a_ceiling() {
        assert_eq!(page_size(0, 50, 100).unwrap(), 50);
        assert_eq!(page_size(100, 50, 100).unwrap(), 100);
        assert!(page_size(101, 50, 100).is_err());
        assert_eq!(split_page(vec![1, 2, 3], 2), (vec![1, 2], true));
        assert_eq!(split_page(vec![1, 2], 2), (vec![1, 2], false));
    }
}
