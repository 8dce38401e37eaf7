//! Who may do what, as plain rules over people: the one place where role flags and agency ids are
//! compared. The web layer turns these into typed proofs (`web::policy`) that handlers take as
//! parameters; nothing else reads `is_platform_admin`, `is_agency_admin` or `is_author` to decide.

use super::users::User;

/// What an administrator administers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminScope {
    /// Every agency (a platform administrator).
    Platform,
    /// One agency (its administrator).
    Agency(i64),
}

impl AdminScope {
    /// The agency a scope is limited to; `None` for the platform.
    pub fn agency(self) -> Option<i64> {
        match self {
            AdminScope::Platform => None,
            AdminScope::Agency(a) => Some(a),
        }
    }

    pub fn covers(self, agency_id: Option<i64>) -> bool {
        match self {
            AdminScope::Platform => true,
            AdminScope::Agency(a) => agency_id == Some(a),
        }
    }
}

/// What `u` administers, if anything. An agency administrator without an agency administers
/// nothing (the role cannot exist without one; an old row that has it anyway gets no rights).
pub fn admin_scope(u: &User) -> Option<AdminScope> {
    if u.disabled {
        None
    } else if u.is_platform_admin {
        Some(AdminScope::Platform)
    } else if u.is_agency_admin {
        u.agency_id.map(AdminScope::Agency)
    } else {
        None
    }
}

/// Whether `u` administers agency `agency_id`.
pub fn administers(u: &User, agency_id: i64) -> bool {
    admin_scope(u).is_some_and(|s| s.covers(Some(agency_id)))
}

pub fn is_platform_admin(u: &User) -> bool {
    admin_scope(u) == Some(AdminScope::Platform)
}

/// Whether `actor` may see `person` in the people admin (an administrator of their agency).
pub fn sees_person(actor: &User, person: &User) -> bool {
    admin_scope(actor).is_some_and(|s| s.covers(person.agency_id))
}

/// Whether `actor` may manage `person`'s account (change roles, placement, disable it).
pub fn may_manage(actor: &User, person: &User) -> bool {
    match admin_scope(actor) {
        Some(AdminScope::Platform) => true,
        // an agency admin never manages a platform admin's account
        Some(s @ AdminScope::Agency(_)) => s.covers(person.agency_id) && !person.is_platform_admin,
        None => false,
    }
}

/// Whether `supervisor` is `member`'s direct supervisor.
pub fn supervises(supervisor: &User, member: &User) -> bool {
    member.supervisor_id == Some(supervisor.id) && member.id != supervisor.id
}

/// Whether `viewer` may see `holder`'s development record (activities and their evidence): the
/// holder, their direct supervisor, or an administrator of the holder's agency.
pub fn may_see_record(viewer: &User, holder: &User) -> bool {
    viewer.id == holder.id
        || supervises(viewer, holder)
        || admin_scope(viewer).is_some_and(|s| s.covers(holder.agency_id))
}

/// Whether `u` may open the author workspace (what they may do there is decided per course by
/// ownership).
pub fn may_author(u: &User) -> bool {
    !u.disabled && (u.is_author || is_platform_admin(u))
}

/// Whether `u` sees every course in the author workspace (not only those they own).
pub fn authors_everything(u: &User) -> bool {
    is_platform_admin(u)
}

/// The roles a person holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Roles {
    pub author: bool,
    pub agency_admin: bool,
    pub platform_admin: bool,
}

impl Roles {
    pub fn of(u: &User) -> Roles {
        Roles {
            author: u.is_author,
            agency_admin: u.is_agency_admin,
            platform_admin: u.is_platform_admin,
        }
    }
}

/// Why a role change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleRefusal {
    /// `actor` may not manage this person at all.
    NotManaged,
    /// An agency administrator changes no roles of their own.
    OwnRoles,
    /// Only a platform administrator makes or unmakes platform administrators.
    PlatformOnly,
    /// The agency-admin role needs an agency.
    NoAgency,
}

