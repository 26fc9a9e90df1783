//! A fast, allocation-light JSON syntax check for NDJSON lines: is this line one JSON value, and
//! is it an object? Used to pass rows through unchanged at full speed.
//!
//! Follows `JSON.parse` on the decoded text: the RFC 8259 grammar, whitespace = space, tab, CR,
//! LF, no nesting limit. Bytes inside strings are not checked for UTF-8 validity (the reference
//! decodes non-fatally, so invalid sequences never make a line malformed).

/// What a line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Object,
    OtherValue,
    Malformed,
}

/// Classifies one line.
pub(crate) fn classify(line: &[u8]) -> LineKind {
    let mut p = Parser {
        s: line,
        i: 0,
        stack: Vec::new(),
    };
    p.ws();
    let object = p.peek() == Some(b'{');
    match p.document() {
        Some(()) if object => LineKind::Object,
        Some(()) => LineKind::OtherValue,
        None => LineKind::Malformed,
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    stack: Vec<u8>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.i += 1)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.s[self.i..]
            .starts_with(word)
            .then(|| self.i += word.len())
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Option<()> {
        let _ = self.eat(b'-');
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.eat(b'.').is_some() && self.digits() == 0 {
            return None;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    fn string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        loop {
            let rest = &self.s[self.i..];
            // The next quote or backslash (vectorized), and no control character before it
            // (a fold without early exit, which the compiler vectorizes too).
            let at = memchr::memchr2(b'"', b'\\', rest)?;
            if rest[..at].iter().fold(false, |bad, &b| bad | (b < 0x20)) {
                return None;
            }
            self.i += at;
            match rest[at] {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => {
                    self.i += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                        b'u' => {
                            let hex = self.s.get(self.i + 1..self.i + 5)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.i += 5;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// One value, then only whitespace.
    fn document(&mut self) -> Option<()> {
        'value: loop {
            self.ws();
            match self.peek()? {
                b'{' => {
                    self.i += 1;
                    self.ws();
                    if self.eat(b'}').is_none() {
                        self.stack.push(b'{');
                        self.key()?;
                        continue 'value;
                    }
                }
                b'[' => {
                    self.i += 1;
                    self.ws();
                    if self.eat(b']').is_none() {
                        self.stack.push(b'[');
                        continue 'value;
                    }
                }
                b'"' => self.string()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => self.number()?,
            }
            // After a complete value: close containers or move to the next element.
            loop {
                self.ws();
                let Some(&top) = self.stack.last() else {
                    return (self.i == self.s.len()).then_some(());
                };
                match (self.peek()?, top) {
                    (b',', b'{') => {
                        self.i += 1;
                        self.key()?;
                        continue 'value;
                    }
                    (b',', _) => {
                        self.i += 1;
                        continue 'value;
                    }
                    (b'}', b'{') | (b']', b'[') => {
                        self.i += 1;
                        self.stack.pop();
                    }
                    _ => return None,
                }
            }
        }
    }

    /// `"key" :` inside an object.
    fn key(&mut self) -> Option<()> {
        self.ws();
        self.string()?;
        self.ws();
        self.eat(b':')
    }
}

#[cfg(test)]
mod tests {
    use super::{classify, LineKind};

    #[test]
    fn agrees_with_serde_json() {
        let cases = [
            r#"{}"#,
            r#" { } "#,
            r#"{"a":1}"#,
            r#"{"a":[1,2,{"b":null}],"c":"x\"y\\z\u00e9\/"}"#,
            r#"{"n":-0.5e+10,"m":0,"k":1E3,"t":true,"f":false}"#,
            "{\"a\":1}\r",
            r#"[]"#,
            r#"[1]"#,
            r#"1"#,
            r#""s""#,
            r#"null"#,
            r#"{"a":}"#,
            r#"{"a" 1}"#,
            r#"{"a":1,}"#,
            r#"{,}"#,
            r#"[1,]"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":1e}"#,
            r#"{"a":-}"#,
            r#"{"a":tru}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12g4"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":1}}"#,
            r#"{"a":1} x"#,
            r#"{"a":[}"#,
            r#"{"a":]}"#,
            r#"{1:2}"#,
            r#"{"a":1 "b":2}"#,
            r#"{bad json}"#,
            "",
            "   ",
            r#"{"a":"unterminated}"#,
            r#"[[[[[]]]]]"#,
            r#"{"a":{"b":{"c":{}}}}"#,
            r#"{"a":NaN}"#,
            r#"{"a":+1}"#,
            r#"{"a":[1 2]}"#,
            r#"{"a":"\ud800"}"#,
        ];
        for case in cases {
            let serde = serde_json::from_str::<serde_json::Value>(case);
            let expected = match serde {
                Ok(serde_json::Value::Object(_)) => LineKind::Object,
                Ok(_) => LineKind::OtherValue,
                Err(_) => LineKind::Malformed,
            };
            // serde_json rejects lone surrogate escapes; JSON.parse accepts them.
            let expected = if case.contains("\\ud800") {
                LineKind::Object
            } else {
                expected
            };
            assert_eq!(classify(case.as_bytes()), expected, "{case}");
        }
    }

    #[test]
    fn has_no_nesting_limit() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(classify(deep.as_bytes()), LineKind::Object);
    }
}
