//! The account page's linked sign-in providers: the list, "Link
//! <Provider>" (the browser link flow of `POST /auth/oauth/{provider}/link`,
//! started from a form) and "Unlink".
//!
//! # Linking needs a fresh sign-in
//!
//! Linking adds a way into the account, so, as in the JSON API (which
//! wants a fresh token), a page session must show it is the account
//! holder now, not just someone at a browser left signed in. A session is
//! fresh while the access cookie minted at sign-in lives; once it has been
//! renewed from the refresh cookie it is not, and the link form then asks
//! for the current password, checked like a sign-in (wrong ones count
//! toward the account's failed-login limit). Asking in the form keeps the
//! person on the page; a re-authentication round trip through `/login`
//! would have to carry the link intent across a sign-in that already
//! finds them signed in. Someone who signed up through a provider and has
//! no password signs out and in again to get a fresh session.
//!
//! # Why the form answers with a page, not a redirect
//!
//! The pages' `Content-Security-Policy` limits `form-action` to this
//! server and the `TESSERA_RETURN_TO` origins, and browsers apply it to
//! the redirects that follow a form POST too. A provider's authorization
//! endpoint is discovered at run time, so a 303 from the form to the
//! provider would be blocked. The form instead answers with a short page
//! whose link continues to the provider (following a link is not a form
//! submission); the flow's browser-binding cookie is set on that answer.
//!
//! The provider sends the browser back to `/account?done=linked`, or with
//! `?error=<code>`, which the page turns into a fixed sentence.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::IdentityError;
use crate::http::client::Client;
use crate::http::oauth;
use crate::http::pages::gate::PageSession;
use crate::http::pages::view::{PageError, render, utc};
use crate::http::pages::{csrf, form};
use crate::http::state::AppState;

/// One linked identity as the page lists it.
#[derive(Debug)]
pub struct IdentityRow {
    /// The identity's id (the unlink form's target).
    pub id: String,
    /// The provider's display name.
    pub provider: String,
    /// The e-mail the provider reported, if any.
    pub email: Option<String>,
    /// When it was linked.
    pub linked: String,
}

/// A "Link <Provider>" button.
#[derive(Debug)]
pub struct LinkButton {
    /// The provider's id (the form's field).
    pub id: String,
    /// The provider's display name.
    pub name: String,
}

/// The section's content for one user.
#[derive(Debug)]
pub(super) struct Linked {
    pub(super) enabled: bool,
    pub(super) identities: Vec<IdentityRow>,
    pub(super) buttons: Vec<LinkButton>,
}

impl Linked {
    /// The user's identities and the enabled providers not linked yet.
    pub(super) async fn load(state: &AppState, session: &PageSession) -> Result<Self, PageError> {
        let records = state.auth.identities(&session.user.id).await?;
        let name_of = |id: &str| {
            state
                .providers
                .get(id)
                .map_or_else(|| id.to_owned(), |p| p.display_name().to_owned())
        };
        let buttons = state
            .providers
            .iter()
            .filter(|p| !records.iter().any(|record| record.provider == p.id()))
            .map(|p| LinkButton {
                id: p.id().to_owned(),
                name: p.display_name().to_owned(),
            })
            .collect();
        Ok(Linked {
            enabled: state.providers.iter().next().is_some(),
            identities: records
                .iter()
                .map(|record| IdentityRow {
                    id: record.id.clone(),
                    provider: name_of(&record.provider),
                    email: record.email.clone(),
                    linked: utc(record.created_at),
                })
                .collect(),
            buttons,
        })
    }
}

/// The sentence for a link flow's `?error=` code (a fixed text for every
/// code, so nothing from the query reaches the page).
pub fn link_failure(code: &str) -> &'static str {
    match code {
        "identity_taken" => {
            "That account at the provider is already linked to another user, so it was not linked."
        }
        "access_denied" => "The provider sign-in was cancelled, so nothing was linked.",
        "temporarily_unavailable" | "provider_unavailable" => {
            "The provider could not be reached. Nothing was linked; try again later."
        }
        "account_disabled" => "This account is disabled.",
        _ => "The provider did not confirm the sign-in, so nothing was linked. Try again.",
    }
}

