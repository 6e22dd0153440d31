//! The automatic verification of an uploaded app version: a security scan, a compatibility
//! check and a performance test, each with its findings, in one [`VerificationReport`].
//!
//! - **Security**: the component compiles; it imports only `log` and the interfaces its
//!   manifest's permissions open (so no WASI and nothing undeclared); its manifest passes
//!   the checks a built-in app's passes, among the apps already in the catalog.
//! - **Compatibility**: every Junction interface it imports is of a WIT version this host
//!   offers (`1.x`), it links against the host, its own `manifest` export names the same
//!   app and version, and its dependencies resolve (the manifest checks).
//! - **Performance**: each hook it declares runs once on the hook's sample payload, with
//!   its settings' defaults, under the limits that hook runs under; the report keeps the
//!   fuel, time and peak memory of each run. An app past a limit, or one that traps, fails.

use semver::Version;

use super::{Event, Failure, Limits, Outcome, Runtime, WIT_PACKAGE, WIT_VERSION};
use crate::apps::check::{Host as CheckHost, check_catalog};
use crate::apps::contract::opened_by;
use crate::apps::manifest::{Manifest, SettingKind};
use crate::apps::view::{ReportSection, TrialRun, VerificationReport};
use crate::hooks::HookKind;

/// How many times a trial starved of CPU by the server is run before its report says so.
const TRIALS: u32 = 5;

/// A verified upload: the report, and the compiled component when it compiled.
pub struct Verified {
    pub report: VerificationReport,
    pub compiled: Option<Vec<u8>>,
}

/// Whether a manifest problem is one of compatibility (its dependencies, or the Junction
/// versions it works with) rather than of the manifest itself; the words are
/// `check.rs`'s.
fn about_compatibility(problem: &str) -> bool {
    ["depends on", "dependency", "needs \"", "works with Junction"].iter().any(|words| problem.contains(words))
}

