//! Test harness: the real router over a fresh database per test.
//!
//! SQLite by default (a new file in a temporary directory). With
//! `JUNCTION_TEST_DATABASE_URL=postgres://…` each test gets its own schema in that database,
//! dropped when the test ends, so concurrent runs never see each other's rows.

#![allow(dead_code)] // each test binary uses a different part of the harness

use std::net::SocketAddr;
use std::time::Duration;

use app::db::{DatabaseUrl, Db};
use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
    pub db: Db,
    /// The server's data directory (uploads live under it).
    pub data_dir: std::path::PathBuf,
    _database: TestDatabase,
    pub state: app::state::AppState,
}

impl TestApp {
    /// The URL of this test's database.
    pub fn database_url(&self) -> &DatabaseUrl {
        &self._database.url
    }
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// `name=value` of the session cookie this response sets.
    pub fn session_cookie(&self) -> Option<String> {
        self.set_cookie()
            .and_then(|c| c.split(';').next().map(str::to_owned))
    }

    pub fn set_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("junction_session="))
            .map(str::to_owned)
    }

    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }
}

impl TestApp {
    /// A server with the API's rate limits off.
    pub async fn new() -> TestApp {
        TestApp::with_limits(app::auth::ApiLimiter::new(0, 0)).await
    }

    pub async fn with_limits(limits: app::auth::ApiLimiter) -> TestApp {
        TestApp::build(limits, false, |_| {}).await
    }

    /// A server with `limits`, `Secure` cookies (and HSTS) when `secure`, and the state
    /// changed by `tweak` (a smaller upload quota, say).
    pub async fn build(
        limits: app::auth::ApiLimiter,
        secure: bool,
        tweak: impl FnOnce(&mut app::state::AppState),
    ) -> TestApp {
        let database = TestDatabase::create().await;
        let db = server::open_database(&database.url)
            .await
            .expect("test database opens");
        let options = server::leptos_options("127.0.0.1:0".parse().unwrap());
        let mut state = server::app_state(db.clone(), options, database.data_dir(), limits)
            .expect("the built-in apps check");
        app::services::apps::sync_catalog(&state)
            .await
            .expect("the catalog is written");
        tweak(&mut state);
        let router = server::router(state.clone(), secure)
            .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        TestApp {
            router,
            state,
            db,
            data_dir: database.data_dir(),
            _database: database,
        }
    }

    /// A server whose catalog has the built-in apps and `extra` (test-only apps).
    pub async fn with_apps(extra: Vec<std::sync::Arc<dyn app::apps::App>>) -> TestApp {
        let app = TestApp::build(app::auth::ApiLimiter::new(0, 0), false, |state| {
            let mut apps = app::apps::builtin::all().expect("the built-in apps load");
            apps.extend(extra);
            let registry = app::apps::Registry::new(apps).expect("the test apps check");
            let keyring = app::secrets::Keyring::load(&state.data_dir).expect("the keyring loads");
            state.apps = std::sync::Arc::new(app::apps::running::Apps::new(registry, keyring));
        })
        .await;
        app::services::apps::sync_catalog(&app.state)
            .await
            .expect("the catalog is written");
        app
    }

    pub async fn send(&self, request: Request<Body>) -> Response {
        let (parts, body) = request.into_parts();
        let body = body.collect().await.expect("request body").to_bytes();
        self.send_built(|| Request::from_parts(parts.clone(), Body::from(body.clone())))
            .await
    }

    /// Sends the request `build` makes. Leptos's server rendering very occasionally stalls
    /// a response (1 in roughly 300 requests here; see the note in ARCHITECTURE.md).
    /// Production bounds it with a timeout; the tests build the request again and retry a
    /// stalled one once, reporting it, rather than failing on a bug that is not in the code
    /// under test. A streamed body is built afresh for the retry, so it streams again.
    pub async fn send_built(&self, build: impl Fn() -> Request<Body>) -> Response {
        for attempt in 1..=2 {
            let request = build();
            let uri = request.uri().clone();
            let result =
                tokio::time::timeout(Duration::from_secs(10), self.send_streamed(request)).await;
            match result {
                Ok(response) => return response,
                Err(_) => eprintln!("warning: {uri} stalled (attempt {attempt}); retrying"),
            }
        }
        panic!("no response to {} within two attempts of 10 s", build().uri());
    }