/// Re-renders the account page with `problem` in the providers section.
async fn refused(
    state: &AppState,
    session: PageSession,
    status: StatusCode,
    problem: String,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(state, session.jar.clone())?;
    let mut page = super::page(state, &session, csrf).await?;
    page.providers_error = Some(problem);
    Ok((jar, render(status, &page)).into_response())
}

/// The answer to the link form: a link on to the provider.
#[derive(Debug, Template)]
#[template(path = "pages/link_continue.html")]
pub struct ContinuePage {
    /// The provider's display name.
    pub provider: String,
    /// The provider's authorization URL for this flow.
    pub url: String,
}

/// The "Link <Provider>" form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    csrf_token: String,
    provider: String,
    current_password: String,
}

/// `POST /account/providers/link`: starts the provider's link flow (a
/// page linking on to the provider, with the flow's browser-binding
/// cookie); a session that is not fresh must give the current password
/// first.
pub async fn link(
    State(state): State<AppState>,
    session: PageSession,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: LinkForm = form::parse(&body)?;
    let session = match session.check_form(&state, &headers, &form.csrf_token) {
        Ok(session) => session,
        Err(refused) => return Ok(refused),
    };
    let Some(provider) = state.providers.get(&form.provider).cloned() else {
        let problem = "That sign-in provider is not configured.".to_owned();
        return refused(&state, session, StatusCode::NOT_FOUND, problem).await;
    };
    if let Some((status, problem)) = super::holder_proven(
        &state,
        &session,
        &client,
        form.current_password,
        "nothing was linked",
    )
    .await?
    {
        return refused(&state, session, status, problem).await;
    }
    let return_to = format!(
        "{}/account?done=linked",
        state.social.public_url.trim_end_matches('/')
    );
    match oauth::begin(
        &state,
        provider.as_ref(),
        return_to,
        Some(session.user.id.clone()),
    )
    .await
    {
        Ok((url, binding)) => {
            let page = ContinuePage {
                provider: provider.display_name().to_owned(),
                url,
            };
            let mut response = (session.jar, render(StatusCode::OK, &page)).into_response();
            oauth::set_flow_cookie(&state, &mut response, Some(&binding));
            Ok(response)
        }
        Err(err) => {
            let problem = link_failure(err.code()).to_owned();
            refused(&state, session, StatusCode::BAD_GATEWAY, problem).await
        }
    }
}

/// The "Unlink" form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UnlinkForm {
    csrf_token: String,
    identity_id: String,
}

/// `POST /account/providers/unlink`: unlinks one identity, unless it is
/// the last way to sign in (then the page says so).
pub async fn unlink(
    State(state): State<AppState>,
    session: PageSession,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: UnlinkForm = form::parse(&body)?;
    let session = match session.check_form(&state, &headers, &form.csrf_token) {
        Ok(session) => session,
        Err(refused) => return Ok(refused),
    };
    match state
        .auth
        .unlink_identity(&session.user.id, &form.identity_id)
        .await
    {
        Ok(()) => {
            crate::http::metrics::Metrics::inc(&state.metrics.identities_unlinked);
            Ok((session.jar, Redirect::to("/account?done=unlinked")).into_response())
        }
        // Already gone, or never the caller's: nothing to say either way.
        Err(IdentityError::NotFound) => Ok((session.jar, Redirect::to("/account")).into_response()),
        Err(IdentityError::LastWay) => {
            let problem = "This is the only way you can sign in, so it stays linked. \
                           Link another provider first."
                .to_owned();
            refused(&state, session, StatusCode::CONFLICT, problem).await
        }
        Err(IdentityError::Auth(err)) => Err(err.into()),
        Err(err) => Err(PageError::internal("unlink an identity", &err)),
    }
}
