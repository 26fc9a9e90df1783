//! The reference's access matrix (domain.md §1.1) for storages, data marts, destinations and
//! reports, as pure functions of the caller's role, ownership and the sharing flags. Contexts are not enforced
//! yet (see docs/compatibility.md).

use owox_contract::auth::Role;

/// What a caller may do with one storage or data mart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Actions {
    pub see: bool,
    pub use_: bool,
    pub edit: bool,
    pub delete: bool,
}

impl Actions {
    const ALL: Actions = Actions {
        see: true,
        use_: true,
        edit: true,
        delete: true,
    };
    const SEE_USE: Actions = Actions {
        see: true,
        use_: true,
        edit: false,
        delete: false,
    };
    const NONE: Actions = Actions {
        see: false,
        use_: false,
        edit: false,
        delete: false,
    };
}

/// Storage: admin all; editor owner all; viewer nothing; non-owner editor: shared for use →
/// see and use, shared for maintenance → also edit and delete.
pub fn storage_actions(
    role: Role,
    is_owner: bool,
    for_use: bool,
    for_maintenance: bool,
) -> Actions {
    match role {
        Role::Admin => Actions::ALL,
        Role::Viewer => Actions::NONE,
        Role::Editor if is_owner || for_maintenance => Actions::ALL,
        Role::Editor if for_use => Actions::SEE_USE,
        Role::Editor => Actions::NONE,
    }
}

/// Destination: admin all; any owner all; otherwise as a storage (non-owner editor: shared
/// for use → see and use, for maintenance → all; viewer nothing).
pub fn destination_actions(
    role: Role,
    is_owner: bool,
    for_use: bool,
    for_maintenance: bool,
) -> Actions {
    if is_owner {
        return Actions::ALL;
    }
    storage_actions(role, false, for_use, for_maintenance)
}

/// Data mart: admin all; editor technical owner all; business owner or viewer technical owner
/// see and use; non-owner editor: shared for reporting → see and use, for maintenance → also
/// edit and delete; non-owner viewer: shared for reporting → see and use.
pub fn data_mart_actions(
    role: Role,
    technical_owner: bool,
    business_owner: bool,
    for_reporting: bool,
    for_maintenance: bool,
) -> Actions {
    match role {
        Role::Admin => Actions::ALL,
        Role::Editor if technical_owner || for_maintenance => Actions::ALL,
        _ if technical_owner || business_owner || for_reporting => Actions::SEE_USE,
        _ => Actions::NONE,
    }
}

/// What a caller may do with one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportActions {
    /// See it (and read its rows, with USE on the data mart).
    pub see: bool,
    /// Run it and manage its triggers (`canRun`, `canManageTriggers`).
    pub operate: bool,
    /// Edit or delete it (`canEditConfig`).
    pub mutate: bool,
}

/// Report, from the reference's report access rules: it is seen with its data mart; it is
/// operated by whoever sees it and may use its destination; it is changed by whoever may edit
/// the data mart, or by an owner who may use its destination.
pub fn report_actions(data_mart: Actions, destination: Actions, is_owner: bool) -> ReportActions {
    let see = data_mart.see;
    ReportActions {
        see,
        operate: see && destination.use_,
        mutate: see && (data_mart.edit || (is_owner && destination.use_)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_matrix() {
        assert_eq!(
            storage_actions(Role::Admin, false, false, false),
            Actions::ALL
        );
        assert_eq!(
            storage_actions(Role::Viewer, true, true, true),
            Actions::NONE
        );
        assert_eq!(
            storage_actions(Role::Editor, true, false, false),
            Actions::ALL
        );
        assert_eq!(
            storage_actions(Role::Editor, false, true, false),
            Actions::SEE_USE
        );
        assert_eq!(
            storage_actions(Role::Editor, false, false, true),
            Actions::ALL
        );
        assert_eq!(
            storage_actions(Role::Editor, false, false, false),
            Actions::NONE
        );
    }

    #[test]
    fn data_mart_matrix() {
        use Role::*;
        assert_eq!(
            data_mart_actions(Admin, false, false, false, false),
            Actions::ALL
        );
        assert_eq!(
            data_mart_actions(Editor, true, false, false, false),
            Actions::ALL
        );
        assert_eq!(
            data_mart_actions(Viewer, true, false, false, false),
            Actions::SEE_USE
        );
        assert_eq!(
            data_mart_actions(Editor, false, true, false, false),
            Actions::SEE_USE
        );
        assert_eq!(
            data_mart_actions(Editor, false, false, true, false),
            Actions::SEE_USE
        );
        assert_eq!(
            data_mart_actions(Editor, false, false, false, true),
            Actions::ALL
        );
        assert_eq!(
            data_mart_actions(Editor, false, false, true, true),
            Actions::ALL
        );
        assert_eq!(
            data_mart_actions(Viewer, false, false, true, true),
            Actions::SEE_USE
        );
        assert_eq!(
            data_mart_actions(Viewer, false, false, false, true),
            Actions::NONE
        );
        assert_eq!(
            data_mart_actions(Editor, false, false, false, false),
            Actions::NONE
        );
    }

    #[test]
    fn report_matrix() {
        let none = Actions::NONE;
        let see_use = Actions::SEE_USE;
        let all = Actions::ALL;
        let r = |dm, dest, owner| report_actions(dm, dest, owner);
        assert_eq!(r(none, all, true), ReportActions::default());
        assert_eq!(
            r(see_use, none, true),
            ReportActions {
                see: true,
                operate: false,
                mutate: false
            }
        );
        assert_eq!(
            r(see_use, see_use, true),
            ReportActions {
                see: true,
                operate: true,
                mutate: true
            }
        );
        assert_eq!(
            r(see_use, see_use, false),
            ReportActions {
                see: true,
                operate: true,
                mutate: false
            }
        );
        assert_eq!(
            r(all, none, false),
            ReportActions {
                see: true,
                operate: false,
                mutate: true
            }
        );
    }
}
