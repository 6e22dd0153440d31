//! The Content-Security-Policy of server-rendered pages. Server only.
//!
//! Leptos gives every inline script it writes (the hydration loader, resolved resources) a
//! fresh nonce per response; the page's policy allows those scripts and no other inline
//! script, so text that slipped past escaping still could not run.

use leptos::prelude::*;

/// The policy for a page whose inline scripts carry `nonce`. `framable` pages (the public
/// form) leave framing open for embedding; every other page may be framed only by Junction.
pub fn page_policy(nonce: &str, framable: bool) -> String {
    let mut policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; \
         base-uri 'none'"
    );
    if !framable {
        policy.push_str("; frame-ancestors 'self'");
    }
    policy
}

/// Sets the page's policy on the response being rendered. Called from the app's shell,
/// inside the render, where the nonce is in context. (A respondent's pages, the framable
/// ones, are rendered outside the shell: `pages::public_form`.)
pub fn set_page_policy() {
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&page_policy(&nonce.to_string(), false)) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_script_needs_the_nonce_and_framing_is_closed_behind_sign_in() {
        let policy = page_policy("abc", false);
        assert!(policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"));
        let script_src = policy
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(!script_src.contains("unsafe-inline"), "{script_src}");
        assert!(policy.contains("object-src 'none'"));
        assert!(policy.contains("base-uri 'none'"));
        assert!(policy.contains("frame-ancestors 'self'"));
        assert!(!page_policy("abc", true).contains("frame-ancestors"));
    }
}
