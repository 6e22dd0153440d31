//! The host API (server only): the one way an app reaches Junction. Each callback and hook
//! handler is given a [`HostApi`] for one installation; it carries that installation's
//! owner and granted scopes, so app code can neither name another user nor skip a check.
//!
//! Every call checks its scope first. A denied call returns [`HostError::Denied`], writes
//! an audit entry and touches no data. The data itself comes from a [`Backend`], which
//! `services/apps.rs` implements over the database; apps never see it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::manifest::Scope;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// The installer did not grant the scope this call needs.
    #[error("permission denied: this installation was not granted {}", .0.name())]
    Denied(Scope),
    #[error("{0}")]
    NotFound(String),
    /// The call's arguments are not acceptable (a notice too long, an unknown method).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Failed(String),
}

/// A form as an app sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormInfo {
    pub id: String,
    pub name: String,
    /// `(identifier, label, kind)` of each field.
    pub fields: Vec<(String, String, String)>,
}

/// A stored response as an app sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseInfo {
    pub id: String,
    pub form_id: String,
    pub answers: Map<String, Value>,
    /// What apps attached to it.
    pub data: Map<String, Value>,
    pub created_at: i64,
}

/// An HTTP request an app sends outside Junction (`http:outbound`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// GET, POST, PUT, PATCH or DELETE.
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub body: Option<String>,
}

/// What the receiver answered: its status and the start of its body (at most 64 KB).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpReply {
    pub status: u16,
    pub body: String,
}

/// The longest notice an app may leave its owner.
pub const MAX_NOTICE: usize = 500;
/// The largest body an app may send.
pub const MAX_HTTP_BODY: usize = 64 * 1024;

/// Who an installation is: what every call is scoped to.
#[derive(Debug, Clone, PartialEq)]
pub struct Installation {
    pub id: String,
    pub app: String,
    /// The installed version (an app may behave by the version installed).
    pub version: String,
    pub owner_id: i64,
    pub scopes: Vec<Scope>,
    /// The configuration with its secrets opened (it never leaves the server).
    pub config: Map<String, Value>,
}

/// What stands behind the host API. Every method is given the owner by [`HostApi`], never
/// by the app.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    async fn forms(&self, owner_id: i64) -> Result<Vec<FormInfo>, String>;
    async fn responses(
        &self,
        owner_id: i64,
        form_id: &str,
        limit: i64,
    ) -> Result<Option<Vec<ResponseInfo>>, String>;
    /// How many responses the owner's form `form_id` has; `None` when the owner has no such
    /// form.
    async fn response_count(&self, owner_id: i64, form_id: &str) -> Result<Option<i64>, String>;
    /// Sets `key` in the data of the owner's response `response_id`; `false` when the
    /// owner has no such response.
    async fn annotate(
        &self,
        owner_id: i64,
        response_id: &str,
        key: &str,
        value: Value,
    ) -> Result<bool, String>;
    /// Leaves the owner a notice from the installation (shown on their dashboard).
    async fn notify(&self, installation: &Installation, text: &str) -> Result<(), String>;
    /// Sends `request` under the rules webhooks are sent under (timeouts, no redirects,
    /// private addresses refused, the answer cut at 64 KB).
    async fn http(&self, request: &HttpRequest) -> Result<HttpReply, String>;
    async fn audit(&self, installation: &Installation, event: &str, detail: &str);
}

/// The host API of one installation.
#[derive(Clone)]
pub struct HostApi {
    installation: Arc<Installation>,
    backend: Arc<dyn Backend>,
}

impl std::fmt::Debug for HostApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the configuration: it holds opened secrets.
        write!(
            f,
            "HostApi({} of {})",
            self.installation.id, self.installation.app
        )
    }
}

impl HostApi {
    pub fn new(installation: Installation, backend: Arc<dyn Backend>) -> HostApi {
        HostApi {
            installation: Arc::new(installation),
            backend,
        }
    }

    pub fn installation_id(&self) -> &str {
        &self.installation.id
    }

    pub fn app(&self) -> &str {
        &self.installation.app
    }

    pub fn version(&self) -> &str {
        &self.installation.version
    }

    pub fn owner_id(&self) -> i64 {
        self.installation.owner_id
    }

    pub fn granted(&self, scope: Scope) -> bool {
        self.installation.scopes.contains(&scope)
    }