    /// Sends `request` as it is, its body streamed as built (no retry, so no copy of it).
    pub async fn send_streamed(&self, request: Request<Body>) -> Response {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body reads")
            .to_bytes();
        Response {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut request = Request::get(path).header(header::ACCEPT, "text/html");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// Calls a server function the way the hydrated app does (form-encoded, JSON back).
    pub async fn call(&self, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Response {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// Closes the owner's form to respondents (the forms list's switch), or fails the test.
    pub async fn close_form(&self, cookie: &str, id: &str) {
        let closed = self
            .call(
                "/api/forms/enable",
                &[("id", id), ("enabled", "false")],
                Some(cookie),
            )
            .await;
        assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    }

    /// The host API an installation's code is given.
    pub async fn host_api(
        &self,
        user: &app::auth::SessionUser,
        installation: &str,
    ) -> app::apps::host::HostApi {
        app::services::apps::host_api(&self.state, user, installation)
            .await
            .expect("the user's installation")
    }

    /// Logs in (one more session of the account) and returns its cookie.
    pub async fn log_in(&self, email: &str, password: &str) -> String {
        self.start_session("/api/auth/login", email, password).await
    }

    /// Signs up and returns the session cookie.
    pub async fn sign_up(&self, email: &str, password: &str) -> String {
        self.start_session("/api/auth/signup", email, password)
            .await
    }

    /// Calls the sign-up or log-in function `path` and returns the session cookie it sets.
    async fn start_session(&self, path: &str, email: &str, password: &str) -> String {
        let response = self
            .call(path, &[("email", email), ("password", password)], None)
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{path} failed: {}",
            response.body
        );
        response
            .session_cookie()
            .unwrap_or_else(|| panic!("{path} sets a session cookie"))
    }
}

/// The manifest of a test-only app: `slug`, asking for `permissions` and handling `hooks`
/// (`(hook, priority)`).
pub fn test_manifest(slug: &str, permissions: &[&str], hooks: &[(&str, i64)]) -> app::apps::manifest::Manifest {
    let hooks: Vec<serde_json::Value> = hooks
        .iter()
        .map(|(hook, priority)| serde_json::json!({"hook": hook, "priority": priority}))
        .collect();
    let manifest = serde_json::json!({
        "slug": slug, "name": format!("Test app {slug}"), "summary": "A test app.",
        "description": "An app only the tests install.", "version": "1.0.0",
        "releases": [{"version": "1.0.0", "changes": "First."}], "publisher": "Tests",
        "contact": "tests@example.com", "type": "automation", "categories": ["automation"],
        "logo": "/apps/webhooks.svg", "junction": ">=0.1, <2",
        "permissions": permissions, "settings": [], "hooks": hooks
    });
    app::apps::manifest::Manifest::from_json(&manifest.to_string()).expect("the test manifest reads")
}

/// Installs `slug` for `email` with every permission it asks for, left switched off;
/// returns the installation id.
pub async fn install_off(app: &TestApp, email: &str, slug: &str) -> String {
    let user = app::services::accounts::find_by_email(&app.db, email)
        .await
        .unwrap()
        .expect("the user exists")
        .user;
    let grant = app.state.apps.registry().manifest(slug).expect("the app exists").permissions.clone();
    app::services::apps::install(&app.state, &user, slug, &grant, None, None)
        .await
        .expect("the app installs")
}

/// Installs `slug` for the user of `email`, granting what it asks for, and switches it on.
pub async fn install_on(app: &TestApp, email: &str, slug: &str) -> String {
    let id = install_off(app, email, slug).await;
    let user = app::services::accounts::find_by_email(&app.db, email)
        .await
        .unwrap()
        .expect("the user exists")
        .user;
    app::services::apps::set_active(&app.state, &user, &id, true)
        .await
        .expect("the app switches on");
    id
}

/// Signs up `email`, creates a form with `definition`, and returns (cookie, form id).
pub async fn owner_with_form(
    app: &TestApp,
    email: &str,
    definition: &serde_json::Value,
) -> (String, String) {
    let cookie = app.sign_up(email, "correct horse battery").await;
    let created = app
        .call("/api/forms/create", &[("name", "Draft")], Some(&cookie))
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let id = created.json().as_str().unwrap().to_owned();
    let saved = app
        .call(
            "/api/forms/save",
            &[("id", &id), ("definition", &definition.to_string())],
            Some(&cookie),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    (cookie, id)
}

/// One part of a multipart body: its name, `Some((file name, media type))` for a file, and
/// its bytes.
pub type Part<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

/// A multipart body of `parts`, and its content type.
pub fn multipart(parts: &[Part]) -> (String, Vec<u8>) {
    let boundary = "junctionboundary";
    let mut body = Vec::new();
    for (name, file, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some((filename, content_type)) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `s` percent-encoded for a query string or a form body.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    dir: tempfile::TempDir,
    postgres_schema: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temporary directory");
        match std::env::var("JUNCTION_TEST_DATABASE_URL") {
            Ok(base) if !base.is_empty() => {
                let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                let admin = Db::connect(&DatabaseUrl::parse(&base).expect("test URL parses"))
                    .await
                    .expect("test PostgreSQL answers");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(admin.pool())
                    .await
                    .expect("create test schema");
                admin.close().await;
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = DatabaseUrl::parse(&format!("{base}{sep}options[search_path]={schema}"))
                    .expect("schema URL parses");
                TestDatabase {
                    url,
                    dir,
                    postgres_schema: Some((base, schema)),
                }
            }
            _ => {
                let path = dir.path().join("junction.db");
                let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
                TestDatabase {
                    url,
                    dir,
                    postgres_schema: None,
                }
            }
        }
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((base, schema)) = self.postgres_schema.take() else {
            return;
        };
        // Drop runs outside any runtime guarantee; use a small one of our own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                if let Ok(url) = DatabaseUrl::parse(&base)
                    && let Ok(db) = Db::connect(&url).await
                {
                    let _ =
                        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                            .execute(db.pool())
                            .await;
                    db.close().await;
                }
            });
            Ok::<(), std::io::Error>(())
        })
        .join();
    }
}

