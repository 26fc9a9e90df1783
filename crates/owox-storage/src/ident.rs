//! `fullyQualifiedName` parsing and identifier quoting (pure).

use crate::StorageError;

/// Splits a `fullyQualifiedName` (`table`, `schema.table` or `catalog.schema.table`) into its
/// parts. Parts are separated by `.`; a part may be written in double quotes (with `""` for a
/// quote inside) to contain dots. Every part must be non-empty.
pub fn parse_qualified_name(name: &str) -> Result<Vec<String>, StorageError> {
    let invalid = |why: &str| {
        StorageError::InvalidDefinition(format!(
            "Invalid fully qualified name \"{name}\": {why}. Expected table, schema.table or catalog.schema.table"
        ))
    };
    if name.trim().is_empty() {
        return Err(invalid("it is empty"));
    }
    if name.contains('\0') {
        return Err(invalid("it contains a NUL character"));
    }
    let mut parts = Vec::new();
    let mut chars = name.chars().peekable();
    loop {
        let mut part = String::new();
        let mut quoted = false;
        if chars.peek() == Some(&'"') {
            quoted = true;
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(invalid("a quoted part is not closed")),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some(c) => part.push(c),
                }
            }
            match chars.peek() {
                None | Some('.') => {}
                Some(_) => return Err(invalid("unexpected text after a quoted part")),
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                if c == '"' {
                    return Err(invalid("a quote inside an unquoted part"));
                }
                part.push(c);
                chars.next();
            }
        }
        if !quoted && part.trim().is_empty() {
            return Err(invalid("a part is empty"));
        }
        if quoted && part.is_empty() {
            return Err(invalid("a part is empty"));
        }
        if !quoted && part.trim() != part {
            return Err(invalid("a part starts or ends with spaces"));
        }
        parts.push(part);
        match chars.next() {
            None => break,
            Some('.') => continue,
            Some(_) => unreachable!("parts end at a dot or the end"),
        }
    }
    if parts.len() > 3 {
        return Err(invalid("it has more than three parts"));
    }
    Ok(parts)
}

/// Quotes one identifier with double quotes, doubling quotes inside.
pub fn quote_ident(part: &str) -> String {
    format!("\"{}\"", part.replace('"', "\"\""))
}

/// Parses and quotes a `fullyQualifiedName`: `"catalog"."schema"."table"`.
pub fn quote_qualified_name(name: &str) -> Result<String, StorageError> {
    Ok(parse_qualified_name(name)?
        .iter()
        .map(|p| quote_ident(p))
        .collect::<Vec<_>>()
        .join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(name: &str) -> Vec<String> {
        parse_qualified_name(name).unwrap()
    }

    #[test]
    fn parts() {
        assert_eq!(ok("orders"), ["orders"]);
        assert_eq!(ok("main.orders"), ["main", "orders"]);
        assert_eq!(ok("shop.main.orders"), ["shop", "main", "orders"]);
        assert_eq!(
            ok("\"my.schema\".\"Order \"\"X\"\"\""),
            ["my.schema", "Order \"X\""]
        );
        assert_eq!(ok("Заказы"), ["Заказы"]);
    }

    #[test]
    fn refused() {
        for bad in [
            "", "  ", ".", "a.", ".a", "a..b", "a.b.c.d", "\"a", "\"\".a", "a\"b", "\"a\"b", " a",
            "a\0b",
        ] {
            let err = parse_qualified_name(bad).unwrap_err();
            assert!(
                matches!(err, StorageError::InvalidDefinition(ref m) if m.contains("Invalid fully qualified name")),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(
            quote_qualified_name("s.t\"x").unwrap_err(),
            parse_qualified_name("s.t\"x").unwrap_err()
        );
        assert_eq!(
            quote_qualified_name("\"a\"\"b\".t").unwrap(),
            "\"a\"\"b\".\"t\""
        );
        assert_eq!(
            quote_qualified_name("main.orders").unwrap(),
            "\"main\".\"orders\""
        );
    }
}
