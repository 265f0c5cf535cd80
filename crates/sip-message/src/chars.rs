//! Character classes of the RFC 3261 section 25 grammar, and a small byte cursor.
//!
//! All delimiters in SIP are ASCII, and UTF-8 continuation bytes are never ASCII, so slicing a
//! `&str` at a position where an ASCII delimiter was found is always on a char boundary.

/// `alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"` (RFC 3261 25.1, token).
pub(crate) fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// `unreserved = alphanum / mark` (RFC 3261 25.1).
pub(crate) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

/// Characters allowed unescaped in the user part (`unreserved / user-unreserved`).
pub(crate) fn is_user_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/')
}

/// Characters allowed unescaped in the password part.
pub(crate) fn is_password_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'&' | b'=' | b'+' | b'$' | b',')
}

/// `paramchar` minus `escaped`: `param-unreserved / unreserved`.
pub(crate) fn is_param_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$')
}

/// `hnv-unreserved / unreserved`, for URI header names and values.
pub(crate) fn is_hnv_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$')
}

/// `word` of Call-ID (RFC 3261 25.1).
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'!'
                | b'%'
                | b'*'
                | b'_'
                | b'+'
                | b'`'
                | b'\''
                | b'~'
                | b'('
                | b')'
                | b'<'
                | b'>'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'{'
                | b'}'
        )
}

/// Characters of a hostname or IPv4 literal.
pub(crate) fn is_host_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
}

pub(crate) fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

pub(crate) fn is_token_str(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token)
}

/// A forward-only cursor over an unfolded header value.
pub(crate) struct Cursor<'a> {
    pub(crate) s: &'a str,
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        Cursor { s, pos: 0 }
    }
    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    /// Skips linear white space; values are unfolded before they get here, so LWS is SP/HT.
    pub(crate) fn skip_lws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_wsp) {
            self.pos += 1;
        }
        self.pos > start
    }
    pub(crate) fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }
    pub(crate) fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    /// Parses a `quoted-string` (RFC 3261 25.1) starting at the opening quote. Returns the raw
    /// text including quotes and the unescaped content.
    pub(crate) fn quoted_string(&mut self) -> Result<(&'a str, String), &'static str> {
        let start = self.pos;
        if !self.eat(b'"') {
            return Err("expected quoted string");
        }
        let mut content = String::new();
        let mut run_start = self.pos;
        loop {
            match self.peek() {
                None => return Err("unterminated quoted string"),
                Some(b'"') => {
                    content.push_str(&self.s[run_start..self.pos]);
                    self.pos += 1;
                    return Ok((&self.s[start..self.pos], content));
                }
                Some(b'\\') => {
                    content.push_str(&self.s[run_start..self.pos]);
                    // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
                    match self.s.as_bytes().get(self.pos + 1) {
                        Some(&b) if b <= 0x7f && b != b'\r' && b != b'\n' => {
                            content.push(b as char);
                            self.pos += 2;
                            run_start = self.pos;
                        }
                        _ => return Err("invalid escape in quoted string"),
                    }
                }
                // qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII
                Some(b) if b == b' ' || b == b'\t' || b >= 0x21 => self.pos += 1,
                Some(_) => return Err("control character in quoted string"),
            }
        }
    }
}

/// Decodes `%HH` escapes, accepting other bytes only if `allowed`.
pub(crate) fn unescape(s: &str, allowed: fn(u8) -> bool) -> Result<String, &'static str> {
    if !s.contains('%') {
        return if s.bytes().all(allowed) {
            Ok(s.to_owned())
        } else {
            Err("invalid character in uri")
        };
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = b.get(i + 1).and_then(|c| (*c as char).to_digit(16));
            let lo = b.get(i + 2).and_then(|c| (*c as char).to_digit(16));
            match (hi, lo) {
                // Both digits are < 16, so the sum fits a byte.
                (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                _ => return Err("invalid escape in uri"),
            }
            i += 3;
        } else if allowed(b[i]) {
            out.push(b[i]);
            i += 1;
        } else {
            return Err("invalid character in uri");
        }
    }
    String::from_utf8(out).map_err(|_| "uri escapes do not decode to utf-8")
}

/// Escapes every byte not `allowed` as `%HH`.
pub(crate) fn escape_into(out: &mut String, s: &str, allowed: fn(u8) -> bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if allowed(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_decodes_and_validates() {
        assert_eq!(unescape("%75se%72", is_user_char).unwrap(), "user");
        assert_eq!(
            unescape("null-%00-null", is_user_char).unwrap(),
            "null-\0-null"
        );
        assert!(unescape("a%4", is_user_char).is_err());
        assert!(unescape("a b", is_user_char).is_err());
        assert!(unescape("%FF", is_user_char).is_err());
    }

    #[test]
    fn escape_round_trips() {
        let mut s = String::new();
        escape_into(&mut s, "I have@spaces", is_user_char);
        assert_eq!(s, "I%20have%40spaces");
        assert_eq!(unescape(&s, is_user_char).unwrap(), "I have@spaces");
    }

    #[test]
    fn quoted_string_unescapes() {
        let mut c = Cursor::new(r#""J Rosenberg \\\"" rest"#);
        let (raw, content) = c.quoted_string().unwrap();
        assert_eq!(raw, r#""J Rosenberg \\\"""#);
        assert_eq!(content, r#"J Rosenberg \""#);
        assert!(Cursor::new("\"open").quoted_string().is_err());
    }
}
