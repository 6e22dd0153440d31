//! The Junction server: start-up, the axum router around the Leptos app, and the work of the
//! command-line subcommands. `main.rs` only parses arguments and calls in here, so the
//! integration tests drive the very same router in-process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use app::apps::wasm::load::Load;
use app::auth::{ApiLimiter, LoginLimiter};
use app::components::frame::PageUser;
use app::db::sessions::DbSessionStore;
use app::db::{DatabaseUrl, Db};
use app::error::AppError;
use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use leptos::config::{Env, LeptosOptions};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub mod app_cli;
mod artifacts;
mod assets;
mod export;
pub mod logic;
mod page_cache;
mod public;
mod publish_page;
pub use public::MAX_URLENCODED_BYTES;
pub mod rest;
mod security;

/// Largest request body accepted, except form submissions (`public::submission_limit`
/// bounds those per form).
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
const SESSION_COOKIE: &str = "junction_session";
/// The `name` in `[[workspace.metadata.leptos]]`: the site's `/pkg/junction.{js,wasm,css}`.
const OUTPUT_NAME: &str = "junction";

/// Everything `serve` needs, resolved from flags and environment.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub database_url: DatabaseUrl,
    pub data_dir: PathBuf,
    /// Mark the session cookie `Secure` (when served over HTTPS).
    pub secure_cookies: bool,
    /// How long clients may take to send headers, and requests to finish after SIGTERM.
    pub connection_limits: ConnectionLimits,
    /// Bytes of uploaded files one form may hold.
    pub form_storage_bytes: u64,
}

/// Connects and applies pending migrations.
pub async fn open_database(url: &DatabaseUrl) -> Result<Db, String> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    Ok(db)
}

/// Leptos settings: those cargo-leptos passes in the environment when it runs the server,
/// otherwise the defaults of this workspace (site in `target/site`).
pub fn leptos_options(addr: SocketAddr) -> LeptosOptions {
    let mut options = match leptos::config::get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(_) => LeptosOptions::builder()
            .output_name(OUTPUT_NAME)
            .site_root(std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into()))
            .build(),
    };
    if options.output_name.is_empty() {
        // Built by plain cargo (tests) rather than cargo-leptos.
        options.output_name = OUTPUT_NAME.into();
    }
    if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
        // Started directly: a cargo-leptos build that hashed the site's files left the
        // hashes beside this binary, where Leptos reads them.
        options.hash_files = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.join(options.hash_file.as_ref())))
            .is_some_and(|file| file.is_file());
    }
    if std::env::var_os("LEPTOS_ENV").is_none() {
        // Started directly rather than by `cargo leptos watch`: no live-reload socket.
        options.env = Env::PROD;
    }
    options.site_addr = addr;
    options
}

/// The application state for a database and options; shared by `serve` and the tests.
pub fn app_state(
    db: Db,
    leptos_options: LeptosOptions,
    data_dir: PathBuf,
    api_limiter: ApiLimiter,
) -> Result<AppState, String> {
    // A bad manifest stops start-up with one line naming the app and the problem.
    let registry = app::apps::Registry::builtin().map_err(|e| e.to_string())?;
    let keyring = app::secrets::Keyring::load(&data_dir)?;
    let allow_private = std::env::var("JUNCTION_ALLOW_PRIVATE_WEBHOOKS").is_ok_and(|v| v.trim() == "1");
    let delivery = app::delivery::Delivery::new(allow_private)?;
    Ok(AppState {
        leptos_options,
        responses: Arc::new(app::services::group_commit::ResponseWriter::new(db.clone())),
        db,
        login_limiter: Arc::new(LoginLimiter::default()),
        api_limiter: Arc::new(api_limiter),
        data_dir,
        upload_quota_bytes: app::state::DEFAULT_FORM_STORAGE_MB * 1024 * 1024,
        apps: Arc::new(app::apps::running::Apps::new(registry, keyring)),
        delivery: Arc::new(delivery),
    })
}

