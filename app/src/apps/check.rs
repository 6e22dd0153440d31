//! Checking manifests (server only): `check_catalog` runs when the server starts, so a bad
//! manifest stops start-up with one line naming the app and the problem.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::manifest::{Manifest, ManifestError, Setting, SettingKind};

/// What the manifests are checked against: the running Junction, the hook points and the
/// field kinds that already exist.
pub struct Host<'a> {
    pub junction_version: &'a str,
    pub hooks: &'a [&'a str],
    pub field_kinds: &'a [&'a str],
}

/// Checks every manifest on its own and all of them together: unique slugs, semver
/// versions, a Junction range that includes the running version, dependencies that exist
/// in a compatible version and form no cycle, a valid settings schema, known hook points,
/// and field types that clash with no existing kind or each other.
pub fn check_catalog(manifests: &[Manifest], host: &Host<'_>) -> Result<(), ManifestError> {
    let running = semver::Version::parse(host.junction_version).map_err(|e| ManifestError {
        app: "junction".into(),
        problem: format!(
            "the running version {:?} is not semver: {e}",
            host.junction_version
        ),
    })?;
    let mut slugs = HashSet::new();
    for manifest in manifests {
        let fail = |problem: String| ManifestError {
            app: manifest.slug.clone(),
            problem,
        };
        check_one(manifest, host, &running).map_err(fail)?;
        if !slugs.insert(manifest.slug.as_str()) {
            return Err(fail("another app has the same slug".into()));
        }
    }
    check_dependencies(manifests)?;
    let mut contributed: HashMap<&str, &str> = HashMap::new();
    for manifest in manifests {
        for kind in &manifest.field_types {
            if let Some(other) = contributed.insert(kind, &manifest.slug) {
                return Err(ManifestError {
                    app: manifest.slug.clone(),
                    problem: format!("the field type \"{kind}\" is also added by \"{other}\""),
                });
            }
        }
    }
    Ok(())
}

