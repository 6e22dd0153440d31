//! Text for the elements whose children Leptos 0.8 writes into server-rendered HTML without
//! escaping: `<title>` (leptos_meta pushes the formatted title into the head as is) and
//! `<textarea>` (tachys marks its children as raw text). User text reaches both, so it is
//! escaped here, once, before it can close the element and open a `<script>`.
//!
//! Upstream: leptos-rs/leptos#4821 fixes `<textarea>` on a newer branch; the report for
//! `<Title>` is drafted in SECURITY.md. Until both are fixed on 0.8, nothing else may write
//! user text into a raw-text element.

/// The document title for a page's `<Title text=…>`: "Page · Junction".
///
/// On the server the result is HTML-escaped, because it is written into `<title>` raw. In
/// the browser leptos_meta sets `document.title`, which is plain text, so escaping there
/// would show entities in the tab.
pub fn document_title(title: String) -> String {
    let title = if title.is_empty() {
        "Junction".to_owned()
    } else {
        format!("{title} · Junction")
    };
    if cfg!(feature = "ssr") {
        escaped(&title)
    } else {
        title
    }
}

/// `text` escaped for the inside of an element written raw. For a `<textarea>`, give it as
/// `inner_html` (the browser decodes it back to the text) and the live value as `prop:value`.
pub fn escaped(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}