/// The whole HTTP surface: health check, server functions, pages, static files, sessions.
pub fn router(state: AppState, secure_cookies: bool) -> Router {
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(14)));
    let routes = generate_route_list(App);
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/api/v1", rest::routes())
        // The handler reads the body within the form's own limit, and answers over it with
        // the form and what was typed, not with axum's plain-text refusal.
        // A respondent's pages are rendered outside the app's router
        // (`app::pages::public_form`).
        .route(
            "/f/{id}",
            get(public::page)
                .post(public::submit)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/f/{id}/thanks", get(public::thanks))
        .route("/router", get(public::headless_router))
        .route("/artifacts/{file}", get(artifacts::serve))
        .route("/apps/publish/upload", post(publish_page::upload))
        .route("/forms/{form_id}/files/{file_id}", get(public::download))
        .route("/forms/{id}/responses.csv", get(export::responses_csv))
        .merge(assets::routes(
            &state.leptos_options.site_root,
            &state.leptos_options.site_pkg_dir,
        ))
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Inside load_page_user, which tells it whether the visitor is signed in.
        .layer(axum::middleware::from_fn_with_state(
            page_cache::PageCache::new(state.clone(), &build_id(&state.leptos_options)),
            page_cache::public_form,
        ))
        .layer(axum::middleware::map_response(server_fn_error_status))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            load_page_user,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn(security::refuse_cross_site))
        .layer(axum::middleware::from_fn(limit_body))
        // A stalled response (see ARCHITECTURE.md, "Known issues") ends instead of hanging.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(60),
        ))
        .layer(CompressionLayer::new().compress_when(SizeAbove::new(256).and(compressible)))
        .layer(axum::middleware::from_fn(move |request, next| {
            security::headers(secure_cookies, request, next)
        }))
        .layer(TraceLayer::new_for_http())
        // Outermost: uploaded apps' long events wait while any request is handled.
        .layer(axum::middleware::from_fn_with_state(
            state.apps.load.clone(),
            count_request,
        ))
        .with_state(state)
}

/// Counts the request while it is handled (`app::apps::wasm::load`).
async fn count_request(
    State(load): State<Arc<Load>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    load.handling(next.run(request)).await
}

/// What tells this build's pages from another's: the hashes of the site's files when the
/// build hashed them, else something new each start (pages then revalidate after a
/// restart, which costs one render).
fn build_id(options: &LeptosOptions) -> String {
    use std::hash::{Hash, Hasher};
    let hashes = std::env::current_exe()
        .ok()
        .and_then(|exe| std::fs::read_to_string(exe.parent()?.join(options.hash_file.as_ref())).ok())
        .filter(|_| options.hash_files);
    match hashes {
        Some(text) => {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            text.hash(&mut hasher);
            format!("{:016x}", hasher.finish())
        }
        None => leptos::nonce::Nonce::new().to_string().replace(['+', '/', '='], ""),
    }
}

/// Pages, JSON and the site's text files are compressed for browsers that accept it.
/// Downloads are not: a CSV export streams row by row and an uploaded file is sent as
/// stored (both are attachments), and images other than SVG are compressed already. A
/// response that already has a `Content-Encoding` (a precompressed asset) is left alone by
/// the layer itself.
fn compressible(
    _: StatusCode,
    _: axum::http::Version,
    headers: &axum::http::HeaderMap,
    _: &axum::http::Extensions,
) -> bool {
    let text = |name| headers.get(name).and_then(|v: &axum::http::HeaderValue| v.to_str().ok());
    if text(header::CONTENT_DISPOSITION).is_some_and(|d| d.trim_start().starts_with("attachment")) {
        return false;
    }
    let kind = text(header::CONTENT_TYPE)
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(
        kind.as_str(),
        "text/html"
            | "text/css"
            | "text/plain"
            | "text/javascript"
            | "application/javascript"
            | "application/json"
            | "application/wasm"
            | "image/svg+xml"
    )
}