/// Calls `/api/v1` with a key (or none).
pub struct Client<'a> {
    pub app: &'a TestApp,
    pub key: Option<String>,
}

impl Client<'_> {
    pub async fn send(&self, method: Method, path: &str, body: Option<serde_json::Value>) -> Response {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("/api/v1{path}"))
            .header(header::ACCEPT, "application/json");
        if let Some(key) = &self.key {
            request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.app.send(request.body(body).unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None).await
    }
}

/// Signs up and creates a key in Settings' way; returns the session cookie and the key.
pub async fn user_with_key(app: &TestApp, email: &str) -> (String, String) {
    let cookie = app.sign_up(email, "correct horse battery").await;
    let key = key_for(app, &cookie).await;
    (cookie, key)
}

/// Creates a key for the signed-in user of `cookie`, in Settings' way.
pub async fn key_for(app: &TestApp, cookie: &str) -> String {
    let created = app
        .call(
            "/api/api-keys/create",
            &[("name", "script"), ("password", "correct horse battery")],
            Some(cookie),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    created.json().as_str().unwrap().to_owned()
}

/// `junction serve` on `app`'s database and data directory (rate limits off, delivering
/// to loopback), and the port it listens on.
pub fn serve(app: &TestApp) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_junction"))
        .arg("serve")
        .env("DATABASE_URL", app.database_url().as_str())
        .env("JUNCTION_DATA_DIR", &app.data_dir)
        .env("JUNCTION_ADDR", format!("127.0.0.1:{port}"))
        .env("JUNCTION_ALLOW_PRIVATE_WEBHOOKS", "1")
        .env("JUNCTION_SUBMIT_RATE_LIMIT", "0")
        .env("JUNCTION_API_RATE_LIMIT", "0")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("junction serve starts");
    (child, port)
}

/// Kills `child` with SIGKILL (`Child::kill`): no shutdown code runs.
pub fn kill_9(mut child: std::process::Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Builds the app in `dir` (relative to the repository) into a WebAssembly component with
/// the example's build script, once per test binary and app; returns the component.
pub fn component(dir: &str) -> Vec<u8> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static BUILT: OnceLock<Mutex<HashMap<String, std::path::PathBuf>>> = OnceLock::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut built = BUILT.get_or_init(Mutex::default).lock().unwrap_or_else(|e| e.into_inner());
    let path = built
        .entry(dir.to_owned())
        .or_insert_with(|| {
            let out = std::process::Command::new("bash")
                .arg(root.join("examples/apps/domain-filter/build.sh"))
                .arg(root.join(dir))
                .output()
                .expect("bash runs");
            assert!(out.status.success(), "building {dir} failed:\n{}", String::from_utf8_lossy(&out.stderr));
            let stdout = String::from_utf8_lossy(&out.stdout);
            std::path::PathBuf::from(stdout.lines().last().expect("the build prints the component's path").trim())
        })
        .clone();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An administrator's session cookie and API key.
pub async fn admin_with_key(app: &TestApp, email: &str) -> (String, String) {
    app::services::accounts::create_admin(&app.db, email, "correct horse battery")
        .await
        .expect("the administrator is created");
    let cookie = app.log_in(email, "correct horse battery").await;
    let key = key_for(app, &cookie).await;
    (cookie, key)
}
