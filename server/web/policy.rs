//! Typed proofs of rights, built once per request from the session (and, where the right is about
//! one agency, from the path). A handler that takes [`AgencyAdmin`] has been proven to administer
//! the agency in its path; one that takes [`AdminOf`] knows what its caller administers. The rules
//! themselves live in [`crate::accounts::rights`]; no handler compares role flags or agency ids.
//!
//! Refusals: not logged in → `Unauthorized` (login page or 401); logged in without the right →
//! `Forbidden`.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;

use super::auth::{CurrentUser, Session};
use super::csrf::CsrfForm;
use super::state::AppState;
use crate::accounts::orgs::Agency;
use crate::accounts::rights::{self, AdminScope};
use crate::accounts::users::User;
use crate::catalog::workspace;
use crate::competency::evaluation::Scope;
use crate::db::DbConnection;
use crate::error::AppError;

fn session_user(req: &HttpRequest) -> Result<Arc<User>, AppError> {
    req.extensions()
        .get::<Session>()
        .map(|s| s.user.clone())
        .ok_or(AppError::Unauthorized)
}

macro_rules! proof_extractor {
    ($ty:ty, $build:expr) => {
        impl FromRequest for $ty {
            type Error = actix_web::Error;
            type Future = Ready<Result<Self, Self::Error>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let build: fn(&HttpRequest) -> Result<$ty, AppError> = $build;
                ready(build(req).map_err(Into::into))
            }
        }
    };
}

/// A platform administrator.
#[derive(Debug, Clone)]
pub struct PlatformAdmin(pub CurrentUser);

proof_extractor!(PlatformAdmin, |req| {
    let user = session_user(req)?;
    if rights::is_platform_admin(&user) {
        Ok(PlatformAdmin(CurrentUser(user)))
    } else {
        Err(AppError::Forbidden)
    }
});

/// An administrator of something: the platform, or one agency.
#[derive(Debug, Clone)]
pub struct AdminOf {
    pub user: CurrentUser,
    pub scope: AdminScope,
}

impl AdminOf {
    /// The agency the administrator is limited to; `None` for a platform admin.
    pub fn agency(&self) -> Option<i64> {
        self.scope.agency()
    }

    pub fn is_platform(&self) -> bool {
        self.scope == AdminScope::Platform
    }

    /// Proof that this administrator administers `agency_id` (an agency named in a form or a
    /// query rather than the path).
    pub fn of_agency(&self, agency_id: i64) -> Result<AgencyAdmin, AppError> {
        AgencyAdmin::prove(&self.user, agency_id)
    }

    /// Whether this administrator sees `person` in the people admin.
    pub fn sees(&self, person: &User) -> bool {
        rights::sees_person(&self.user, person)
    }

    /// Whether this administrator manages `person`.
    pub fn manages(&self, person: &User) -> bool {
        rights::may_manage(&self.user, person)
    }
}

proof_extractor!(AdminOf, |req| {
    let user = session_user(req)?;
    match rights::admin_scope(&user) {
        Some(scope) => Ok(AdminOf {
            user: CurrentUser(user),
            scope,
        }),
        None => Err(AppError::Forbidden),
    }
});

/// An administrator of the agency `agency_id`: taken from the path of `/admin/agencies/{id}/…`
/// and `/api/v1/agencies/{id}/…` routes, or proven with [`AgencyAdmin::prove`].
#[derive(Debug, Clone)]
pub struct AgencyAdmin {
    pub user: CurrentUser,
    agency_id: i64,
}

