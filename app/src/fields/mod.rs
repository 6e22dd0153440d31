//! Field types: one plugin per file, listed once in `REGISTRY`.
//!
//! A field type brings its stable `kind`, catalog metadata and documentation, a typed
//! configuration (serde + garde, with defaults), `parse` (which validates an answer and
//! returns the value to store), and its views: the input, the settings editor shown in the
//! builder (generated from `config_props`), and a preview. The same registry runs in the
//! browser and on the server, so an answer is judged by the same code on both sides.
//!
//! A type also says what the rest of Junction would otherwise decide by its name: which
//! condition operators it offers (`family`), whether an answer holds several values, how
//! insights chart it, how a stored value reads in tables and CSV, and whether it is posted
//! as a file. No module outside `fields/` matches on a kind's name (a test checks), so a
//! new type, an app's included, is one file here and one line in `REGISTRY`.
//!
//! The settings every type shares (placeholder, help text) are one [`Common`] config,
//! stored flat beside the type's own keys in `config`.

use std::collections::BTreeMap;

use garde::Validate;
use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

mod checkbox;
mod common;
pub mod date;
pub mod email;
pub mod file;
mod hidden;
mod long_text;
mod multiselect;
mod number;
pub mod phone;
mod radio;
pub mod rating;
mod select;
mod short_text;
mod url;

pub use common::Common;
pub use file::{FileAnswer, FileConfig};
pub use phone::PhoneConfig;

/// Lists every field type, in palette order, in both registries: [`REGISTRY`] with all a
/// type does, and [`ANSWERING`] with its answering side only.
macro_rules! registry {
    ($($ty:expr),* $(,)?) => {
        /// Every field type, in palette order.
        pub static REGISTRY: &[&dyn DynFieldType] = &[$(&$ty),*];
        /// The same types, answering side only (see [`AnswerType`]).
        pub static ANSWERING: &[&dyn AnswerType] = &[$(&$ty),*];
    };
}

// Adding a type is one file and one line here.
registry![
    short_text::ShortText,
    long_text::LongText,
    number::Number,
    email::Email,
    phone::Phone,
    url::Url,
    select::Select,
    radio::Radio,
    multiselect::MultiSelect,
    checkbox::Checkbox,
    rating::Rating,
    date::Date,
    file::File,
    hidden::Hidden,
];

/// The kinds apps contribute, with the slug of the app each comes with.
pub fn contributed() -> impl Iterator<Item = (&'static str, &'static str)> {
    REGISTRY.iter().filter_map(|t| Some((t.meta().kind, t.app()?)))
}

/// The field type registered under `kind`.
pub fn lookup(kind: &str) -> Option<&'static dyn DynFieldType> {
    REGISTRY.iter().copied().find(|t| t.meta().kind == kind)
}

/// The answering side of the field type registered under `kind`.
pub fn answering(kind: &str) -> Option<&'static dyn AnswerType> {
    ANSWERING.iter().copied().find(|t| t.kind() == kind)
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

/// The operators a condition may use on a type come in families (`forms::conditions`
/// lists each family's operators and how each becomes JSON Logic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Text,
    Number,
    /// One of the field's options.
    Choice,
    /// Several of the field's options.
    Multi,
    /// Ticked or not.
    Checkbox,
    Date,
}

impl Family {
    /// The `<input type>` a condition's value is typed into.
    pub fn input_type(self) -> &'static str {
        match self {
            Family::Number => "number",
            Family::Date => "date",
            _ => "text",
        }
    }
}

