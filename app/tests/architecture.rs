//! The layering ARCHITECTURE.md promises, checked on the source text:
//!
//! - the domain (`fields`, `rules`, `routing`, `forms`, `dates`), the hook points (`hooks`)
//!   and the apps (`apps`) import none of `db`, `services`, `api`, `components`, `pages` or
//!   `state`: apps reach Junction only through the host API;
//! - `db` imports only the domain and the shared types (`error`, `auth`);
//! - only `services` calls into `db` (the server crate may open the database and use its
//!   session store, nothing else);
//! - the folders of `app/src` import each other without cycles;
//! - no field kind's name is written as a string outside `fields/`: what a type does is
//!   asked of the type.
//!
//! Test code (`tests.rs` files and `#[cfg(test)]` modules) is not checked: fixtures name
//! kinds, and tests may set up state however they need.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const DOMAIN: &[&str] = &["fields", "rules", "routing", "forms", "dates"];
/// Code that must not reach outward either: hook points and their runtime, and apps.
const INWARD: &[&str] = &["hooks", "apps"];
const OUTER: &[&str] = &["db", "services", "api", "components", "pages", "state"];

/// A source file: its top-level module in `app/src` (or `server`) and its code without
/// comments and tests.
struct Source {
    path: String,
    module: String,
    code: String,
}