impl AgencyAdmin {
    pub fn prove(user: &CurrentUser, agency_id: i64) -> Result<AgencyAdmin, AppError> {
        if rights::administers(user, agency_id) {
            Ok(AgencyAdmin {
                user: user.clone(),
                agency_id,
            })
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn agency_id(&self) -> i64 {
        self.agency_id
    }

    pub fn is_platform(&self) -> bool {
        rights::is_platform_admin(&self.user)
    }

    /// The agency administered (`NotFound` when there is no such agency: the right is checked
    /// first, so an agency admin learns nothing about other agencies).
    pub async fn agency(
        &self,
        db: &crate::db::Db,
    ) -> Result<crate::accounts::orgs::Agency, AppError> {
        let id = self.agency_id;
        db.run(move |conn| Ok::<_, AppError>(crate::accounts::orgs::agency(conn, id)?))
            .await?
            .ok_or(AppError::NotFound)
    }
}

/// The [`AgencyAdmin`] proof of a request whose path names the agency (`{id}`).
fn agency_admin(req: &HttpRequest) -> Result<AgencyAdmin, AppError> {
    let pattern = req.match_pattern().unwrap_or_default();
    if !(pattern.starts_with("/admin/agencies/{id}")
        || pattern.starts_with("/api/v1/agencies/{id}"))
    {
        return Err(AppError::Internal(format!(
            "AgencyAdmin taken on {pattern}, which names no agency"
        )));
    }
    let user = session_user(req)?;
    let id = req
        .match_info()
        .get("id")
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or(AppError::NotFound)?;
    AgencyAdmin::prove(&CurrentUser(user), id)
}

proof_extractor!(AgencyAdmin, agency_admin);

/// An agency administrator with the agency they administer loaded: [`AgencyAdmin`] and the
/// agency's row (`NotFound` when there is no such agency; the right is checked first).
pub struct Administered {
    pub admin: AgencyAdmin,
    pub agency: Agency,
}

/// [`Administered`] on a page about one item of the agency (a unit, a position:
/// `/admin/agencies/{id}/…/{item_id}`): the agency and the item's id, the path's last parameter
/// other than `id` (so a route must end with the item). Whether the item belongs to the agency is
/// for the handler's query to decide (`NotFound` if not).
pub struct AgencyItem {
    pub admin: AgencyAdmin,
    pub agency: Agency,
    pub id: i64,
}

type Loading<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

/// What an agency admin's handler loads once the right is proven: the right is decided from the
/// request alone ([`Place::prove`]), the rows are read afterwards ([`Place::load`]), so that a
/// posted form's CSRF token is checked in between ([`Posted`]).
pub trait Place: Sized + 'static {
    type Proof: 'static;
    fn prove(req: &HttpRequest) -> Result<Self::Proof, AppError>;
    fn load(proof: Self::Proof) -> Loading<Self>;
}

impl Place for Administered {
    type Proof = (AgencyAdmin, actix_web::web::Data<crate::db::Db>);

    fn prove(req: &HttpRequest) -> Result<Self::Proof, AppError> {
        let admin = agency_admin(req)?;
        Ok((admin, AppState::of(req)?.db.clone()))
    }

    fn load((admin, db): Self::Proof) -> Loading<Self> {
        Box::pin(async move {
            let agency = admin.agency(&db).await?;
            Ok(Administered { admin, agency })
        })
    }
}

impl Place for AgencyItem {
    type Proof = (<Administered as Place>::Proof, Option<i64>);

    fn prove(req: &HttpRequest) -> Result<Self::Proof, AppError> {
        let item = req
            .match_info()
            .iter()
            .filter(|(name, _)| *name != "id")
            .last()
            .and_then(|(_, v)| v.parse::<i64>().ok());
        Ok((Administered::prove(req)?, item))
    }

    fn load((proof, item): Self::Proof) -> Loading<Self> {
        Box::pin(async move {
            let Administered { admin, agency } = Administered::load(proof).await?;
            let id = item.ok_or(AppError::NotFound)?;
            Ok(AgencyItem { admin, agency, id })
        })
    }
}

macro_rules! place_extractor {
    ($ty:ty) => {
        impl FromRequest for $ty {
            type Error = actix_web::Error;
            type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let proof = <$ty as Place>::prove(req);
                Box::pin(async move { Ok(<$ty as Place>::load(proof?).await?) })
            }
        }
    };
}

place_extractor!(Administered);
place_extractor!(AgencyItem);

/// A form an agency admin posts about their agency (or an item of it), in the order the checks
/// must run: the right, then the CSRF token and the form, then the agency's rows. (Separate
/// extractors would be polled together, so a missing agency could answer before a bad token.)
pub struct Posted<A, F> {
    pub at: A,
    pub form: CsrfForm<F>,
}

impl<A: Place, F: DeserializeOwned + 'static> FromRequest for Posted<A, F> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let proof = A::prove(req);
        let form = CsrfForm::<F>::from_request(req, payload);
        Box::pin(async move {
            let proof = proof?;
            let form = form.await?;
            let at = A::load(proof).await?;
            Ok(Posted { at, form })
        })
    }
}

/// Someone who may open the author workspace; what they may change is decided per course by
/// ownership ([`Author::owns`]).
#[derive(Debug, Clone)]
pub struct Author {
    pub user: CurrentUser,
}

