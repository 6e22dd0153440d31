//! `POST /apps/publish/upload`: the "Publish an app" page's upload, a plain multipart form
//! signed in by the session (so it works without JavaScript), read as `POST /api/v1/apps`
//! reads its upload. It answers with a redirect to the page, which shows the new version
//! with its verification report, or why the upload was refused.

use app::error::AppError;
use app::state::AppState;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

pub async fn upload(State(state): State<AppState>, session: Session, request: Request) -> Response {
    let user_id: Option<i64> = session.get(app::auth::SESSION_USER_ID_KEY).await.ok().flatten();
    let Some(user_id) = user_id else {
        return Redirect::to("/login?next=/apps/publish").into_response();
    };
    let user = match app::services::accounts::find_by_id(&state.db, user_id).await {
        Ok(Some(record)) => record.user,
        Ok(None) => return Redirect::to("/login?next=/apps/publish").into_response(),
        Err(e) => return e.into_response(),
    };
    let result = async {
        let upload = crate::rest::publishing::read_upload(request, &state).await?;
        app::services::publishing::upload(&state, &user, upload).await
    }
    .await;
    let to = match result {
        Ok(version) => format!("/apps/publish?uploaded={}&version={}", encode(&version.app), encode(&version.version)),
        Err(AppError::Internal) => "/apps/publish?error=The+upload+failed+on+the+server%3B+try+again.".to_owned(),
        Err(e) => format!("/apps/publish?error={}", encode(&message(&e))),
    };
    Redirect::to(&to).into_response()
}

/// The refusal in one line, naming the part.
fn message(e: &AppError) -> String {
    match e {
        AppError::Validation { message, fields } if !fields.is_empty() => fields
            .iter()
            .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
            .collect::<Vec<_>>()
            .join(" "),
        AppError::Validation { message, .. } => message.clone(),
        e => e.to_string(),
    }
}

fn encode(text: &str) -> String {
    // What a query value must escape; the unreserved characters (RFC 3986) stay as they are.
    const QUERY_VALUE: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    percent_encoding::utf8_percent_encode(text, QUERY_VALUE).to_string()
}