/// Server functions answer every error with 500; this gives each `AppError` its own status
/// (401, 422, 429 with `Retry-After`, …), including errors raised before the function body
/// runs, such as arguments that do not parse.
/// For page requests (GET, outside `/api/` and `/pkg/`), looks up the signed-in user
/// before rendering and hands it to the app as a request extension (`PageUser`), so pages
/// render in one pass without waiting on a resource.
async fn load_page_user(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    let page = request.method() == axum::http::Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/pkg/");
    if page {
        let user = async {
            let id: Option<i64> = session
                .get(app::auth::SESSION_USER_ID_KEY)
                .await
                .map_err(AppError::internal)?;
            match id {
                None => Ok(None),
                Some(id) => Ok(app::services::accounts::find_by_id(&state.db, id)
                    .await?
                    .map(|record| record.user)),
            }
        }
        .await;
        request.extensions_mut().insert(PageUser(user));
    }
    next.run(request).await
}

async fn server_fn_error_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, Body::from("error body too large"));
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        error.headers(&mut parts.headers);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Caps request bodies, except form submissions, whose handler applies the form's limit.
async fn limit_body(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if request.method() == axum::http::Method::POST && request.uri().path().starts_with("/f/") {
        return next.run(request).await;
    }
    let limit = MAX_BODY_BYTES;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        let message = format!("The request is larger than {} MB.", limit / (1024 * 1024));
        return AppError::TooLarge(message).into_response();
    }
    let (parts, body) = request.into_parts();
    next.run(axum::extract::Request::from_parts(
        parts,
        Body::new(http_body_util::Limited::new(body, limit)),
    ))
    .await
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.db.ping().await {
        (StatusCode::OK, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
    }
}

/// Runs the server until SIGINT or SIGTERM, then lets in-flight requests finish.
pub async fn serve(config: ServeConfig) -> Result<(), String> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        format!(
            "cannot create the data directory {}: {e}",
            config.data_dir.display()
        )
    })?;
    let db = open_database(&config.database_url).await?;
    let options = leptos_options(config.addr);
    tracing::info!(
        database = %config.database_url.redacted(),
        site_root = %options.site_root,
        data_dir = %config.data_dir.display(),
        "starting"
    );
    let mut state = app_state(
        db.clone(),
        options,
        config.data_dir.clone(),
        ApiLimiter::from_env()?,
    )?;
    state.upload_quota_bytes = config.form_storage_bytes;
    app::services::apps::sync_catalog(&state)
        .await
        .map_err(|e| format!("cannot list the apps: {e}"))?;
    spawn_housekeeping(state.clone());
    spawn_catalog_refresh(state.clone());
    app::services::outbox::spawn_worker(state.clone());
    let app = router(state, config.secure_cookies);

    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    tracing::info!("listening on http://{}", config.addr);
    serve_connections(listener, app, &config.connection_limits, shutdown_signal()).await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// How long clients may take, per connection.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// To send a request's headers.
    pub header_read_timeout: Duration,
    /// For requests in flight to finish after the shutdown signal.
    pub shutdown_grace: Duration,
}

/// Accepts connections until `shutdown`, then stops accepting and lets the requests in
/// flight finish for at most `config.shutdown_grace` before cutting them. A client that has
/// not sent its request's headers within `config.header_read_timeout` is disconnected, so
/// slow clients cannot hold connections open.
pub async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    config: &ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use tower::ServiceExt;

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, keep serving.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service =
            app.clone()
                .map_request(move |request: axum::http::Request<hyper::body::Incoming>| {
                    let mut request = request.map(Body::new);
                    request
                        .extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    request
                });
        let connection = builder
            .serve_connection_with_upgrades(
                TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            )
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(config.shutdown_grace) => {
            tracing::warn!(
                grace_secs = config.shutdown_grace.as_secs(),
                "requests still in flight after the shutdown deadline were cut"
            );
        }
    }
}