fn check_one(
    manifest: &Manifest,
    host: &Host<'_>,
    running: &semver::Version,
) -> Result<(), String> {
    let slug = &manifest.slug;
    if slug.is_empty()
        || slug.len() > 64
        || !slug.starts_with(|c: char| c.is_ascii_lowercase())
        || !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(
            "the slug must be lowercase letters, digits and -, starting with a letter (at most 64)"
                .into(),
        );
    }
    for (what, text, most) in [
        ("name", &manifest.name, 80),
        ("summary", &manifest.summary, 200),
        ("description", &manifest.description, 10_000),
        ("publisher", &manifest.publisher, 200),
        ("contact", &manifest.contact, 200),
    ] {
        if text.trim().is_empty() {
            return Err(format!("the {what} is empty"));
        }
        if text.chars().count() > most {
            return Err(format!("the {what} is longer than {most} characters"));
        }
    }
    let version = semver::Version::parse(&manifest.version)
        .map_err(|e| format!("the version {:?} is not semver: {e}", manifest.version))?;
    let mut released = BTreeSet::new();
    for release in &manifest.releases {
        let v = semver::Version::parse(&release.version)
            .map_err(|e| format!("the release {:?} is not semver: {e}", release.version))?;
        if !released.insert(v) {
            return Err(format!("the release {} is listed twice", release.version));
        }
        if release.changes.trim().is_empty() {
            return Err(format!(
                "the release {} has no changelog entry",
                release.version
            ));
        }
    }
    if released.last() != Some(&version) {
        return Err(format!(
            "the version {version} must be the newest of the releases"
        ));
    }
    if let Some(newest) = manifest.releases.iter().find(|r| r.version == manifest.version)
        && newest.permissions.as_ref().is_some_and(|p| p != &manifest.permissions)
    {
        return Err(format!(
            "the release {version} lists other permissions than the manifest's"
        ));
    }
    let range = semver::VersionReq::parse(&manifest.junction).map_err(|e| {
        format!(
            "the Junction range {:?} is not a semver requirement: {e}",
            manifest.junction
        )
    })?;
    if !range.matches(running) {
        return Err(format!(
            "it works with Junction {}, not with the running {running}",
            manifest.junction
        ));
    }
    if manifest.categories.is_empty() {
        return Err("it has no category".into());
    }
    for path in std::iter::once(&manifest.logo).chain(&manifest.screenshots) {
        if !path.starts_with('/') || path.starts_with("//") || path.contains("..") {
            return Err(format!("the asset {path:?} is not a path under public/"));
        }
    }
    let mut scopes = HashSet::new();
    for scope in &manifest.permissions {
        if !scopes.insert(scope) {
            return Err(format!(
                "the permission {} is requested twice",
                scope.name()
            ));
        }
    }
    check_settings(&manifest.settings)?;
    for registration in &manifest.hooks {
        if !host.hooks.contains(&registration.hook.as_str()) {
            return Err(format!("there is no hook point \"{}\"", registration.hook));
        }
        if let (Some(needed), _) = super::registry::hook_scopes(&registration.hook)
            && !manifest.permissions.contains(&needed)
        {
            return Err(format!(
                "it handles \"{}\", which needs the permission {}; request it",
                registration.hook,
                needed.name()
            ));
        }
    }
    for kind in &manifest.field_types {
        if host.field_kinds.contains(&kind.as_str()) {
            return Err(format!("the field type \"{kind}\" already exists"));
        }
        if !crate::forms::is_valid_identifier(kind) {
            return Err(format!(
                "the field type \"{kind}\" is not lower-case letters, digits and _"
            ));
        }
    }
    for dependency in &manifest.dependencies {
        semver::VersionReq::parse(&dependency.version).map_err(|e| {
            format!(
                "the dependency on \"{}\" asks for {:?}, which is not a semver requirement: {e}",
                dependency.app, dependency.version
            )
        })?;
        if dependency.app == manifest.slug {
            return Err("it depends on itself".into());
        }
    }
    Ok(())
}

fn check_settings(settings: &[Setting]) -> Result<(), String> {
    let mut keys = HashSet::new();
    for setting in settings {
        let key = &setting.key;
        if !crate::forms::is_valid_identifier(key) {
            return Err(format!(
                "the setting key {key:?} is not lower-case letters, digits and _"
            ));
        }
        if !keys.insert(key) {
            return Err(format!("the setting \"{key}\" is listed twice"));
        }
        if setting.label.trim().is_empty() {
            return Err(format!("the setting \"{key}\" has no label"));
        }
        if setting.kind == SettingKind::Select && setting.options.is_empty() {
            return Err(format!("the select setting \"{key}\" has no options"));
        }
        if setting.kind != SettingKind::Select && !setting.options.is_empty() {
            return Err(format!("only a select setting has options, not \"{key}\""));
        }
        if let Some(default) = &setting.default {
            if setting.kind == SettingKind::Secret {
                return Err(format!("the secret \"{key}\" cannot have a default"));
            }
            let fits = match setting.kind {
                SettingKind::Number => default.is_number(),
                SettingKind::Boolean => default.is_boolean(),
                SettingKind::Select => default
                    .as_str()
                    .is_some_and(|d| setting.options.iter().any(|o| o == d)),
                _ => default.is_string(),
            };
            if !fits {
                return Err(format!("the default of \"{key}\" does not fit its type"));
            }
        }
    }
    Ok(())
}

