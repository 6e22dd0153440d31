//! The settings every type may share: a placeholder and help text. They are one config,
//! validated once, and stored flat beside a type's own keys (`{"placeholder": …,
//! "max_length": …}`), so definitions written before the split read the same.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{ConfigProp, FieldType, PropKind};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct Common {
    /// Shown in an empty input.
    #[garde(length(max = 200))]
    pub placeholder: String,
    /// Shown under the input.
    #[garde(length(max = 500))]
    pub help_text: String,
}

impl Common {
    pub fn placeholder(&self) -> Option<String> {
        (!self.placeholder.is_empty()).then(|| self.placeholder.clone())
    }

    pub fn help_text(&self) -> Option<&str> {
        (!self.help_text.is_empty()).then_some(self.help_text.as_str())
    }
}

const PLACEHOLDER: ConfigProp = ConfigProp {
    key: "placeholder",
    label: "Placeholder",
    kind: PropKind::Text,
};
const HELP_TEXT: ConfigProp = ConfigProp {
    key: "help_text",
    label: "Help text",
    kind: PropKind::Text,
};

/// The shared settings type `T` offers, in the order the builder shows them.
pub(super) fn props<T: FieldType>() -> &'static [ConfigProp] {
    match (T::PLACEHOLDER, T::HELP_TEXT) {
        (true, true) => &[PLACEHOLDER, HELP_TEXT],
        (true, false) => &[PLACEHOLDER],
        (false, true) => &[HELP_TEXT],
        (false, false) => &[],
    }
}

/// A configuration as `(shared keys, the type's own keys)`. A shared key the type does not
/// offer stays with its own keys, where its config refuses it as unknown.
pub(super) fn split<T: FieldType>(config: &Value) -> (Value, Value) {
    let mut own = match config {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    let mut shared = Map::new();
    for prop in props::<T>() {
        if let Some(value) = own.remove(prop.key) {
            shared.insert(prop.key.to_owned(), value);
        }
    }
    (Value::Object(shared), Value::Object(own))
}

/// The stored configuration: the shared settings the type offers, then its own.
pub(super) fn join<T: FieldType>(shared: &Common, own: Value) -> Value {
    let mut out = Map::new();
    if T::PLACEHOLDER {
        out.insert(
            "placeholder".into(),
            Value::String(shared.placeholder.clone()),
        );
    }
    if T::HELP_TEXT {
        out.insert("help_text".into(), Value::String(shared.help_text.clone()));
    }
    if let Value::Object(own) = own {
        out.extend(own);
    }
    Value::Object(out)
}
