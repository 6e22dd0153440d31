//! {{name}}: a Junction app, built into a WebAssembly component against the WIT world in
//! `wit/` (`bash build.sh`), and uploaded with `junction app upload` or the App Store's
//! "Publish an app" page.
//!
//! `handle` is called once per event its manifest declares, in a fresh instance: here a
//! `form.beforeSubmit` filter that refuses a submission when an answer contains the word
//! in the `refuse_word` setting. Each interface it imports (`use junction::app::…`) needs
//! the permission the WIT names; `/docs/apps` lists them.

wit_bindgen::generate!({ path: "wit", world: "app" });

use junction::app::log;
use serde_json::Value;

struct App;

impl Guest for App {
    fn handle(event: Event) -> Result<Outcome, String> {
        let payload: Value = serde_json::from_str(&event.payload_json).map_err(|e| format!("the payload: {e}"))?;
        let config: Value = serde_json::from_str(&event.config_json).map_err(|e| format!("the settings: {e}"))?;
        let word = config["refuse_word"].as_str().unwrap_or("").trim().to_lowercase();
        if word.is_empty() {
            return Ok(Outcome::Accept(None));
        }
        let answers = payload["answers"].as_object().cloned().unwrap_or_default();
        for answer in answers.values() {
            if answer.to_string().to_lowercase().contains(&word) {
                log::info(&format!("refused a submission containing {word:?}"));
                return Ok(Outcome::Reject(format!("Answers containing \"{word}\" are not accepted.")));
            }
        }
        Ok(Outcome::Accept(None))
    }

    fn manifest() -> String {
        include_str!("../manifest.json").to_owned()
    }
}

export!(App);