/// Every dependency names an app of the catalog in a matching version, and no chain of
/// dependencies comes back to where it started.
fn check_dependencies(manifests: &[Manifest]) -> Result<(), ManifestError> {
    let by_slug: BTreeMap<&str, &Manifest> =
        manifests.iter().map(|m| (m.slug.as_str(), m)).collect();
    for manifest in manifests {
        for dependency in &manifest.dependencies {
            let fail = |problem: String| ManifestError {
                app: manifest.slug.clone(),
                problem,
            };
            let Some(other) = by_slug.get(dependency.app.as_str()) else {
                return Err(fail(format!(
                    "it depends on \"{}\", which does not exist",
                    dependency.app
                )));
            };
            let wanted =
                semver::VersionReq::parse(&dependency.version).map_err(|e| fail(e.to_string()))?;
            let fits = other
                .releases
                .iter()
                .filter_map(|r| semver::Version::parse(&r.version).ok())
                .any(|v| wanted.matches(&v));
            if !fits {
                return Err(fail(format!(
                    "it needs \"{}\" {}, which has no such version",
                    dependency.app, dependency.version
                )));
            }
        }
    }
    // Depth-first, reporting the first cycle found.
    fn visit<'a>(
        slug: &'a str,
        by_slug: &BTreeMap<&'a str, &'a Manifest>,
        path: &mut Vec<&'a str>,
        done: &mut HashSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(at) = path.iter().position(|s| *s == slug) {
            let mut cycle = path[at..].to_vec();
            cycle.push(slug);
            return Some(cycle);
        }
        if !done.insert(slug) {
            return None;
        }
        path.push(slug);
        for dependency in by_slug
            .get(slug)
            .map(|m| m.dependencies.as_slice())
            .unwrap_or_default()
        {
            if let Some(cycle) = visit(dependency.app.as_str(), by_slug, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = HashSet::new();
    for slug in by_slug.keys() {
        if let Some(cycle) = visit(slug, &by_slug, &mut Vec::new(), &mut done) {
            return Err(ManifestError {
                app: cycle[0].to_owned(),
                problem: format!("its dependencies form a cycle: {}", cycle.join(" → ")),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::apps::manifest::Scope;

    const HOOKS: &[&str] = &["form.beforeSubmit", "form.submitted"];
    const KINDS: &[&str] = &["short_text", "email"];

    fn host() -> Host<'static> {
        Host {
            junction_version: "0.1.0",
            hooks: HOOKS,
            field_kinds: KINDS,
        }
    }

    fn manifest(slug: &str) -> Value {
        json!({
            "slug": slug, "name": "Sample", "summary": "Does a thing.",
            "description": "Does a thing, at length.", "version": "1.1.0",
            "releases": [{"version": "1.0.0", "changes": "First."}, {"version": "1.1.0", "changes": "Better."}],
            "publisher": "Junction", "contact": "apps@junction.example", "type": "form",
            "categories": ["forms"], "logo": "/apps/sample.svg", "junction": ">=0.1, <2",
            "permissions": ["forms:read", "responses:read"],
            "settings": [{"key": "domains", "label": "Blocked domains", "type": "text"}],
            "hooks": [{"hook": "form.beforeSubmit", "priority": 10}]
        })
    }

    fn read(value: Value) -> Manifest {
        serde_json::from_value(value).expect("a manifest")
    }

    /// The problem `check_catalog` finds in the catalog of `values`.
    fn problem(values: Vec<Value>) -> String {
        let manifests: Vec<Manifest> = values.into_iter().map(read).collect();
        check_catalog(&manifests, &host()).unwrap_err().to_string()
    }

    fn with(slug: &str, key: &str, value: Value) -> Value {
        let mut m = manifest(slug);
        m[key] = value;
        m
    }

    #[test]
    fn a_good_catalog_passes() {
        let mut second = manifest("second");
        second["dependencies"] = json!([{"app": "first", "version": "^1.0"}]);
        second["field_types"] = json!(["rating"]);
        let manifests = vec![read(manifest("first")), read(second)];
        assert_eq!(check_catalog(&manifests, &host()), Ok(()));
    }

    #[test]
    fn each_bad_manifest_is_named_with_its_problem() {
        let cases: Vec<(Vec<Value>, &str)> = vec![
            (
                vec![manifest("twin"), manifest("twin")],
                "app \"twin\": another app has the same slug",
            ),
            (
                vec![manifest("Bad_Slug")],
                "app \"Bad_Slug\": the slug must be lowercase",
            ),
            (
                vec![with("v", "version", json!("1.1"))],
                "app \"v\": the version \"1.1\" is not semver",
            ),
            (
                vec![with(
                    "r",
                    "releases",
                    json!([{"version": "1.0.0", "changes": "First."}]),
                )],
                "app \"r\": the version 1.1.0 must be the newest of the releases",
            ),
            (
                vec![with(
                    "perm",
                    "releases",
                    json!([{"version": "1.0.0", "changes": "First."},
                           {"version": "1.1.0", "changes": "Better.", "permissions": ["forms:write"]}]),
                )],
                "app \"perm\": the release 1.1.0 lists other permissions than the manifest's",
            ),
            (
                vec![with("old", "junction", json!(">=2"))],
                "app \"old\": it works with Junction >=2, not with the running 0.1.0",
            ),
            (
                vec![with(
                    "dep",
                    "dependencies",
                    json!([{"app": "ghost", "version": "^1"}]),
                )],
                "app \"dep\": it depends on \"ghost\", which does not exist",
            ),
            (
                vec![
                    manifest("base"),
                    with(
                        "needy",
                        "dependencies",
                        json!([{"app": "base", "version": "^2"}]),
                    ),
                ],
                "app \"needy\": it needs \"base\" ^2, which has no such version",
            ),
            (
                vec![
                    with("a", "dependencies", json!([{"app": "b", "version": "^1"}])),
                    with("b", "dependencies", json!([{"app": "a", "version": "^1"}])),
                ],
                "app \"a\": its dependencies form a cycle: a → b → a",
            ),
            (
                vec![with(
                    "cfg",
                    "settings",
                    json!([{"key": "mode", "label": "Mode", "type": "select"}]),
                )],
                "app \"cfg\": the select setting \"mode\" has no options",
            ),
            (
                vec![with(
                    "sec",
                    "settings",
                    json!([{"key": "token", "label": "Token", "type": "secret", "default": "x"}]),
                )],
                "app \"sec\": the secret \"token\" cannot have a default",
            ),
            (
                vec![with("hk", "hooks", json!([{"hook": "form.exploded"}]))],
                "app \"hk\": there is no hook point \"form.exploded\"",
            ),
            (
                vec![{
                    let mut m = with("nosy", "hooks", json!([{"hook": "form.submitted"}]));
                    m["permissions"] = json!(["forms:read"]);
                    m
                }],
                "app \"nosy\": it handles \"form.submitted\", which needs the permission responses:read",
            ),
            (
                vec![with("ft", "field_types", json!(["email"]))],
                "app \"ft\": the field type \"email\" already exists",
            ),
            (
                vec![
                    with("one", "field_types", json!(["rating"])),
                    with("two", "field_types", json!(["rating"])),
                ],
                "app \"two\": the field type \"rating\" is also added by \"one\"",
            ),
        ];
        for (catalog, expected) in cases {
            let found = problem(catalog);
            assert!(
                found.starts_with(expected),
                "expected {expected:?}, found {found:?}"
            );
        }
    }

    #[test]
    fn a_manifest_of_the_wrong_shape_is_refused_naming_the_field() {
        let mut m = manifest("x");
        m.as_object_mut().unwrap().remove("publisher");
        let err = Manifest::from_json(&m.to_string()).unwrap_err();
        assert!(err.contains("missing field `publisher`"), "{err}");
        let err = Manifest::from_json(&with("x", "permissions", json!(["everything"])).to_string())
            .unwrap_err();
        assert!(err.contains("unknown variant `everything`"), "{err}");
    }

    #[test]
    fn every_scope_reads_as_a_sentence() {
        for scope in Scope::ALL {
            let json = serde_json::to_value(scope).unwrap();
            assert_eq!(json, scope.name());
            assert!(scope.sentence().ends_with('.'));
        }
    }
}