impl Author {
    /// The workspace identity: their own courses, or every course for a platform admin.
    pub fn workspace(&self) -> workspace::Author {
        workspace::Author {
            user_id: self.user.id,
            all: rights::authors_everything(&self.user),
        }
    }
}

proof_extractor!(Author, |req| {
    let user = session_user(req)?;
    if rights::may_author(&user) {
        Ok(Author {
            user: CurrentUser(user),
        })
    } else {
        Err(AppError::Forbidden)
    }
});

/// The supervisor of one person (`member`): proven against the member's row.
#[derive(Debug, Clone)]
pub struct SupervisorOf {
    pub supervisor_id: i64,
    pub member: User,
}

impl SupervisorOf {
    /// `Some` when `me` is `member`'s direct supervisor.
    pub fn check(me: &User, member: User) -> Option<SupervisorOf> {
        rights::supervises(me, &member).then_some(SupervisorOf {
            supervisor_id: me.id,
            member,
        })
    }
}

/// Who may read course results (evaluations, quiz statistics), and whose answers they see.
#[derive(Debug, Clone)]
pub struct ResultsViewer {
    pub user: CurrentUser,
    admin: Option<AdminScope>,
}

proof_extractor!(ResultsViewer, |req| {
    let user = session_user(req)?;
    let admin = rights::admin_scope(&user);
    if admin.is_some() || rights::may_author(&user) {
        Ok(ResultsViewer {
            user: CurrentUser(user),
            admin,
        })
    } else {
        Err(AppError::Forbidden)
    }
});

impl ResultsViewer {
    /// Whose answers to course `course_id` this viewer sees: a platform admin and the course's
    /// owners everyone's; an agency admin their agency's people; anyone else none (`None`).
    pub fn scope_for(
        &self,
        conn: &mut DbConnection,
        course_id: i64,
    ) -> Result<Option<Scope>, crate::db::DbError> {
        if self.admin == Some(AdminScope::Platform) {
            return Ok(Some(Scope::All));
        }
        let who = workspace::Author {
            user_id: self.user.id,
            all: false,
        };
        if workspace::owns_course(conn, who, course_id)? {
            return Ok(Some(Scope::All));
        }
        Ok(match self.admin {
            Some(AdminScope::Agency(a)) => Some(Scope::Agency(a)),
            _ => None,
        })
    }

    /// The scope of the overview across courses: everyone's for a platform admin, the agency's
    /// for an agency admin; an author who is neither sees only their own courses (`None`).
    pub fn overview_scope(&self) -> Option<Scope> {
        match self.admin {
            Some(AdminScope::Platform) => Some(Scope::All),
            Some(AdminScope::Agency(a)) => Some(Scope::Agency(a)),
            None => None,
        }
    }

    /// Whose answers to the course `slug` this viewer sees; `NotFound` when there is no such
    /// course, `Forbidden` when the viewer sees none.
    pub fn scope_for_slug(&self, conn: &mut DbConnection, slug: &str) -> Result<Scope, AppError> {
        let every = workspace::Author {
            user_id: self.user.id,
            all: true,
        };
        let course_id = match workspace::owned(conn, every, slug) {
            Ok(id) => id,
            Err(workspace::AuthorError::Db(e)) => return Err(AppError::Db(e)),
            Err(_) => return Err(AppError::NotFound),
        };
        self.scope_for(conn, course_id)?.ok_or(AppError::Forbidden)
    }

    /// The courses this viewer owns (their answers are seen whole, whatever the admin scope).
    pub fn owned_slugs(&self, conn: &mut DbConnection) -> Result<Vec<String>, crate::db::DbError> {
        let who = workspace::Author {
            user_id: self.user.id,
            all: false,
        };
        Ok(workspace::courses_of(conn, who)?
            .into_iter()
            .map(|c| c.slug)
            .collect())
    }
}

macro_rules! deref_user {
    ($ty:ty, $($field:tt)+) => {
        impl std::ops::Deref for $ty {
            type Target = User;
            fn deref(&self) -> &User {
                &self.$($field)+
            }
        }
    };
}

deref_user!(PlatformAdmin, 0);
deref_user!(AdminOf, user);
deref_user!(AgencyAdmin, user);
deref_user!(Author, user);
deref_user!(ResultsViewer, user);