/// Rebuilds the registry's uploaded apps each second when another server approved or
/// withdrew a version (`services::publishing::refresh_registry`).
fn spawn_catalog_refresh(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = app::services::publishing::refresh_registry(&state, false).await {
                tracing::warn!("could not read the uploaded apps: {e}");
            }
        }
    });
}

/// Drops expired sessions and idle rate-limit buckets every few minutes.
fn spawn_housekeeping(state: AppState) {
    use tower_sessions::ExpiredDeletion;
    tokio::spawn(async move {
        let store = DbSessionStore::new(state.db.clone());
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!("could not delete expired sessions: {e}");
            }
            state.login_limiter.prune();
            state.api_limiter.prune();
            remove_stale_incoming(&state.incoming_dir()).await;
        }
    });
}

/// Removes files left in the incoming folder by submissions that never finished (the
/// process stopped mid-upload): anything older than an hour.
async fn remove_stale_incoming(dir: &std::path::Path) {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let stale = entry
            .metadata()
            .await
            .and_then(|m| m.modified())
            .ok()
            .and_then(|at| at.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if stale {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down; finishing requests in flight");
}

/// `junction admin create`: creates an administrator or promotes an existing account.
pub async fn create_admin(
    url: &DatabaseUrl,
    email: &str,
    password: &str,
) -> Result<String, String> {
    let db = open_database(url).await?;
    let result = app::services::accounts::create_admin(&db, email, password).await;
    db.close().await;
    result
        .map(|user| format!("administrator {} (id {}) is ready", user.email, user.id))
        .map_err(command_line_error)
}

/// An error as one line for the terminal: a validation error names each field.
pub(crate) fn command_line_error(e: AppError) -> String {
    match e {
        AppError::Validation { fields, .. } => fields
            .into_iter()
            .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
            .collect::<Vec<_>>()
            .join("; "),
        e => e.to_string(),
    }
}

/// Creates an API key for the account with `email`; returns only the key.
pub async fn create_api_key(url: &DatabaseUrl, email: &str, name: &str) -> Result<String, String> {
    let db = open_database(url).await?;
    let result = async {
        let user = app::services::accounts::find_by_email(&db, &app::auth::normalize_email(email))
            .await?
            .ok_or_else(|| {
                app::error::AppError::field("email", format!("There is no account for {email}."))
            })?;
        app::services::api_keys::create(&db, user.user.id, name).await
    }
    .await;
    db.close().await;
    result.map(|(key, _)| key).map_err(command_line_error)
}

/// `junction secrets rotate`: re-seals every stored app secret under the newest key. With
/// the key file, a new key is added first (servers read the file again when they meet it);
/// with `JUNCTION_SECRET_KEY`, the operator puts the new key first there beforehand.
pub async fn rotate_secrets(url: &DatabaseUrl, data_dir: &std::path::Path) -> Result<String, String> {
    let db = open_database(url).await?;
    let keyring = app::secrets::Keyring::load(data_dir)?;
    let from_env = std::env::var(app::secrets::KEY_ENV).is_ok_and(|v| !v.trim().is_empty());
    if !from_env {
        keyring.add_key()?;
    }
    let count = app::services::apps::reseal_secrets(&db, &keyring)
        .await
        .map_err(|e| format!("cannot re-seal the secrets: {e}"))?;
    db.close().await;
    let key = keyring.current_id();
    Ok(if from_env {
        format!(
            "re-sealed {count} secrets under key {key}, the first of {}; once every server has it, older keys may be dropped from the variable (a new key to put first next time: {})",
            app::secrets::KEY_ENV,
            app::secrets::new_key()
        )
    } else {
        format!(
            "re-sealed {count} secrets under the new key {key}, added to {}",
            data_dir.join(app::secrets::KEY_FILE).display()
        )
    })
}
