//! Unified names of joined (blended) fields (`http-data.md` §6.3).

/// The unified name of `field` reached through the relationship alias path `alias_path`
/// (`orders.items`): `<alias path with '.'→'_'>__<field>` for a flat field; a nested field
/// (a dotted path) becomes `<prefix>__<field with '.'→'_'>__<first 8 hex digits of
/// sha1("<alias path>|<field>")>`, so two nested paths that read alike stay apart.
pub fn blended_field_name(alias_path: &str, field: &str) -> String {
    let prefix = alias_path.replace('.', "_");
    if !field.contains('.') {
        return format!("{prefix}__{field}");
    }
    let digest = sha1_smol::Sha1::from(format!("{alias_path}|{field}"))
        .digest()
        .to_string();
    format!("{prefix}__{}__{}", field.replace('.', "_"), &digest[..8])
}

#[cfg(test)]
mod tests {
    use super::blended_field_name;

    #[test]
    fn flat_and_nested_names() {
        assert_eq!(blended_field_name("orders", "amount"), "orders__amount");
        assert_eq!(
            blended_field_name("users.profiles", "country"),
            "users_profiles__country"
        );
        let nested = blended_field_name("orders", "user.id");
        assert_eq!(nested, "orders__user_id__dba2df0e");
        assert_ne!(nested, blended_field_name("orders", "user_id.x"));
    }
}
