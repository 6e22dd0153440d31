//! What a rendered form does in the browser (hydrate only): display conditions, one page at
//! a time, and each answer checked by its field type when the respondent leaves it and
//! again on submit, with the first problem focused.
//!
//! It works on the form's HTML rather than on Leptos signals, reading the answers the way
//! the server reads a post (`FormData`, then `answers::collect`), so two places use it: the
//! respondent's page, whose small wasm entry (`frontend`'s `respondent` feature) runs it on
//! the server-rendered form without hydrating anything, and the builder's preview, where
//! `FormView` attaches it once drawn. Without it the form is a plain HTML form: every
//! field and page shows and the server checks everything.
//!
//! The markup it relies on is `FormView`'s: a `[data-field]` wrapper per live field (with
//! `data-page`), its input `#q-{identifier}` and message `#q-{identifier}-error`, the
//! `back`, `next` and `submit-answers` buttons and the `page-count` line.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Element, Event, EventTarget, HtmlElement, HtmlFormElement};

use crate::forms::answers::{RawAnswers, collect, visibility};
use crate::forms::{Field, FormDefinition};

/// A form's behaviour, attached. Dropping it takes the listeners off again.
pub struct Behaviour {
    listeners: Vec<Listener>,
}

struct Listener {
    target: EventTarget,
    kind: &'static str,
    callback: Closure<dyn FnMut(Event)>,
}

/// What one listener does with the form's state.
type Handler = Box<dyn Fn(&State, Event)>;

impl Drop for Behaviour {
    fn drop(&mut self) {
        for Listener { target, kind, callback } in &self.listeners {
            let _ = target.remove_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        }
    }
}

/// One live field as the behaviour sees it.
struct Question {
    field: Field,
    page: usize,
}

struct State {
    form: HtmlFormElement,
    definition: FormDefinition,
    questions: Vec<Question>,
    page_count: usize,
    page: Cell<usize>,
    /// The builder's preview never submits.
    preview: bool,
}

/// Attaches the behaviour to `form`, drawn by `FormView` from `definition`.
pub fn attach(form: HtmlFormElement, definition: FormDefinition, preview: bool) -> Behaviour {
    let mut page = 0;
    let questions: Vec<Question> = definition
        .live_fields()
        .enumerate()
        .map(|(i, field)| {
            if field.page_break && i > 0 {
                page += 1;
            }
            Question { field: field.clone(), page }
        })
        .collect();
    let state = Rc::new(State {
        form: form.clone(),
        definition,
        questions,
        page_count: page + 1,
        page: Cell::new(0),
        preview,
    });
    // The browser's own checks give way to the field types' messages.
    let _ = form.set_attribute("novalidate", "");
    state.show();

    let mut behaviour = Behaviour { listeners: Vec::new() };
    let mut listen = |target: &EventTarget, kind: &'static str, handler: Handler| {
        let state = state.clone();
        let callback = Closure::<dyn FnMut(Event)>::new(move |event: Event| handler(&state, event));
        let _ = target.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        behaviour.listeners.push(Listener { target: target.clone(), kind, callback });
    };
    for kind in ["input", "change"] {
        listen(&form, kind, Box::new(|state, _| state.show()));
    }
    // `focusout` bubbles where `blur` does not: one listener for every input.
    listen(&form, "focusout", Box::new(|state, event| {
        let identifier = event
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|el| el.closest("[data-field]").ok().flatten())
            .and_then(|el| el.get_attribute("data-field"));
        if let Some(question) = identifier.and_then(|id| state.question(&id)) {
            // A chosen file is checked on upload by the server.
            if !question.field.takes_file() {
                let answers = state.answers();
                state.show_error(&question.field, state.message(question, &answers));
            }
        }
    }));
    listen(&form, "submit", Box::new(|state, event| {
        if state.preview || !state.check(None) {
            event.prevent_default();
        }
    }));
    if let Some(next) = state.button("next") {
        listen(&next, "click", Box::new(|state, _| {
            if state.check(Some(state.page.get())) {
                state.page.set((state.page.get() + 1).min(state.page_count - 1));
                state.show();
            }
        }));
    }
    if let Some(back) = state.button("back") {
        listen(&back, "click", Box::new(|state, _| {
            state.page.set(state.page.get().saturating_sub(1));
            state.show();
        }));
    }
    behaviour
}

