//! Field types: one plugin per file, listed once in `REGISTRY`.
//!
//! A field type brings its stable `kind`, catalog metadata and documentation, a typed
//! configuration (serde + garde, with defaults), `parse` (which validates an answer and
//! returns the value to store), and its views: the input, the settings editor shown in the
//! builder (generated from `config_props`), and a preview. The same registry runs in the
//! browser and on the server, so an answer is judged by the same code on both sides.

use std::collections::BTreeMap;

use garde::Validate;
use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

mod checkbox;
pub mod date;
pub mod email;
pub mod file;
mod hidden;
mod long_text;
mod multiselect;
mod number;
pub mod phone;
mod radio;
mod select;
mod short_text;
mod url;

pub use file::{FileAnswer, FileConfig};
pub use phone::PhoneConfig;

/// Every field type, in palette order. Adding a type is one file and one line here.
pub static REGISTRY: &[&dyn DynFieldType] = &[
    &short_text::ShortText,
    &long_text::LongText,
    &number::Number,
    &email::Email,
    &phone::Phone,
    &url::Url,
    &select::Select,
    &radio::Radio,
    &multiselect::MultiSelect,
    &checkbox::Checkbox,
    &date::Date,
    &file::File,
    &hidden::Hidden,
];

/// The field type registered under `kind`.
pub fn lookup(kind: &str) -> Option<&'static dyn DynFieldType> {
    REGISTRY.iter().copied().find(|t| t.meta().kind == kind)
}

/// What the catalog and the builder's palette show about a type.
#[derive(Debug, Clone, Copy)]
pub struct FieldMeta {
    pub kind: &'static str,
    pub name: &'static str,
    /// A short glyph shown in the palette.
    pub icon: &'static str,
    pub doc: FieldDoc,
}

#[derive(Debug, Clone, Copy)]
pub struct FieldDoc {
    pub what: &'static str,
    pub stored: &'static str,
    pub validation: &'static str,
    pub example: &'static str,
}

/// One editable setting of a type's configuration, for the generated settings editor.
#[derive(Debug, Clone, Copy)]
pub struct ConfigProp {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: PropKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropKind {
    Text,
    /// A number; empty means "no limit".
    Number,
    Bool,
    /// `[{value, label}]` choices.
    Options,
    /// One of these values.
    Choice(&'static [(&'static str, &'static str)]),
    /// A comma-separated list of strings.
    List,
}

/// A choice in a select, radio group or multi-select.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// Example answers a type must accept (with the value it stores) and reject.
pub struct Fixtures {
    pub config: Value,
    pub valid: Vec<(Value, Value)>,
    pub invalid: Vec<Value>,
}

/// Everything an input view needs, prepared by the renderer.
#[derive(Clone)]
pub struct InputCtx {
    /// The element id the label points at.
    pub html_id: String,
    /// The form-post name: the field's identifier.
    pub name: String,
    pub label: String,
    pub required: bool,
    pub value: RwSignal<Value>,
    pub invalid: Signal<bool>,
    /// Ids of the help text and error message, for `aria-describedby`.
    pub described_by: String,
    /// Called when the input loses focus, to validate it.
    pub on_blur: Callback<()>,
    /// Inputs in the builder's preview do nothing.
    pub disabled: bool,
}

/// The trait a field type implements. Only `META`, `Config` and `parse` are required.
pub trait FieldType: Send + Sync + 'static {
    type Config: Serialize
        + DeserializeOwned
        + Validate<Context = ()>
        + Default
        + Clone
        + PartialEq
        + Send
        + Sync
        + 'static;

    const META: FieldMeta;

    /// Validates a non-empty answer and returns the value to store, or a message for the
    /// respondent.
    fn parse(&self, value: &Value, config: &Self::Config) -> Result<Value, String>;

    /// Whether a raw answer counts as "not answered".
    fn is_empty(&self, value: &Value) -> bool {
        is_blank(value)
    }

    /// Checks across settings that garde attributes cannot express (min ≤ max, …), as
    /// `(setting, message)`.
    fn check(&self, _config: &Self::Config) -> Vec<(String, String)> {
        Vec::new()
    }

    /// The settings the builder lets a form author change.
    fn config_props(&self) -> &'static [ConfigProp] {
        &[]
    }

    fn input(&self, ctx: InputCtx, config: &Self::Config) -> AnyView {
        text_input(ctx, "text", placeholder_of(config))
    }

    /// Whether the renderer should draw a `<label>` before the input (false for types that
    /// label themselves, like a fieldset of radio buttons or a consent checkbox).
    fn labelled_by_renderer(&self) -> bool {
        true
    }

    fn fixtures(&self) -> Fixtures;
}

/// The object-safe face of `FieldType`, with configurations as JSON.
pub trait DynFieldType: Send + Sync {
    fn meta(&self) -> &'static FieldMeta;
    fn default_config(&self) -> Value;
    /// Parses and validates a configuration; errors are `(path inside config, message)`.
    fn check_config(&self, config: &Value) -> Result<Value, Vec<(String, String)>>;
    /// The respondent-facing messages for an answer ("" and null count as not answered).
    fn validate(&self, value: &Value, config: &Value, required: bool) -> Vec<String>;
    /// The value stored for an answer: `None` for "not answered".
    fn normalize(&self, value: &Value, config: &Value, required: bool) -> Option<Value>;
    /// `validate` and `normalize` at once.
    fn answer(
        &self,
        value: &Value,
        config: &Value,
        required: bool,
    ) -> Result<Option<Value>, String>;
    fn config_props(&self) -> &'static [ConfigProp];
    fn input_view(&self, ctx: InputCtx, config: &Value) -> AnyView;
    fn labelled_by_renderer(&self) -> bool;
    fn fixtures(&self) -> Fixtures;
    fn is_empty(&self, value: &Value) -> bool;
}

