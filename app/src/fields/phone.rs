//! Phone: a telephone number, validated with libphonenumber's data and stored as E.164.
//!
//! The full check uses the `phonenumber` crate (Google's libphonenumber metadata), which
//! is too large for the browser bundle: in the browser an answer gets a shape check, and
//! the server, which decides, runs the complete one.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;

pub struct Phone;

pub const FORMATS: &[(&str, &str)] = &[
    ("international", "International (+49 30 123456)"),
    ("national", "National (030 123456)"),
    ("e164", "E.164 (+4930123456)"),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct PhoneConfig {
    /// ISO 3166 country for numbers typed without a +country code.
    #[garde(custom(country_code))]
    pub default_country: String,
    /// How the number is shown to the owner (it is always stored as E.164).
    #[garde(custom(known_format))]
    pub format: String,
}

fn country_code(value: &str, _: &()) -> garde::Result {
    if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(garde::Error::new(
            "must be a two-letter country code in capitals, such as US or DE",
        ))
    }
}

fn known_format(value: &str, _: &()) -> garde::Result {
    if FORMATS.iter().any(|(f, _)| *f == value) {
        Ok(())
    } else {
        Err(garde::Error::new("must be international, national or e164"))
    }
}

impl Default for PhoneConfig {
    fn default() -> Self {
        PhoneConfig {
            default_country: "US".into(),
            format: "international".into(),
        }
    }
}

/// Digits, spaces and the usual punctuation, with 4 to 17 digits.
fn plausible(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    (4..=17).contains(&digits)
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        && text.rfind('+').is_none_or(|i| i == 0)
}

#[cfg(feature = "ssr")]
fn country(config: &PhoneConfig) -> Option<phonenumber::country::Id> {
    config.default_country.parse().ok()
}

/// The E.164 form of a valid number.
#[cfg(feature = "ssr")]
pub fn to_e164(text: &str, config: &PhoneConfig) -> Option<String> {
    let number = phonenumber::parse(country(config), text).ok()?;
    phonenumber::is_valid(&number)
        .then(|| number.format().mode(phonenumber::Mode::E164).to_string())
}

/// A stored E.164 number in the configured display format.
#[cfg(feature = "ssr")]
pub fn display(e164: &str, config: &PhoneConfig) -> String {
    let mode = match config.format.as_str() {
        "national" => phonenumber::Mode::National,
        "e164" => phonenumber::Mode::E164,
        _ => phonenumber::Mode::International,
    };
    phonenumber::parse(None, e164)
        .map(|n| n.format().mode(mode).to_string())
        .unwrap_or_else(|_| e164.to_owned())
}

impl FieldType for Phone {
    type Config = PhoneConfig;

    const PLACEHOLDER: bool = true;

    const META: FieldMeta = FieldMeta {
        kind: "phone",
        name: "Phone",
        icon: "☎",
        doc: FieldDoc {
            what: "A telephone number, with or without a +country code.",
            stored: "E.164, for example \"+14155552671\".",
            validation: "Must be a valid number for its country (libphonenumber data); numbers \
                         without +code are read in the default country.",
            example: "\"(415) 555-2671\" with default country US is stored as \"+14155552671\"",
        },
    };

    /// In the field's display format (international, national or E.164).
    #[cfg(feature = "ssr")]
    fn display(&self, value: &Value, config: &PhoneConfig) -> String {
        value
            .as_str()
            .map(|e164| display(e164, config))
            .unwrap_or_else(|| display_stored(value))
    }

    fn parse(&self, value: &Value, config: &PhoneConfig) -> Result<Value, String> {
        let text = as_text(value).ok_or("Enter a phone number.")?;
        let text = text.trim();
        if !plausible(text) {
            return Err("Enter a phone number using digits, spaces and + - ( ).".into());
        }
        #[cfg(feature = "ssr")]
        {
            to_e164(text, config).map(Value::String).ok_or_else(|| {
                format!(
                    "This is not a valid phone number (numbers without +code are read as {}).",
                    config.default_country
                )
            })
        }
        #[cfg(not(feature = "ssr"))]
        {
            let _ = config;
            Ok(Value::String(text.to_owned()))
        }
    }

    fn check(&self, config: &PhoneConfig) -> Vec<(String, String)> {
        #[cfg(feature = "ssr")]
        if country(config).is_none() {
            return vec![(
                "default_country".into(),
                format!("{} is not a known country code", config.default_country),
            )];
        }
        let _ = config;
        Vec::new()
    }

    fn config_props(&self) -> &'static [ConfigProp] {
        &[
            ConfigProp {
                key: "default_country",
                label: "Default country (ISO code, e.g. US, DE)",
                kind: PropKind::Text,
            },
            ConfigProp {
                key: "format",
                label: "Display format",
                kind: PropKind::Choice(FORMATS),
            },
        ]
    }

    fn input(&self, ctx: InputCtx, _config: &PhoneConfig) -> AnyView {
        text_input_with(
            ctx,
            "tel",
            vec![("autocomplete", "tel".into()), ("inputmode", "tel".into())],
        )
    }

    fn fixtures(&self) -> Fixtures {
        Fixtures {
            config: json!({"default_country": "US"}),
            valid: if cfg!(feature = "ssr") {
                vec![
                    (json!("(415) 555-2671"), json!("+14155552671")),
                    (json!("+49 30 901820"), json!("+4930901820")),
                    (json!("+44 20 7946 0958"), json!("+442079460958")),
                ]
            } else {
                vec![(json!(" +1 415 555 2671 "), json!("+1 415 555 2671"))]
            },
            invalid: vec![
                json!("12"),
                json!("call me"),
                json!("+1 555"),
                json!("1+2345678"),
            ],
        }
    }
}