/// Whether `actor` may give `person` the roles `wanted`: an agency admin grants only within
/// their own agency, never to themselves, and never the platform role; the agency-admin role
/// needs an agency.
pub fn may_set_roles(actor: &User, person: &User, wanted: Roles) -> Result<(), RoleRefusal> {
    let scope = admin_scope(actor).ok_or(RoleRefusal::NotManaged)?;
    if !may_manage(actor, person) {
        return Err(RoleRefusal::NotManaged);
    }
    let current = Roles::of(person);
    if let AdminScope::Agency(_) = scope {
        if actor.id == person.id {
            return Err(RoleRefusal::OwnRoles);
        }
        if wanted.platform_admin != current.platform_admin {
            return Err(RoleRefusal::PlatformOnly);
        }
    }
    if wanted.agency_admin && person.agency_id.is_none() {
        return Err(RoleRefusal::NoAgency);
    }
    Ok(())
}

/// Where a person is placed: the facts that decide who administers and supervises them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Placement {
    pub agency_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub position_id: Option<i64>,
    pub supervisor_id: Option<i64>,
}

impl Placement {
    pub fn of(u: &User) -> Placement {
        Placement {
            agency_id: u.agency_id,
            unit_id: u.unit_id,
            position_id: u.position_id,
            supervisor_id: u.supervisor_id,
        }
    }
}

/// Why a placement is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlacementRefusal {
    /// `actor` may not place this person (another agency's member, or no admin at all).
    NotManaged,
    /// An agency administrator places people in their own agency only.
    OtherAgency,
    /// An agency administrator does not change their own placement.
    Own,
    /// A supervisor must belong to the member's agency, and not be the member.
    Supervisor,
    /// An agency administrator keeps an agency (the role cannot exist without one).
    AdminNeedsAgency,
}

/// Whether `actor` may place `person` at `to`. `supervisor` is the named supervisor's row (when
/// `to.supervisor_id` is set). Units and positions belonging to `to.agency_id` are checked by the
/// caller against the database.
pub fn may_place(
    actor: &User,
    person: &User,
    to: &Placement,
    supervisor: Option<&User>,
) -> Result<(), PlacementRefusal> {
    let scope = admin_scope(actor).ok_or(PlacementRefusal::NotManaged)?;
    if let AdminScope::Agency(own) = scope {
        if actor.id == person.id {
            return Err(PlacementRefusal::Own);
        }
        // their own people, or someone who belongs to no agency yet, into their own agency
        if !(person.agency_id.is_none() || person.agency_id == Some(own))
            || person.is_platform_admin
        {
            return Err(PlacementRefusal::NotManaged);
        }
        if to.agency_id.is_some_and(|a| a != own) {
            return Err(PlacementRefusal::OtherAgency);
        }
    }
    if person.is_agency_admin && to.agency_id.is_none() {
        return Err(PlacementRefusal::AdminNeedsAgency);
    }
    supervisor_fits(person.id, to, supervisor)
}

/// A supervisor is another person of the member's agency.
pub fn supervisor_fits(
    member_id: i64,
    to: &Placement,
    supervisor: Option<&User>,
) -> Result<(), PlacementRefusal> {
    match (to.supervisor_id, supervisor) {
        (None, _) => Ok(()),
        (Some(id), Some(s))
            if s.id == id
                && s.id != member_id
                && to.agency_id.is_some()
                && s.agency_id == to.agency_id
                && !s.disabled =>
        {
            Ok(())
        }
        _ => Err(PlacementRefusal::Supervisor),
    }
}

