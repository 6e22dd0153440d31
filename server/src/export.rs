//! `GET /forms/{id}/responses.csv`: a form's responses as CSV, streamed in batches so a large
//! export never sits in memory. Columns: submitted-at, route, then every field by label in
//! form order (deleted fields kept and marked).

use app::error::AppError;
use app::forms::{FormDefinition, LinkedRoutes, ResponseRecord};
use app::services::{forms as form_service, submissions};
use app::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

const BATCH: i64 = 500;

pub async fn responses_csv(
    State(state): State<AppState>,
    Path(id): Path<String>,
    session: Session,
) -> Result<Response, AppError> {
    let record = crate::public::owned_form(&state, &session, &id).await?;
    csv_response(state, record).await
}

/// The streamed CSV of `record`'s responses; the caller has checked who may read them.
pub async fn csv_response(
    state: AppState,
    record: app::forms::FormRecord,
) -> Result<Response, AppError> {
    let linked =
        form_service::linked_routes(&state.db, &record.definition, record.owner_id).await?;
    let def = record.definition;
    let header_row = csv_row(&header(&def));
    let file_name = format!(
        "{}-responses.csv",
        app::forms::identifier_from_label(&def.name)
    );

    struct Cursor {
        state: AppState,
        form_id: String,
        def: FormDefinition,
        linked: LinkedRoutes,
        before: Option<String>,
        done: bool,
    }
    let first =
        futures::stream::once(async move { Ok::<Bytes, std::io::Error>(Bytes::from(header_row)) });
    let rest = futures::stream::unfold(
        Cursor {
            state,
            form_id: record.id,
            def,
            linked,
            before: None,
            done: false,
        },
        |mut c| async move {
            if c.done {
                return None;
            }
            match submissions::responses_page(
                &c.state.db,
                &c.form_id,
                &submissions::ResponseFilter::default(),
                c.before.as_deref(),
                BATCH,
            )
            .await
            {
                Ok(rows) => {
                    c.done = (rows.len() as i64) < BATCH;
                    c.before = rows.last().map(|r| r.id.clone());
                    let mut chunk = Vec::new();
                    for row in &rows {
                        chunk.extend(csv_row(&line(&c.def, &c.linked, row)));
                    }
                    Some((Ok(Bytes::from(chunk)), c))
                }
                Err(_) => {
                    c.done = true;
                    Some((
                        Err(std::io::Error::other(
                            "the export stopped: the database failed",
                        )),
                        c,
                    ))
                }
            }
        },
    );
    let disposition = format!("attachment; filename=\"{file_name}\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        Body::from_stream(futures::StreamExt::chain(first, rest)),
    )
        .into_response())
}

fn header(def: &FormDefinition) -> Vec<String> {
    let mut out = vec!["Submitted at (UTC)".to_owned(), "Route".to_owned()];
    out.extend(def.fields.iter().map(|f| {
        if f.deleted {
            format!("{} (deleted)", f.label)
        } else {
            f.label.clone()
        }
    }));
    out
}

fn line(def: &FormDefinition, linked: &LinkedRoutes, row: &ResponseRecord) -> Vec<String> {
    let route = def.route_label(row.route_id.as_deref(), linked);
    let mut out = vec![app::dates::iso_datetime(row.created_at), route];
    out.extend(def.fields.iter().map(|f| {
        row.answers
            .get(&f.id)
            .map(|answer| f.display(&answer.value))
            .unwrap_or_default()
    }));
    out
}

/// One CSV record with correct quoting (the `csv` crate), as bytes. Cells a spreadsheet
/// would run as a formula are neutralised first.
fn csv_row(fields: &[String]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(fields.iter().map(|f| neutralise_formula(f).into_owned()));
    writer.into_inner().unwrap_or_default()
}

/// OWASP's defence against CSV injection: a cell that starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return gets a leading `'`, so Excel, LibreOffice and Sheets show it as text
/// instead of evaluating it. A plain number (`-5`, `+4420…`) cannot be a formula and stays.
fn neutralise_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_quotes_commas_quotes_and_newlines() {
        let row = super::csv_row(&[
            "a,b".into(),
            "say \"hi\"".into(),
            "two\nlines".into(),
            "plain".into(),
        ]);
        assert_eq!(
            String::from_utf8(row).unwrap(),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",plain\n"
        );
    }

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        let row = super::csv_row(&[
            "=HYPERLINK(\"http://evil.example\",\"x\")".into(),
            "+cmd|' /C calc'!A0".into(),
            "-2+3".into(),
            "@SUM(A1)".into(),
            "\tx".into(),
            "\rx".into(),
            "-5".into(),
            "+442071838750".into(),
            "a=b".into(),
        ]);
        let text = String::from_utf8(row).unwrap();
        let cells: Vec<String> =
            csv::Reader::from_reader(format!("h1,h2,h3,h4,h5,h6,h7,h8,h9\n{text}").as_bytes())
                .records()
                .next()
                .unwrap()
                .unwrap()
                .iter()
                .map(str::to_owned)
                .collect();
        assert_eq!(
            cells,
            [
                "'=HYPERLINK(\"http://evil.example\",\"x\")",
                "'+cmd|' /C calc'!A0",
                "'-2+3",
                "'@SUM(A1)",
                "'\tx",
                "'\rx",
                "-5",
                "+442071838750",
                "a=b",
            ]
        );
    }
}
