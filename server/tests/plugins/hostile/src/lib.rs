//! A test app that misbehaves on purpose, as its `mode` setting says: it loops forever,
//! allocates without end, panics, annotates a response (which needs `responses:write`, a
//! permission it does not ask for), or sends an HTTP request. Otherwise it accepts (or, in
//! `reject` mode, rejects) every submission. It reads its settings from the event, without
//! a JSON parser, so `accept` is as cheap as a handler can be.

wit_bindgen::generate!({ path: "../../../../wit", world: "app" });

use junction::app::types::HostError;
use junction::app::{http, log, responses};

struct Hostile;

impl Guest for Hostile {
    fn handle(event: Event) -> Result<Outcome, String> {
        let mode = ["reject", "loop", "grow", "panic", "annotate", "fetch"]
            .into_iter()
            .find(|m| event.config_json.contains(&format!("\"mode\":\"{m}\"")))
            .unwrap_or("accept");
        match mode {
            "reject" => Ok(Outcome::Reject("Hostile refuses everything".into())),
            "loop" => loop {
                core::hint::black_box(());
            },
            "grow" => {
                let mut kept: Vec<Vec<u8>> = Vec::new();
                loop {
                    kept.push(vec![1; 1 << 20]);
                }
            }
            "panic" => panic!("hostile panics on purpose"),
            "annotate" => match responses::annotate("any", "hostile", "true") {
                Err(HostError::PermissionDenied) => Ok(Outcome::Reject("The host said: permission-denied".into())),
                other => Err(format!("annotating was not refused: {other:?}")),
            },
            "fetch" => {
                let request = http::Request { method: "GET".into(), url: "https://example.com/".into(), headers: Vec::new(), body: None };
                let answer = http::send(&request);
                log::info(&format!("fetched: {:?}", answer.map(|r| r.status)));
                Ok(Outcome::Accept(None))
            }
            _ => Ok(Outcome::Accept(None)),
        }
    }

    fn manifest() -> String {
        include_str!("../manifest.json").to_owned()
    }
}

export!(Hostile);