/// How the insights page charts a type's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// Not charted.
    None,
    /// A bar per option, counting the responses that chose it.
    Options,
    /// How many ticked the box.
    Ticked,
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
    /// The shared placeholder setting, when the type has one and it is set.
    pub placeholder: Option<String>,
    pub value: RwSignal<Value>,
    /// Whether the answer was refused (the server's message is shown below it).
    pub invalid: bool,
    /// Ids of the help text and error message, for `aria-describedby`.
    pub described_by: String,
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

    /// Whether the type offers the shared placeholder setting.
    const PLACEHOLDER: bool = false;
    /// Whether the type offers the shared help text (all but hidden fields).
    const HELP_TEXT: bool = true;
    /// The app that contributes the type (its slug), for a type that is not Junction's
    /// own: forms may add it, and respondents are asked it, only while that app runs for
    /// the form's owner (`services::apps::awake_kinds`).
    const APP: Option<&'static str> = None;

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

    fn input(&self, ctx: InputCtx, _config: &Self::Config) -> AnyView {
        text_input(ctx, "text")
    }

    /// The operators conditions may test it with; `None` when no condition can (a file).
    fn family(&self) -> Option<Family> {
        Some(Family::Text)
    }

    /// Whether an answer is a list of values (a multi-select), so a query string's
    /// repeated key gathers into one answer.
    fn multi_valued(&self) -> bool {
        false
    }

    fn chart(&self) -> Chart {
        Chart::None
    }

    /// The `(value, label)` choices of a type whose choices are not the `options` setting
    /// (a rating's points), for conditions and charts.
    fn choices(&self, _config: &Self::Config) -> Vec<(String, String)> {
        Vec::new()
    }

    /// A stored value as the responses table and the CSV show it.
    fn display(&self, value: &Value, _config: &Self::Config) -> String {
        display_stored(value)
    }

    /// Whether an answer is a file, posted as `multipart/form-data` and never prefilled.
    fn needs_multipart(&self) -> bool {
        false
    }

    /// The largest file one answer may upload, in bytes (0 for types that take no file).
    fn max_upload_bytes(&self, _config: &Self::Config) -> u64 {
        0
    }

    /// Whether a received file fits the field (its type and size), else why not.
    fn accepts_upload(
        &self,
        _name: &str,
        _content_type: &str,
        _size: u64,
        _config: &Self::Config,
    ) -> Result<(), String> {
        Err("This question takes no file.".into())
    }

    /// Whether the respondent sees the field (a hidden field carries a value from the link).
    fn shown(&self) -> bool {
        true
    }

    /// Whether the renderer should draw a `<label>` before the input (false for types that
    /// label themselves, like a fieldset of radio buttons or a consent checkbox).
    fn labelled_by_renderer(&self) -> bool {
        true
    }

    fn fixtures(&self) -> Fixtures;
}

/// The answering side of a field type, object-safe, with configurations as JSON: what
/// the respondent's page and the server's checks of an answer need, and nothing of the
/// builder, charts or tables. It has a registry of its own ([`ANSWERING`]), so code that
/// only answers, such as the respondent's wasm, links none of the rest of any type.
pub trait AnswerType: Send + Sync {
    /// The type's stable name ([`FieldMeta::kind`]).
    fn kind(&self) -> &'static str;
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
    fn multi_valued(&self) -> bool;
    fn needs_multipart(&self) -> bool;
    fn shown(&self) -> bool;
    /// The shared settings of a configuration (empty for settings the type lacks).
    fn common(&self, config: &Value) -> Common;
    fn is_empty(&self, value: &Value) -> bool;
}

/// The object-safe face of `FieldType`, with configurations as JSON: the answering side
/// and everything else (catalog, settings, conditions, charts, display, uploads).
pub trait DynFieldType: AnswerType {
    fn meta(&self) -> &'static FieldMeta;
    /// See [`FieldType::APP`].
    fn app(&self) -> Option<&'static str>;
    fn choices(&self, config: &Value) -> Vec<(String, String)>;
    fn default_config(&self) -> Value;
    fn input_view(&self, ctx: InputCtx, config: &Value) -> AnyView;
    fn labelled_by_renderer(&self) -> bool;
    /// Parses and validates a configuration; errors are `(path inside config, message)`.
    fn check_config(&self, config: &Value) -> Result<Value, Vec<(String, String)>>;
    /// The settings the builder shows: the shared ones the type offers, then its own.
    fn config_props(&self) -> Vec<ConfigProp>;
    fn family(&self) -> Option<Family>;
    fn chart(&self) -> Chart;
    fn display(&self, value: &Value, config: &Value) -> String;
    fn max_upload_bytes(&self, config: &Value) -> u64;
    fn accepts_upload(
        &self,
        name: &str,
        content_type: &str,
        size: u64,
        config: &Value,
    ) -> Result<(), String>;
    #[cfg(test)]
    fn fixtures(&self) -> Fixtures;
}

/// The type's own settings: the configuration without the shared keys.
fn config_of<T: FieldType>(config: &Value) -> T::Config {
    serde_json::from_value(common::split::<T>(config).1).unwrap_or_default()
}

impl<T: FieldType> AnswerType for T {
    fn kind(&self) -> &'static str {
        T::META.kind
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

    fn multi_valued(&self) -> bool {
        FieldType::multi_valued(self)
    }

    fn needs_multipart(&self) -> bool {
        FieldType::needs_multipart(self)
    }

    fn shown(&self) -> bool {
        FieldType::shown(self)
    }

    fn common(&self, config: &Value) -> Common {
        serde_json::from_value(common::split::<T>(config).0).unwrap_or_default()
    }