/// Whether `actor` decides a placement change request that moves a person to `target_agency`
/// (the admin of the agency the person asks to be placed in).
pub fn may_decide_request(actor: &User, target_agency: i64, requester_id: i64) -> bool {
    actor.id != requester_id && administers(actor, target_agency)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: i64, agency: Option<i64>) -> User {
        User {
            id,
            email: format!("p{id}@x.go.id"),
            name: format!("P {id}"),
            nip: None,
            password_hash: None,
            email_verified_at: None,
            agency_id: agency,
            unit_id: None,
            position_id: None,
            supervisor_id: None,
            is_author: false,
            is_agency_admin: false,
            is_platform_admin: false,
            disabled: false,
            session_version: 1,
            language: None,
        }
    }

    fn agency_admin(id: i64, agency: Option<i64>) -> User {
        User {
            is_agency_admin: true,
            ..person(id, agency)
        }
    }

    fn platform(id: i64) -> User {
        User {
            is_platform_admin: true,
            ..person(id, None)
        }
    }

    #[test]
    fn an_agency_admin_without_an_agency_administers_nothing() {
        assert_eq!(admin_scope(&agency_admin(1, None)), None);
        assert_eq!(
            admin_scope(&agency_admin(1, Some(7))),
            Some(AdminScope::Agency(7))
        );
        assert!(administers(&agency_admin(1, Some(7)), 7));
        assert!(!administers(&agency_admin(1, Some(7)), 8));
        assert!(administers(&platform(2), 8));
        let mut off = platform(3);
        off.disabled = true;
        assert_eq!(admin_scope(&off), None);
    }

    #[test]
    fn agency_admins_grant_within_their_agency_and_never_to_themselves() {
        let admin = agency_admin(1, Some(7));
        let own = person(2, Some(7));
        let other = person(3, Some(8));
        let author = Roles {
            author: true,
            ..Roles::default()
        };
        assert_eq!(may_set_roles(&admin, &own, author), Ok(()));
        assert_eq!(
            may_set_roles(&admin, &other, author),
            Err(RoleRefusal::NotManaged)
        );
        let me_author = Roles {
            author: true,
            agency_admin: true,
            platform_admin: false,
        };
        assert_eq!(
            may_set_roles(&admin, &admin, me_author),
            Err(RoleRefusal::OwnRoles)
        );
        let plat = Roles {
            platform_admin: true,
            ..Roles::default()
        };
        assert_eq!(
            may_set_roles(&admin, &own, plat),
            Err(RoleRefusal::PlatformOnly)
        );
        assert_eq!(
            may_set_roles(&admin, &platform(9), Roles::default()),
            Err(RoleRefusal::NotManaged)
        );
        let adm = Roles {
            agency_admin: true,
            ..Roles::default()
        };
        assert_eq!(
            may_set_roles(&platform(9), &person(4, None), adm),
            Err(RoleRefusal::NoAgency)
        );
        assert_eq!(may_set_roles(&platform(9), &own, adm), Ok(()));
    }

    #[test]
    fn placements_stay_inside_the_admins_agency() {
        let admin = agency_admin(1, Some(7));
        let own = person(2, Some(7));
        let loose = person(3, None);
        let other = person(4, Some(8));
        let mut sup = person(5, Some(7));
        let into_7 = Placement {
            agency_id: Some(7),
            ..Placement::default()
        };
        let into_8 = Placement {
            agency_id: Some(8),
            ..Placement::default()
        };
        assert_eq!(may_place(&admin, &own, &into_7, None), Ok(()));
        assert_eq!(may_place(&admin, &loose, &into_7, None), Ok(()));
        assert_eq!(
            may_place(&admin, &own, &into_8, None),
            Err(PlacementRefusal::OtherAgency)
        );
        assert_eq!(
            may_place(&admin, &other, &into_7, None),
            Err(PlacementRefusal::NotManaged)
        );
        assert_eq!(
            may_place(&admin, &admin, &into_8, None),
            Err(PlacementRefusal::Own)
        );
        assert_eq!(may_place(&platform(9), &other, &into_7, None), Ok(()));
        assert_eq!(
            may_place(&person(10, Some(7)), &own, &into_7, None),
            Err(PlacementRefusal::NotManaged)
        );
        // supervisors: someone else of the same agency
        let with_sup = Placement {
            supervisor_id: Some(5),
            ..into_7
        };
        assert_eq!(may_place(&admin, &own, &with_sup, Some(&sup)), Ok(()));
        sup.agency_id = Some(8);
        assert_eq!(
            may_place(&admin, &own, &with_sup, Some(&sup)),
            Err(PlacementRefusal::Supervisor)
        );
        let self_sup = Placement {
            supervisor_id: Some(2),
            ..into_7
        };
        assert_eq!(
            may_place(&admin, &own, &self_sup, Some(&own)),
            Err(PlacementRefusal::Supervisor)
        );
        // an agency admin keeps an agency
        let nowhere = Placement::default();
        assert_eq!(
            may_place(&platform(9), &agency_admin(11, Some(7)), &nowhere, None),
            Err(PlacementRefusal::AdminNeedsAgency)
        );
    }

    #[test]
    fn requests_are_decided_by_the_target_agencys_admin_not_the_requester() {
        assert!(may_decide_request(&agency_admin(1, Some(7)), 7, 2));
        assert!(!may_decide_request(&agency_admin(1, Some(7)), 8, 2));
        assert!(!may_decide_request(&agency_admin(1, Some(7)), 7, 1));
        assert!(may_decide_request(&platform(9), 8, 2));
    }
}