    /// Passes when `scope` was granted; otherwise records the denial and refuses.
    pub async fn require(&self, scope: Scope, call: &str) -> Result<(), HostError> {
        if self.granted(scope) {
            return Ok(());
        }
        tracing::warn!(
            app = %self.installation.app,
            installation = %self.installation.id,
            scope = scope.name(),
            "app call denied: {call}"
        );
        self.backend
            .audit(
                &self.installation,
                "denied",
                &format!("{call} needs {}, which was not granted", scope.name()),
            )
            .await;
        Err(HostError::Denied(scope))
    }

    /// The owner's forms.
    pub async fn forms(&self) -> Result<Vec<FormInfo>, HostError> {
        self.require(Scope::FormsRead, "reading forms").await?;
        self.backend
            .forms(self.installation.owner_id)
            .await
            .map_err(HostError::Failed)
    }

    /// The newest responses (at most `limit`) of one of the owner's forms.
    pub async fn responses(&self, form_id: &str, limit: i64) -> Result<Vec<ResponseInfo>, HostError> {
        self.require(Scope::ResponsesRead, "reading responses").await?;
        self.backend
            .responses(self.installation.owner_id, form_id, limit.clamp(1, 1000))
            .await
            .map_err(HostError::Failed)?
            .ok_or_else(|| HostError::NotFound(format!("no form \"{form_id}\"")))
    }

    /// How many responses one of the owner's forms has.
    pub async fn response_count(&self, form_id: &str) -> Result<i64, HostError> {
        self.require(Scope::ResponsesRead, "counting responses").await?;
        self.backend
            .response_count(self.installation.owner_id, form_id)
            .await
            .map_err(HostError::Failed)?
            .ok_or_else(|| HostError::NotFound(format!("no form \"{form_id}\"")))
    }

    /// Attaches `key` = `value` to one of the owner's responses.
    pub async fn annotate(&self, response_id: &str, key: &str, value: Value) -> Result<(), HostError> {
        self.require(Scope::ResponsesWrite, "annotating a response").await?;
        let found = self
            .backend
            .annotate(self.installation.owner_id, response_id, key, value)
            .await
            .map_err(HostError::Failed)?;
        if found {
            Ok(())
        } else {
            Err(HostError::NotFound(format!("no response \"{response_id}\"")))
        }
    }

    /// Leaves the owner a notice, shown on their dashboard under the app's name.
    pub async fn notify(&self, text: &str) -> Result<(), HostError> {
        self.require(Scope::NotificationsSend, "sending a notification").await?;
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_NOTICE {
            return Err(HostError::Invalid(format!("a notice has 1 to {MAX_NOTICE} characters")));
        }
        self.backend
            .notify(&self.installation, text)
            .await
            .map_err(HostError::Failed)
    }

    /// Sends an HTTP request outside Junction.
    pub async fn http(&self, request: &HttpRequest) -> Result<HttpReply, HostError> {
        self.require(Scope::HttpOutbound, "sending an HTTP request").await?;
        if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&request.method.as_str()) {
            return Err(HostError::Invalid(format!("the method {:?} is not one of GET, POST, PUT, PATCH, DELETE", request.method)));
        }
        if request.body.as_ref().is_some_and(|b| b.len() > MAX_HTTP_BODY) {
            return Err(HostError::Invalid(format!("a request body is at most {MAX_HTTP_BODY} bytes")));
        }
        self.backend.http(request).await.map_err(HostError::Failed)
    }

    /// The app's own configuration, secrets opened.
    pub async fn config(&self) -> Result<&Map<String, Value>, HostError> {
        self.require(Scope::ConfigRead, "reading its configuration")
            .await?;
        Ok(&self.installation.config)
    }

    /// Records an event of the app's own in the installation's audit log.
    pub async fn audit(&self, event: &str, detail: &str) {
        self.backend.audit(&self.installation, event, detail).await;
    }
}

/// Config helpers for handlers: a setting as text, a number or a list of lines.
pub fn text<'a>(config: &'a Map<String, Value>, key: &str) -> &'a str {
    config.get(key).and_then(Value::as_str).unwrap_or("")
}

pub fn number(config: &Map<String, Value>, key: &str) -> Option<f64> {
    config.get(key).and_then(Value::as_f64)
}

/// The non-empty lines (or comma-separated items) of a text setting, trimmed.
pub fn items<'a>(config: &'a Map<String, Value>, key: &str) -> Vec<&'a str> {
    text(config, key)
        .split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}
