//! The contract with uploaded apps, as both the host (`wasm/`) and the guide page
//! (`/docs/apps`) read it: the WIT world in `wit/junction.wit`, which permission opens each
//! of its interfaces, and the limits an event runs under. The guide is generated from
//! these, so it cannot drift from what the host enforces.

use std::time::Duration;

use super::manifest::Scope;

/// The WIT world, as the repository keeps it.
pub const WIT: &str = include_str!("../../../wit/junction.wit");

/// The WIT package the host offers; a component built against any 1.x version of it is
/// compatible.
pub const WIT_PACKAGE: &str = "junction:app";
pub const WIT_VERSION: &str = "1.0.0";

/// What one event may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Instructions, roughly (wasmtime's fuel).
    pub fuel: u64,
    /// Running time: while the app runs or waits on a call into Junction, not while it waits
    /// for a CPU the server's own work holds, nor while it is held ([`SLICE`]).
    pub time: Duration,
    /// The longest an event may last in all, from the moment it is handed to the app
    /// threads: past it, an event that did not use its running time was starved by the
    /// server and is given up without counting against the app. For actions it stays under
    /// the hook runtime's own timeout.
    pub wall: Duration,
    pub memory: usize,
}

impl Limits {
    /// For a filter, which the user's request waits for.
    pub const FILTER: Limits = Limits {
        fuel: 400_000_000,
        time: Duration::from_millis(100),
        wall: Duration::from_secs(1),
        memory: 32 << 20,
    };
    /// For an action, which runs after the request has been answered.
    pub const ACTION: Limits = Limits {
        fuel: 4_000_000_000,
        time: Duration::from_secs(1),
        wall: Duration::from_secs(4),
        memory: 32 << 20,
    };
}

/// The running time every event has, however busy the server is; past it, an event is held
/// while the server is handling requests, and goes on when it is not. Most filters end well
/// within it (a trivial one takes about 50 µs).
pub const SLICE: Duration = Duration::from_millis(1);

/// Failed events in a row after which an uploaded app's installation is switched off and
/// its owner told.
pub const FAILURES_TO_SWITCH_OFF: i64 = 10;

/// What importing one of the package's interfaces needs: `Some(None)` for the interfaces
/// every app may import, `Some(Some(scopes))` for one any of `scopes` opens, `None` for a
/// name the package does not have.
pub fn opened_by(interface: &str) -> Option<Option<&'static [Scope]>> {
    const RESPONSES: &[Scope] = &[Scope::ResponsesRead, Scope::ResponsesWrite];
    Some(match interface {
        "types" | "log" => None,
        "forms" => Some(&[Scope::FormsRead][..]),
        "responses" => Some(RESPONSES),
        "http" => Some(&[Scope::HttpOutbound][..]),
        "notifications" => Some(&[Scope::NotificationsSend][..]),
        "config" => Some(&[Scope::ConfigRead][..]),
        _ => return None,
    })
}

/// One top-level item of the WIT file: an interface or the world, with its doc comment
/// and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// `interface` or `world`.
    pub keyword: &'static str,
    pub name: String,
    /// The `///` lines before it, joined into paragraphs.
    pub doc: String,
    /// From its first line to its closing brace.
    pub text: String,
}

/// The WIT file's doc comment (above `package`), and its interfaces and world in order.
pub fn items(wit: &str) -> (String, Vec<Item>) {
    let mut preamble = None;
    let mut items = Vec::new();
    let mut doc: Vec<&str> = Vec::new();
    let mut lines = wit.lines();
    while let Some(line) = lines.next() {
        if let Some(comment) = line.strip_prefix("///") {
            doc.push(comment.trim());
            continue;
        }
        if line.starts_with("package ") {
            preamble = Some(paragraphs(&doc));
        }
        let keyword = ["interface", "world"].into_iter().find(|k| line.starts_with(&format!("{k} ")));
        if let Some(keyword) = keyword {
            let name = line[keyword.len()..].trim().trim_end_matches('{').trim().to_owned();
            let mut text = vec![line];
            if !line.trim_end().ends_with('}') {
                for inner in lines.by_ref() {
                    text.push(inner);
                    if inner.starts_with('}') {
                        break;
                    }
                }
            }
            items.push(Item { keyword, name, doc: paragraphs(&doc), text: text.join("\n") });
        }
        doc.clear();
    }
    (preamble.unwrap_or_default(), items)
}

/// Doc-comment lines as text: lines joined with spaces, blank lines kept as paragraph
/// breaks.
fn paragraphs(lines: &[&str]) -> String {
    lines
        .split(|l| l.is_empty())
        .map(|p| p.join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wit_declares_the_version_the_host_offers() {
        assert!(WIT.contains(&format!("package {WIT_PACKAGE}@{WIT_VERSION};")));
    }

    #[test]
    fn every_interface_of_the_world_is_opened_by_a_permission_or_always_allowed() {
        let (preamble, items) = items(WIT);
        assert!(preamble.starts_with("The contract between Junction and an app"), "{preamble}");
        let interfaces: Vec<&str> = items.iter().filter(|i| i.keyword == "interface").map(|i| i.name.as_str()).collect();
        assert_eq!(interfaces, ["types", "log", "forms", "responses", "http", "notifications", "config"]);
        for name in &interfaces {
            assert!(opened_by(name).is_some(), "{name} is in the WIT but not in opened_by");
        }
        assert_eq!(opened_by("wasi:filesystem/types"), None);
        // Every permission an app can ask for opens an interface, but for forms:write,
        // which no interface offers yet.
        for scope in Scope::ALL {
            let opens = interfaces.iter().any(|i| opened_by(i).flatten().is_some_and(|s| s.contains(&scope)));
            assert_eq!(opens, scope != Scope::FormsWrite, "{}", scope.name());
        }
        let world = items.last().expect("the world");
        assert_eq!((world.keyword, world.name.as_str()), ("world", "app"));
        assert!(world.text.contains("export handle: func(event: event) -> result<outcome, string>;"));
        let forms = items.iter().find(|i| i.name == "forms").expect("forms");
        assert!(forms.doc.contains("forms:read"), "{}", forms.doc);
        assert!(forms.text.ends_with('}'));
    }
}
