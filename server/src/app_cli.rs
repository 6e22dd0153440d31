//! `junction app …`: publishing apps from the command line (upload, submit, approve,
//! reject) and starting a new app project from the template.

use std::path::{Path, PathBuf};

use app::apps::view::VersionView;
use app::db::DatabaseUrl;
use app::services::publishing::{self, Image, Upload};
use app::state::AppState;

use crate::{command_line_error, open_database};

/// The template `junction app new` writes, with `{{name}}`, `{{slug}}` and `{{crate}}` filled.
const TEMPLATE: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../../examples/apps/template/Cargo.toml")),
    ("manifest.json", include_str!("../../examples/apps/template/manifest.json")),
    ("src/lib.rs", include_str!("../../examples/apps/template/src/lib.rs")),
    ("logo.svg", include_str!("../../examples/apps/template/logo.svg")),
    ("build.sh", include_str!("../../examples/apps/domain-filter/build.sh")),
    ("wit/junction.wit", include_str!("../../wit/junction.wit")),
];

/// A server's state for the command line, its registry with the uploaded apps read.
async fn state(url: &DatabaseUrl, data_dir: &Path) -> Result<AppState, String> {
    let db = open_database(url).await?;
    let options = crate::leptos_options(([127, 0, 0, 1], 0).into());
    let state = crate::app_state(db, options, data_dir.to_path_buf(), app::auth::ApiLimiter::new(0, 0))?;
    publishing::refresh_registry(&state, true).await.map_err(command_line_error)?;
    Ok(state)
}

/// An image beside the manifest, named by it (`"logo": "logo.svg"`).
fn image_beside(manifest_path: &Path, name: &str) -> Result<Option<Image>, String> {
    if name.is_empty() || name.starts_with('/') || name.contains("..") {
        return Ok(None);
    }
    let path = manifest_path.parent().unwrap_or(Path::new(".")).join(name);
    if !path.is_file() {
        return Ok(None);
    }
    let content_type = match path.extension().and_then(|e| e.to_str()) {
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        _ => return Err(format!("{}: an image is .svg, .png, .jpg or .webp", path.display())),
    };
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(Some(Image { content_type: content_type.to_owned(), bytes }))
}

/// `junction app upload --email <publisher> <manifest.json> <app.wasm>`.
pub async fn upload(url: &DatabaseUrl, data_dir: &Path, email: &str, manifest_path: &Path, component: &Path) -> Result<String, String> {
    let manifest = std::fs::read_to_string(manifest_path).map_err(|e| format!("cannot read {}: {e}", manifest_path.display()))?;
    let component = std::fs::read(component).map_err(|e| format!("cannot read {}: {e}", component.display()))?;
    let fields: serde_json::Value = serde_json::from_str(&manifest).unwrap_or_default();
    let logo = image_beside(manifest_path, fields["logo"].as_str().unwrap_or(""))?;
    let mut screenshots = Vec::new();
    for name in fields["screenshots"].as_array().into_iter().flatten().filter_map(|v| v.as_str()) {
        screenshots.extend(image_beside(manifest_path, name)?);
    }
    let state = state(url, data_dir).await?;
    let publisher = account(&state, email).await?;
    let result = publishing::upload(&state, &publisher, Upload { manifest, component, logo, screenshots }).await;
    state.db.close().await;
    let version = result.map_err(command_line_error)?;
    Ok(report(&version, email))
}

/// The version and its verification report, for the terminal.
fn report(version: &VersionView, email: &str) -> String {
    let report = &version.report;
    let mut out = format!("{} {} is uploaded, in draft.\n", version.app, version.version);
    for (name, section) in [("security", &report.security), ("compatibility", &report.compatibility), ("performance", &report.performance)] {
        out.push_str(&format!("{name}: {}\n", if section.passed { "passed" } else { "FAILED" }));
        for finding in &section.findings {
            out.push_str(&format!("  - {finding}\n"));
        }
    }
    for run in &report.runs {
        out.push_str(&format!(
            "  {}: {} · {} instructions · {:.1} ms · peak memory {:.1} MiB (limits {} · {} ms · {} MiB)\n",
            run.hook,
            run.result,
            run.fuel,
            run.micros as f64 / 1000.0,
            run.peak_memory as f64 / 1048576.0,
            run.fuel_limit,
            run.time_limit_ms,
            run.memory_limit >> 20
        ));
    }
    if report.passed {
        out.push_str(&format!(
            "It passed its verification: submit it with `junction app submit --email {email} {} {}`.",
            version.app, version.version
        ));
    } else {
        out.push_str("It did not pass its verification, so it cannot be submitted.");
    }
    out
}

async fn account(state: &AppState, email: &str) -> Result<app::auth::SessionUser, String> {
    app::services::accounts::find_by_email(&state.db, &app::auth::normalize_email(email))
        .await
        .map_err(command_line_error)?
        .map(|record| record.user)
        .ok_or_else(|| format!("there is no account for {email}"))
}

/// `junction app submit <slug> <version> --email <publisher>`.
pub async fn submit(url: &DatabaseUrl, data_dir: &Path, email: &str, slug: &str, version: &str) -> Result<String, String> {
    let state = state(url, data_dir).await?;
    let publisher = account(&state, email).await?;
    let result = publishing::submit(&state, &publisher, slug, version).await;
    state.db.close().await;
    result.map_err(command_line_error)?;
    Ok(format!("{slug} {version} is submitted for approval"))
}

/// `junction app approve <slug> <version>` and `junction app reject … --reason`: the
/// operator of the server decides, as an administrator.
pub async fn decide(url: &DatabaseUrl, data_dir: &Path, slug: &str, version: &str, reject: Option<&str>) -> Result<String, String> {
    let state = state(url, data_dir).await?;
    let result = publishing::decide_as_operator(&state, slug, version, reject.is_none(), reject.unwrap_or("")).await;
    state.db.close().await;
    result.map_err(command_line_error)?;
    Ok(match reject {
        None => format!("{slug} {version} is approved: it is in the catalog"),
        Some(reason) => format!("{slug} {version} is rejected: {reason}"),
    })
}

/// `junction app new <name>`: a new app project in `./<slug>`, from the template.
pub fn new_project(name: &str, into: Option<&Path>) -> Result<String, String> {
    let name = name.trim();
    let slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() || !slug.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(format!("{name:?} does not make a slug: start the name with a letter"));
    }
    if name.contains(['"', '\\', '{', '}']) || name.chars().count() > 60 {
        return Err("a name has at most 60 characters, without quotes, backslashes or braces".into());
    }
    let dir: PathBuf = into.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(&slug));
    if dir.exists() {
        return Err(format!("{} exists already", dir.display()));
    }
    let crate_name = slug.replace('-', "_");
    for (path, text) in TEMPLATE {
        let text = text.replace("{{name}}", name).replace("{{slug}}", &slug).replace("{{crate}}", &crate_name);
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&target, text).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        #[cfg(unix)]
        if *path == "build.sh" {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755));
        }
    }
    Ok(format!(
        "wrote the app {slug} in {}: edit src/lib.rs and manifest.json, build it with `bash {}/build.sh`, then upload it with `junction app upload --email <you> {}/manifest.json <the .wasm it prints>`",
        dir.display(),
        dir.display(),
        dir.display()
    ))
}