fn sources(root: &Path, crate_name: &str) -> Vec<Source> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                if path.file_name().is_some_and(|n| n == "tests.rs") {
                    continue;
                }
                let relative = path.strip_prefix(root).unwrap_or(&path);
                let module = match crate_name {
                    "app" => relative
                        .components()
                        .next()
                        .map(|c| {
                            c.as_os_str()
                                .to_string_lossy()
                                .trim_end_matches(".rs")
                                .to_owned()
                        })
                        .unwrap_or_default(),
                    other => other.to_owned(),
                };
                out.push(Source {
                    path: format!("{crate_name}/src/{}", relative.display()),
                    module,
                    code: without_tests_and_comments(&fs::read_to_string(&path).expect("read")),
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The code before a file's `#[cfg(test)]` module (tests sit at the end of a file), each
/// line without its `//` comment.
fn without_tests_and_comments(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let code = match line.find("//") {
            // `//` inside a string (a URL) is code.
            Some(at) if line[..at].matches('"').count() % 2 == 0 => &line[..at],
            _ => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

fn app_sources() -> Vec<Source> {
    sources(&manifest_dir().join("src"), "app")
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The top-level modules `code` names as `crate::<module>`.
fn imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `$crate::` or part of another path
        }
        let name: String = code[at + "crate::".len()..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

/// Each import of a module `checked` selects that `allowed` refuses, as "path imports …".
fn refused_imports(checked: impl Fn(&str) -> bool, allowed: impl Fn(&str) -> bool) -> Vec<String> {
    let mut wrong = Vec::new();
    for source in app_sources().iter().filter(|s| checked(&s.module)) {
        for import in imports(&source.code) {
            if !allowed(&import) {
                wrong.push(format!("{} imports crate::{import}", source.path));
            }
        }
    }
    wrong
}

#[test]
fn the_domain_imports_no_outer_layer() {
    let wrong = refused_imports(
        |m| DOMAIN.contains(&m) || INWARD.contains(&m),
        |import| !OUTER.contains(&import),
    );
    assert!(
        wrong.is_empty(),
        "domain code reaches outward:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn db_imports_only_domain_types() {
    let wrong = refused_imports(
        |m| m == "db",
        |import| DOMAIN.contains(&import) || ["db", "error", "auth"].contains(&import),
    );
    assert!(
        wrong.is_empty(),
        "db/ reaches beyond the domain:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn only_services_call_into_db() {
    let mut wrong = Vec::new();
    for source in app_sources() {
        // `state.rs` holds the pool; `services/` is where db/ is called.
        if ["db", "services", "state"].contains(&source.module.as_str()) {
            continue;
        }
        if source.code.contains("crate::db") {
            wrong.push(source.path.clone());
        }
    }
    // The server opens the database and gives the session layer its store; the rest of it
    // goes through app::services.
    let server_allowed = [
        "app::db::{DEFAULT_DATABASE_URL, DatabaseUrl}",
        "app::db::{DatabaseUrl, Db}",
        "app::db::DatabaseUrl;",
        "app::db::sessions::DbSessionStore",
    ];
    for source in sources(&manifest_dir().join("../server/src"), "server") {
        let mut code = source.code.clone();
        for allowed in server_allowed {
            code = code.replace(allowed, "");
        }
        if code.contains("app::db") {
            wrong.push(source.path.clone());
        }
    }
    assert!(
        wrong.is_empty(),
        "these call db/ without services/:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn folders_import_each_other_without_cycles() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for source in app_sources() {
        // lib.rs is the root: it assembles every module.
        if source.module == "lib" {
            continue;
        }
        let edges = graph.entry(source.module.clone()).or_default();
        for import in imports(&source.code) {
            if import != source.module {
                edges.insert(import);
            }
        }
    }
    // Depth-first search for a back edge, reporting the cycle it closes.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!(
                "folders import each other in a cycle: {}",
                cycle.join(" → ")
            );
        }
    }
}

/// Every kind in the registry, read from the `kind: "…"` of each type's metadata.
fn kinds() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for source in app_sources().iter().filter(|s| s.module == "fields") {
        for (at, _) in source.code.match_indices("kind: \"") {
            let rest = &source.code[at + "kind: \"".len()..];
            if let Some(end) = rest.find('"') {
                out.insert(rest[..end].to_owned());
            }
        }
    }
    out
}

#[test]
fn no_field_kind_is_named_outside_fields() {
    let kinds = kinds();
    assert!(
        kinds.len() >= 13,
        "the registry's kinds were not found: {kinds:?}"
    );
    // HTML attributes that happen to share a kind's word (`type="email"`) are not kinds.
    let attributes = [
        "type=",
        "name=",
        "autocomplete=",
        "inputmode=",
        "field=",
        "data-test=",
    ];
    // "email" is also the account's email address, and the identifier of the API
    // document's example answer: different things with the same word.
    let account_email = [
        "server/src/rest/responses.rs",
        "app/src/services/accounts.rs",
        "app/src/db/users.rs",
        "app/src/db/api_keys.rs",
        "app/src/api/auth.rs",
        "server/src/lib.rs",
        // The outbox channel of e-mail deliveries (`db::outbox::EMAIL`).
        "app/src/db/outbox.rs",
    ];
    // "url" is also a webhook endpoint's address, the column and the form field it is in.
    let endpoint_url = ["app/src/db/outbox.rs", "app/src/services/webhooks.rs"];
    // "rating" is also the App Store's "best rated" sort and its reviews' stars.
    let catalog_rating = ["app/src/apps/view.rs"];
    let mut found = Vec::new();
    let all = app_sources()
        .into_iter()
        .chain(sources(&manifest_dir().join("../server/src"), "server"));
    for source in all.filter(|s| s.module != "fields") {
        for kind in &kinds {
            let literal = format!("\"{kind}\"");
            for (at, _) in source.code.match_indices(&literal) {
                let before = &source.code[..at];
                if attributes.iter().any(|a| before.ends_with(a)) {
                    continue;
                }
                if kind == "email" && account_email.contains(&source.path.as_str()) {
                    continue;
                }
                if kind == "url" && endpoint_url.contains(&source.path.as_str()) {
                    continue;
                }
                if kind == "rating" && catalog_rating.contains(&source.path.as_str()) {
                    continue;
                }
                let line = before.matches('\n').count() + 1;
                found.push(format!("{}:{line}: {literal}", source.path));
            }
        }
    }
    assert!(
        found.is_empty(),
        "field kinds are matched by name outside fields/ (ask the type instead):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checks_see_what_they_check() {
    // A scanner that read nothing would pass every test above.
    let sources = app_sources();
    assert!(
        sources
            .iter()
            .any(|s| s.path == "app/src/services/submissions.rs")
    );
    assert!(imports("use crate::db::Db; crate::fields::lookup(k)").contains("db"));
    assert!(!imports("$crate::x").contains("x"));
    assert_eq!(
        without_tests_and_comments("a // b\n\"http://x\"\n#[cfg(test)]\nmod tests {}"),
        "a \n\"http://x\"\n"
    );
}
