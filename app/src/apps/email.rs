//! What the browser shares of the Email notifications app: its slug, which the
//! installation page shows the delivery log by. Its e-mails are logged as webhook
//! deliveries are (`apps::webhooks::DeliveryView`), an SMTP reply code in place of an
//! HTTP status.

/// The Email notifications app's slug, which the outbox looks installations up by.
pub const SLUG: &str = "email-notifications";
