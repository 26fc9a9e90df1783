//! The unified names of joined (blended) fields (§6.3, `domain.md` §1.4).

/// The name a field of a related data mart is exposed under, given the relationship alias
/// path from the root (`orders.items`) and the field's path in that mart (`amount`,
/// `user.id`):
///
/// - flat field: `<aliasPath with '.'→'_'>__<field>` (`orders_items__amount`);
/// - nested field: `<prefix>__<field with '.'→'_'>__<first 8 hex of sha1("<aliasPath>|<field>")>`,
///   the hash keeping `a.b_c` and `a_b.c` apart.
pub fn blended_field_name(alias_path: &str, field: &str) -> String {
    let prefix = alias_path.replace('.', "_");
    if field.contains('.') {
        let digest = sha1_smol::Sha1::from(format!("{alias_path}|{field}"))
            .digest()
            .to_string();
        format!("{prefix}__{}__{}", field.replace('.', "_"), &digest[..8])
    } else {
        format!("{prefix}__{field}")
    }
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
        // `printf 'orders|user.id' | sha1sum` starts with dba2df0e.
        assert_eq!(
            blended_field_name("orders", "user.id"),
            "orders__user_id__dba2df0e"
        );
        assert_ne!(
            blended_field_name("a", "b.c_d"),
            blended_field_name("a", "b_c.d")
        );
    }
}