impl State {
    fn question(&self, identifier: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.field.identifier == identifier)
    }

    fn element(&self, selector: &str) -> Option<HtmlElement> {
        self.form
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<HtmlElement>().ok())
    }

    fn button(&self, test_id: &str) -> Option<EventTarget> {
        self.element(&format!("[data-test=\"{test_id}\"]")).map(Into::into)
    }

    /// The answers as the form would post them: text by `collect`, and for a file field
    /// whether a file is chosen.
    fn answers(&self) -> RawAnswers {
        let mut pairs = Vec::new();
        let mut files = Vec::new();
        if let Ok(data) = web_sys::FormData::new_with_form(&self.form)
            && let Ok(Some(entries)) = js_sys::try_iter(&data)
        {
            for entry in entries.flatten() {
                let entry = js_sys::Array::from(&entry);
                let Some(name) = entry.get(0).as_string() else { continue };
                let value = entry.get(1);
                match value.as_string() {
                    Some(text) => pairs.push((name, text)),
                    None => {
                        let chosen = value.dyn_into::<web_sys::File>().map(|f| f.name()).unwrap_or_default();
                        if !chosen.is_empty() {
                            files.push((name, chosen));
                        }
                    }
                }
            }
        }
        let mut answers = collect(&self.definition, pairs);
        for (name, chosen) in files {
            answers.insert(name, json!({ "chosen": chosen }));
        }
        answers
    }

    /// Shows the fields whose conditions hold, on the current page, and the buttons and
    /// page line that page needs.
    fn show(&self) {
        let shown = visibility(&self.definition, &self.answers());
        let page = self.page.get();
        for question in &self.questions {
            let visible = shown.get(&question.field.identifier).copied().unwrap_or(true) && question.page == page;
            if let Some(wrapper) = self.element(&wrapper_selector(&question.field.identifier)) {
                set_shown(&wrapper, visible);
            }
        }
        let paged = self.page_count > 1;
        let last = page + 1 == self.page_count;
        for (test_id, visible) in [("back", paged && page > 0), ("next", !last), ("submit-answers", last)] {
            if let Some(button) = self.element(&format!("[data-test=\"{test_id}\"]")) {
                set_shown(&button, visible);
            }
        }
        if let Some(line) = self.element("[data-test=\"page-count\"]") {
            line.set_hidden(!paged);
            line.set_text_content(Some(&format!("Page {} of {}", page + 1, self.page_count)));
        }
    }

    /// The message for one answer, if any.
    fn message(&self, question: &Question, answers: &RawAnswers) -> Option<String> {
        let field = &question.field;
        let value = answers.get(&field.identifier).cloned().unwrap_or(Value::Null);
        if field.takes_file() {
            return (field.required && value.is_null()).then(|| crate::fields::REQUIRED.to_owned());
        }
        field
            .answer_type()?
            .validate(&value, &field.config, field.required)
            .into_iter()
            .next()
    }

    /// Checks the shown fields of one page (or of all), showing each message; true when
    /// all pass. The first problem's page is shown and its input focused.
    fn check(&self, only_page: Option<usize>) -> bool {
        let answers = self.answers();
        let shown: BTreeMap<String, bool> = visibility(&self.definition, &answers);
        let mut first_bad: Option<&Question> = None;
        for question in &self.questions {
            let visible = shown.get(&question.field.identifier).copied().unwrap_or(true);
            let message = if only_page.is_some_and(|p| p != question.page) || !visible {
                None
            } else {
                self.message(question, &answers)
            };
            if message.is_some() && first_bad.is_none() {
                first_bad = Some(question);
            }
            self.show_error(&question.field, message);
        }
        let Some(bad) = first_bad else { return true };
        self.page.set(bad.page);
        self.show();
        let selector = format!(
            "{0} input, {0} select, {0} textarea",
            wrapper_selector(&bad.field.identifier)
        );
        if let Some(input) = self.element(&selector) {
            let _ = input.focus();
        }
        false
    }

    fn show_error(&self, field: &Field, message: Option<String>) {
        let id = format!("q-{}", field.identifier);
        if let Some(line) = self.element(&format!("[id=\"{id}-error\"]")) {
            line.set_text_content(message.as_deref());
        }
        if let Some(input) = self.element(&format!("[id=\"{id}\"]")) {
            let _ = match message {
                Some(_) => input.set_attribute("aria-invalid", "true"),
                None => input.remove_attribute("aria-invalid"),
            };
        }
    }
}

fn wrapper_selector(identifier: &str) -> String {
    // Identifiers are lowercase letters, digits and underscores (`is_valid_identifier`);
    // a draft's odd one only makes the selector match nothing.
    format!("[data-field=\"{identifier}\"]")
}

fn set_shown(element: &HtmlElement, shown: bool) {
    let style = element.style();
    let _ = if shown { style.remove_property("display").map(drop) } else { style.set_property("display", "none") };
}

/// The respondent's page: attaches the behaviour to its form, read from the definition the
/// server wrote into the page, and marks the document once done. A page whose data cannot
/// be read stays a plain HTML form.
pub fn attach_to_page() {
    let document = web_sys::window().and_then(|w| w.document());
    let Some(document) = document else { return };
    let data = document
        .get_element_by_id(crate::api::public::FORM_DATA_ID)
        .and_then(|el| el.text_content());
    let form = document
        .query_selector("form[data-test=\"respondent-form\"]")
        .ok()
        .flatten()
        .and_then(|el| el.dyn_into::<HtmlFormElement>().ok());
    match (data.map(|json| serde_json::from_str::<FormDefinition>(&json)), form) {
        (Some(Ok(definition)), Some(form)) => {
            // For the page's life.
            std::mem::forget(attach(form, definition, false));
            if let Some(body) = document.body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
            web_sys::console::log_1(&"junction: form ready".into());
        }
        (Some(Err(e)), _) => web_sys::console::error_1(&format!("junction: the form's data could not be read: {e}").into()),
        _ => web_sys::console::error_1(&"junction: the page carries no form".into()),
    }
}