/// Verifies `wasm` (whose SHA-256 is `sha256`), uploaded with `manifest`, against the
/// apps already in the catalog (`others`, without this app).
pub async fn verify(runtime: &Runtime, sha256: &str, wasm: &[u8], manifest: &Manifest, others: &[Manifest]) -> Verified {
    let mut report = VerificationReport::default();
    let mut security = Findings::default();
    let mut compatibility = Findings::default();
    let mut performance = Findings::default();

    // The manifest, as a built-in app's would be checked, among the catalog's.
    let mut catalog: Vec<Manifest> = others.iter().filter(|m| m.slug != manifest.slug).cloned().collect();
    catalog.push(manifest.clone());
    let hooks: Vec<&str> = crate::hooks::CATALOG.iter().map(|p| p.name).collect();
    // Junction's own kinds; those apps contribute belong to their apps' manifests.
    let kinds: Vec<&str> = crate::fields::REGISTRY.iter().filter(|t| t.app().is_none()).map(|t| t.meta().kind).collect();
    let host = CheckHost { junction_version: env!("CARGO_PKG_VERSION"), hooks: &hooks, field_kinds: &kinds };
    match check_catalog(&catalog, &host) {
        Ok(()) => security.pass("the manifest passes the checks every app's passes"),
        Err(e) if about_compatibility(&e.problem) => compatibility.fail(e.to_string()),
        Err(e) => security.fail(format!("the manifest: {}", e.problem)),
    }
    if !manifest.field_types.is_empty() {
        security.fail("an uploaded app cannot add field types: they are compiled into Junction".to_owned());
    }

    let compiled = match runtime.compile(wasm) {
        Ok(compiled) => compiled,
        Err(e) => {
            security.fail(e);
            report.security = security.done();
            report.compatibility = compatibility.done();
            report.performance = performance.done();
            return Verified { report, compiled: None };
        }
    };

    // Imports: nothing but the interfaces its permissions open, each of a version offered.
    let imports = runtime.imports(&compiled).unwrap_or_default();
    let offered = Version::parse(WIT_VERSION).expect("the host's WIT version is semver");
    let mut undeclared = false;
    for import in &imports {
        let (name, version) = import.split_once('@').unwrap_or((import.as_str(), ""));
        let interface = name.strip_prefix(&format!("{WIT_PACKAGE}/")).and_then(opened_by);
        match interface {
            None => {
                undeclared = true;
                security.fail(format!("it imports {import}, which Junction does not offer to apps"));
            }
            Some(Some(scopes)) if !scopes.iter().any(|s| manifest.permissions.contains(s)) => {
                undeclared = true;
                let names: Vec<&str> = scopes.iter().map(|s| s.name()).collect();
                security.fail(format!(
                    "it imports {import}, which needs {}, not among its manifest's permissions",
                    names.join(" or ")
                ));
            }
            Some(_) => match Version::parse(version) {
                Ok(v) if v.major == offered.major && (v.major > 0 || v.minor == offered.minor) => {}
                Ok(v) => compatibility.fail(format!(
                    "it was built against {WIT_PACKAGE} {v}; this Junction offers {WIT_PACKAGE} {offered}"
                )),
                Err(_) => compatibility.fail(format!("its import {import} names no version of {WIT_PACKAGE}")),
            },
        }
    }
    if !undeclared {
        security.pass(&format!("its imports are within its permissions: {}", if imports.is_empty() { "none".to_owned() } else { imports.join(", ") }));
    }
    report.imports = imports;

    let prepared = match runtime.prepare(sha256, &compiled) {
        Ok(prepared) => Some(prepared),
        Err(e) => {
            compatibility.fail(format!("it does not link against this Junction: {e}"));
            None
        }
    };
    if let Some(prepared) = &prepared {
        match measured(|| async { (runtime.manifest(prepared, &manifest.slug).await, ()) }).await.0 {
            Ok(own) => match Manifest::from_json(&own) {
                Ok(own) if own.slug == manifest.slug && own.version == manifest.version => {
                    compatibility.pass(&format!("built against {WIT_PACKAGE} {WIT_VERSION}; it names itself {} {}", own.slug, own.version));
                }
                Ok(own) => compatibility.fail(format!(
                    "the component names itself {} {}, but it was uploaded as {} {}",
                    own.slug, own.version, manifest.slug, manifest.version
                )),
                Err(e) => compatibility.fail(format!("its own manifest does not read: {e}")),
            },
            Err(failure) => compatibility.fail(format!("asked for its manifest, it {failure}")),
        }
        for declared in &manifest.hooks {
            let Some(point) = crate::hooks::lookup(&declared.hook) else { continue };
            let limits = if point.kind == HookKind::Filter { Limits::FILTER } else { Limits::ACTION };
            let event = Event {
                hook: point.name.to_owned(),
                payload_json: point.sample.to_owned(),
                config_json: sample_config(manifest),
            };
            let (answer, used) =
                measured(|| runtime.handle(prepared, &manifest.slug, None, event.clone(), limits)).await;
            let (passed, result) = match answer {
                Ok(Outcome::Accept(_)) => (true, "accepted".to_owned()),
                Ok(Outcome::Reject(message)) => (true, format!("rejected: {message}")),
                // A handler may refuse a made-up payload; only limits and traps fail it.
                Err(Failure::Refused(message)) => (true, format!("returned an error: {message}")),
                Err(failure) => (false, failure.to_string()),
            };
            if !passed {
                performance.fail(format!("{}: it {result}", point.name));
            }
            report.runs.push(TrialRun {
                hook: point.name.to_owned(),
                passed,
                result,
                fuel: used.fuel as i64,
                micros: used.micros as i64,
                peak_memory: used.peak_memory as i64,
                fuel_limit: limits.fuel as i64,
                time_limit_ms: limits.time.as_millis() as i64,
                memory_limit: limits.memory as i64,
            });
        }
        if manifest.hooks.is_empty() {
            performance.pass("it declares no hook, so there is nothing to run");
        } else if report.runs.iter().all(|r| r.passed) {
            performance.pass("each hook it declares ran on a sample payload within the limits");
        }
    } else {
        performance.fail("it could not be run".to_owned());
    }

    report.security = security.done();
    report.compatibility = compatibility.done();
    report.performance = performance.done();
    report.passed = report.security.passed && report.compatibility.passed && report.performance.passed;
    Verified { report, compiled: Some(compiled) }
}

/// Settings to try the app with: each default, else a plain value of its kind.
fn sample_config(manifest: &Manifest) -> String {
    let mut config = crate::apps::config::defaults(&manifest.settings);
    for setting in &manifest.settings {
        if config.contains_key(&setting.key) {
            continue;
        }
        let value = match setting.kind {
            SettingKind::Number => serde_json::json!(1),
            SettingKind::Boolean => serde_json::json!(false),
            SettingKind::Select => serde_json::json!(setting.options.first().cloned().unwrap_or_default()),
            SettingKind::Url => serde_json::json!("https://example.com/"),
            SettingKind::Email => serde_json::json!("someone@example.com"),
            SettingKind::Text | SettingKind::Secret => serde_json::json!("example.com"),
        };
        config.insert(setting.key.clone(), value);
    }
    serde_json::Value::Object(config).to_string()
}

/// One section's findings as they come.
#[derive(Default)]
struct Findings {
    failed: bool,
    notes: Vec<String>,
}

impl Findings {
    fn pass(&mut self, note: &str) {
        self.notes.push(note.to_owned());
    }

    fn fail(&mut self, problem: String) {
        self.failed = true;
        self.notes.push(problem);
    }

    fn done(self) -> ReportSection {
        ReportSection { passed: !self.failed, findings: self.notes }
    }
}

/// Runs a trial again while the server is too busy to give it the CPU (a few times, a
/// moment apart), so that a busy server does not fail an app it did not let run.
async fn measured<T, M, F>(trial: impl Fn() -> F) -> (Result<T, Failure>, M)
where
    F: Future<Output = (Result<T, Failure>, M)>,
{
    let mut attempt = 1;
    loop {
        let (answer, used) = trial().await;
        if attempt == TRIALS || !matches!(answer, Err(Failure::Starved(_))) {
            return (answer, used);
        }
        attempt += 1;
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