    fn is_empty(&self, value: &Value) -> bool {
        FieldType::is_empty(self, value)
    }
}

impl<T: FieldType> DynFieldType for T {
    fn input_view(&self, ctx: InputCtx, config: &Value) -> AnyView {
        self.input(ctx, &config_of::<T>(config))
    }

    fn labelled_by_renderer(&self) -> bool {
        FieldType::labelled_by_renderer(self)
    }

    fn meta(&self) -> &'static FieldMeta {
        &T::META
    }

    fn app(&self) -> Option<&'static str> {
        T::APP
    }

    fn choices(&self, config: &Value) -> Vec<(String, String)> {
        FieldType::choices(self, &config_of::<T>(config))
    }

    fn default_config(&self) -> Value {
        serde_json::to_value(T::Config::default()).unwrap_or(Value::Null)
    }

    fn check_config(&self, config: &Value) -> Result<Value, Vec<(String, String)>> {
        if !(config.is_null() || config.is_object()) {
            return Err(vec![(
                String::new(),
                "The settings must be an object.".into(),
            )]);
        }
        let (shared, own) = common::split::<T>(config);
        let shared: Common = serde_json::from_value(shared)
            .map_err(|e| vec![(String::new(), serde_message(&e.to_string()))])?;
        let parsed: T::Config = serde_json::from_value(own)
            .map_err(|e| vec![(String::new(), serde_message(&e.to_string()))])?;
        let report = |result: Result<(), garde::Report>| -> Vec<(String, String)> {
            match result {
                Ok(()) => Vec::new(),
                Err(report) => report
                    .iter()
                    .map(|(path, error)| (path.to_string(), error.message().to_string()))
                    .collect(),
            }
        };
        let mut errors = report(shared.validate());
        errors.extend(report(parsed.validate()));
        errors.extend(self.check(&parsed));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(common::join::<T>(
            &shared,
            serde_json::to_value(parsed).unwrap_or(Value::Null),
        ))
    }

    fn config_props(&self) -> Vec<ConfigProp> {
        common::props::<T>()
            .iter()
            .chain(FieldType::config_props(self))
            .copied()
            .collect()
    }

    fn family(&self) -> Option<Family> {
        FieldType::family(self)
    }

    fn chart(&self) -> Chart {
        FieldType::chart(self)
    }

    fn display(&self, value: &Value, config: &Value) -> String {
        FieldType::display(self, value, &config_of::<T>(config))
    }

    fn max_upload_bytes(&self, config: &Value) -> u64 {
        FieldType::max_upload_bytes(self, &config_of::<T>(config))
    }

    fn accepts_upload(
        &self,
        name: &str,
        content_type: &str,
        size: u64,
        config: &Value,
    ) -> Result<(), String> {
        FieldType::accepts_upload(self, name, content_type, size, &config_of::<T>(config))
    }

    #[cfg(test)]
    fn fixtures(&self) -> Fixtures {
        FieldType::fixtures(self)
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

/// A stored value as text for a table cell or CSV: lists joined with commas, a ticked box
/// as "Yes", a file by its name.
pub fn display_stored(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "Yes".to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|v| as_text(v).unwrap_or_else(|| v.to_string()))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(o) => o
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        other => other.to_string(),
    }
}

/// The text shown in an input for a stored or typed value.
pub fn display_value(value: &Value) -> String {
    as_text(value).unwrap_or_default()
}

/// A single-line `<input>` bound to the field's value.
pub fn text_input(ctx: InputCtx, input_type: &'static str) -> AnyView {
    text_input_with(ctx, input_type, Vec::new())
}

/// `text_input` with extra attributes (min, max, step, pattern …).
pub fn text_input_with(
    ctx: InputCtx,
    input_type: &'static str,
    extra: Vec<(&'static str, String)>,
) -> AnyView {
    let InputCtx {
        html_id,
        name,
        required,
        placeholder,
        value,
        invalid,
        described_by,
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
            aria-invalid=invalid.then_some("true")
            aria-describedby=described_by
            prop:value=move || display_value(&value.get())
            value=display_value(&value.get_untracked())
            on:input=move |ev| value.set(Value::String(event_target_value(&ev)))
        />
    }
    .into_any()
}

/// A `<fieldset>` of choices named by its legend (radio groups, multi-selects).
pub fn choices_fieldset(
    html_id: String,
    label: String,
    required: bool,
    invalid: bool,
    described_by: String,
    choices: AnyView,
) -> AnyView {
    view! {
        <fieldset
            class="choices"
            id=html_id
            aria-invalid=invalid.then_some("true")
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