fn config_of<T: FieldType>(config: &Value) -> T::Config {
    serde_json::from_value(config.clone()).unwrap_or_default()
}

impl<T: FieldType> DynFieldType for T {
    fn meta(&self) -> &'static FieldMeta {
        &T::META
    }

    fn default_config(&self) -> Value {
        serde_json::to_value(T::Config::default()).unwrap_or(Value::Null)
    }

    fn check_config(&self, config: &Value) -> Result<Value, Vec<(String, String)>> {
        let config = if config.is_null() {
            Value::Object(Default::default())
        } else {
            config.clone()
        };
        let parsed: T::Config = serde_json::from_value(config)
            .map_err(|e| vec![(String::new(), serde_message(&e.to_string()))])?;
        let mut errors: Vec<(String, String)> = match parsed.validate() {
            Ok(()) => Vec::new(),
            Err(report) => report
                .iter()
                .map(|(path, error)| (path.to_string(), error.message().to_string()))
                .collect(),
        };
        errors.extend(self.check(&parsed));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(serde_json::to_value(parsed).unwrap_or(Value::Null))
    }

    fn validate(&self, value: &Value, config: &Value, required: bool) -> Vec<String> {
        match self.answer(value, config, required) {
            Ok(_) => Vec::new(),
            Err(message) => vec![message],
        }
    }

    fn normalize(&self, value: &Value, config: &Value, required: bool) -> Option<Value> {
        self.answer(value, config, required).ok().flatten()
    }

    fn answer(
        &self,
        value: &Value,
        config: &Value,
        required: bool,
    ) -> Result<Option<Value>, String> {
        if FieldType::is_empty(self, value) {
            return if required {
                Err(REQUIRED.to_owned())
            } else {
                Ok(None)
            };
        }
        self.parse(value, &config_of::<T>(config)).map(Some)
    }

    fn config_props(&self) -> &'static [ConfigProp] {
        FieldType::config_props(self)
    }

    fn input_view(&self, ctx: InputCtx, config: &Value) -> AnyView {
        self.input(ctx, &config_of::<T>(config))
    }

    fn labelled_by_renderer(&self) -> bool {
        FieldType::labelled_by_renderer(self)
    }

    fn fixtures(&self) -> Fixtures {
        FieldType::fixtures(self)
    }

    fn is_empty(&self, value: &Value) -> bool {
        FieldType::is_empty(self, value)
    }
}

pub const REQUIRED: &str = "This field is required.";

/// serde's messages mention Rust types; keep the part a form author can act on.
fn serde_message(message: &str) -> String {
    message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned()
}

/// null, an empty or all-space string, or an empty list.
pub fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.iter().all(is_blank),
        _ => false,
    }
}

/// An answer as text: strings as they are, numbers and booleans written out.
pub fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn placeholder_of<C: Serialize>(config: &C) -> Option<String> {
    serde_json::to_value(config)
        .ok()
        .and_then(|v| {
            v.get("placeholder")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .filter(|p| !p.is_empty())
}

/// The text shown in an input for a stored or typed value.
pub fn display_value(value: &Value) -> String {
    as_text(value).unwrap_or_default()
}

/// A single-line `<input>` bound to the field's value.
pub fn text_input(ctx: InputCtx, input_type: &'static str, placeholder: Option<String>) -> AnyView {
    text_input_with(ctx, input_type, placeholder, Vec::new())
}

/// `text_input` with extra attributes (min, max, step, pattern …).
pub fn text_input_with(
    ctx: InputCtx,
    input_type: &'static str,
    placeholder: Option<String>,
    extra: Vec<(&'static str, String)>,
) -> AnyView {
    let InputCtx {
        html_id,
        name,
        required,
        value,
        invalid,
        described_by,
        on_blur,
        disabled,
        ..
    } = ctx;
    let attr = |key: &str| {
        extra
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    };
    view! {
        <input
            id=html_id
            name=name
            type=input_type
            placeholder=placeholder
            required=required
            disabled=disabled
            min=attr("min")
            max=attr("max")
            step=attr("step")
            minlength=attr("minlength")
            maxlength=attr("maxlength")
            pattern=attr("pattern")
            accept=attr("accept")
            autocomplete=attr("autocomplete")
            inputmode=attr("inputmode")
            aria-invalid=move || invalid.get().then_some("true")
            aria-describedby=described_by
            prop:value=move || display_value(&value.get())
            value=display_value(&value.get_untracked())
            on:input=move |ev| value.set(Value::String(event_target_value(&ev)))
            on:blur=move |_| on_blur.run(())
        />
    }
    .into_any()
}

/// A `<fieldset>` of choices named by its legend (radio groups, multi-selects).
pub fn choices_fieldset(
    html_id: String,
    label: String,
    required: bool,
    invalid: Signal<bool>,
    described_by: String,
    choices: AnyView,
) -> AnyView {
    view! {
        <fieldset
            class="choices"
            id=html_id
            aria-invalid=move || invalid.get().then_some("true")
            aria-describedby=described_by
        >
            <legend>{label}{required.then_some(view! { <span class="req" aria-hidden="true">" *"</span> })}</legend>
            {choices}
        </fieldset>
    }
    .into_any()
}

/// Errors of `check_config` keyed as `config.<key>` paths.
pub fn config_errors(errors: Vec<(String, String)>) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (path, message) in errors {
        let key = if path.is_empty() {
            "config".to_owned()
        } else {
            format!("config.{path}")
        };
        out.entry(key).or_insert_with(Vec::new).push(message);
    }
    out
}

#[cfg(test)]
mod tests;
