//! File upload: one file, checked by type and size, stored under the data directory and
//! served only to the form's owner.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;

pub struct File;

/// Largest upload a form may allow.
pub const MAX_MB: u32 = 25;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// Extensions (`.pdf`) or media types (`image/*`, `application/pdf`); empty allows any.
    #[garde(length(max = 50), inner(length(min = 2, max = 100)))]
    pub allowed_types: Vec<String>,
    #[garde(range(min = 1, max = MAX_MB))]
    pub max_size_mb: u32,
}

impl Default for FileConfig {
    fn default() -> Self {
        FileConfig {
            allowed_types: Vec::new(),
            max_size_mb: 10,
        }
    }
}

impl FileConfig {
    pub fn max_bytes(&self) -> u64 {
        u64::from(self.max_size_mb) * 1024 * 1024
    }

    /// Whether a file of this name, media type and size may be uploaded.
    pub fn accepts(&self, name: &str, content_type: &str, size: u64) -> Result<(), String> {
        if size == 0 {
            return Err("The file is empty.".into());
        }
        if size > self.max_bytes() {
            return Err(format!("The file is larger than {} MB.", self.max_size_mb));
        }
        if self.allowed_types.is_empty() {
            return Ok(());
        }
        let name = name.to_ascii_lowercase();
        let content_type = content_type.to_ascii_lowercase();
        let allowed = self.allowed_types.iter().any(|t| {
            let t = t.trim().to_ascii_lowercase();
            if t.starts_with('.') {
                name.ends_with(&t)
            } else if let Some(prefix) = t.strip_suffix("/*") {
                content_type.split('/').next() == Some(prefix)
            } else {
                content_type == t
            }
        });
        if allowed {
            Ok(())
        } else {
            Err(format!(
                "Upload one of these types: {}.",
                self.allowed_types.join(", ")
            ))
        }
    }
}

/// What is stored for an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAnswer {
    pub file_id: String,
    pub name: String,
    pub size: u64,
    pub content_type: String,
}

impl FieldType for File {
    type Config = FileConfig;

    const META: FieldMeta = FieldMeta {
        kind: "file",
        name: "File upload",
        icon: "📎",
        doc: FieldDoc {
            what: "One uploaded file, such as a CV or a brief.",
            stored: "{\"file_id\", \"name\", \"size\", \"content_type\"}; the bytes are kept in the \
                     data directory and only the form's owner can download them.",
            validation: "Allowed types (extensions such as .pdf or media types such as image/*) \
                         and a maximum size (1 to 25 MB).",
            example: "{\"file_id\": \"…\", \"name\": \"brief.pdf\", \"size\": 48213, \"content_type\": \"application/pdf\"}",
        },
    };

    fn family(&self) -> Option<Family> {
        None
    }

    fn needs_multipart(&self) -> bool {
        true
    }

    fn max_upload_bytes(&self, config: &FileConfig) -> u64 {
        config.max_bytes()
    }

    fn accepts_upload(
        &self,
        name: &str,
        content_type: &str,
        size: u64,
        config: &FileConfig,
    ) -> Result<(), String> {
        config.accepts(name, content_type, size)
    }

    fn parse(&self, value: &Value, config: &FileConfig) -> Result<Value, String> {
        let answer: FileAnswer =
            serde_json::from_value(value.clone()).map_err(|_| "Upload a file.".to_owned())?;
        if answer.file_id.is_empty() || !answer.file_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err("Upload a file.".into());
        }
        config.accepts(&answer.name, &answer.content_type, answer.size)?;
        Ok(serde_json::to_value(answer).unwrap_or(Value::Null))
    }

    fn check(&self, config: &FileConfig) -> Vec<(String, String)> {
        config
            .allowed_types
            .iter()
            .filter(|t| !(t.starts_with('.') || t.contains('/')))
            .map(|t| {
                (
                    "allowed_types".to_owned(),
                    format!("\"{t}\" is neither an extension (.pdf) nor a media type (image/*)"),
                )
            })
            .collect()
    }

    fn config_props(&self) -> &'static [ConfigProp] {
        &[
            ConfigProp {
                key: "allowed_types",
                label: "Allowed types (comma-separated, e.g. .pdf, image/*)",
                kind: PropKind::List,
            },
            ConfigProp {
                key: "max_size_mb",
                label: "Maximum size (MB)",
                kind: PropKind::Number,
            },
        ]
    }

    fn input(&self, ctx: InputCtx, config: &FileConfig) -> AnyView {
        let InputCtx {
            html_id,
            name,
            required,
            invalid,
            described_by,
            disabled,
            value,
            ..
        } = ctx;
        let accept = (!config.allowed_types.is_empty()).then(|| config.allowed_types.join(","));
        view! {
            <input
                id=html_id
                name=name
                type="file"
                accept=accept
                required=required
                disabled=disabled
                aria-invalid=invalid.then_some("true")
                aria-describedby=described_by
                on:change=move |ev| {
                    // The browser keeps the file; the value only records that one was chosen.
                    let chosen = event_target_value(&ev);
                    value.set(if chosen.is_empty() { Value::Null } else { json!({"chosen": chosen}) });
                }
            />
        }
        .into_any()
    }

    fn fixtures(&self) -> Fixtures {
        let file = |name: &str, size: u64, ct: &str| json!({"file_id": "abc123", "name": name, "size": size, "content_type": ct});
        Fixtures {
            config: json!({"allowed_types": [".pdf", "image/*"], "max_size_mb": 1}),
            valid: vec![
                (
                    file("cv.PDF", 1000, "application/pdf"),
                    file("cv.PDF", 1000, "application/pdf"),
                ),
                (
                    file("me.png", 2000, "image/png"),
                    file("me.png", 2000, "image/png"),
                ),
            ],
            invalid: vec![
                file("cv.docx", 1000, "application/msword"),
                file("big.pdf", 2 * 1024 * 1024, "application/pdf"),
                json!("cv.pdf"),
                json!({"file_id": "../etc/passwd", "name": "a.pdf", "size": 1, "content_type": "application/pdf"}),
            ],
        }
    }
}
