//! The builder's palette and its list of fields: adding a field of any registered type,
//! reordering (drag and drop, or the arrow buttons), duplicating and deleting.

use leptos::prelude::*;

use super::{errors_under, identifiers_except};
use crate::error::FieldErrors;
use crate::fields::{self, REGISTRY};
use crate::forms::{Field, FormDefinition, identifier_from_label, unique_identifier};

/// A button per registered field type Junction has, and per one an app contributes that
/// is `awake` (its app runs for the user); a click appends a field of that type.
#[component]
pub(super) fn Palette(
    draft: RwSignal<FormDefinition>,
    selected: RwSignal<Option<usize>>,
    awake: Vec<String>,
) -> impl IntoView {
    let add_field = move |kind: &'static str| {
        let Some(t) = fields::lookup(kind) else {
            return;
        };
        draft.update(|d| {
            let label = t.meta().name.to_owned();
            let identifier =
                unique_identifier(&identifier_from_label(&label), &identifiers_except(d, None));
            d.fields.push(Field {
                id: String::new(),
                identifier,
                label,
                kind: kind.to_owned(),
                required: false,
                config: t.default_config(),
                visible_if: None,
                page_break: false,
                deleted: false,
            });
            selected.set(Some(d.fields.len() - 1));
        });
    };
    view! {
                <aside class="palette card" aria-label="Field types">
                    <h2>"Add a field"</h2>
                    <ul>
                        {REGISTRY.iter().filter(|t| t.app().is_none() || awake.iter().any(|k| k == t.meta().kind)).map(|t| {
                            let meta = t.meta();
                            view! {
                                <li>
                                    <button type="button" class="palette-item" title=meta.doc.what
                                        on:click=move |_| add_field(meta.kind) data-test=format!("add-{}", meta.kind)>
                                        <span class="palette-icon" aria-hidden="true">{meta.icon}</span>
                                        {meta.name}
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </aside>
    }
}

/// The live fields in order, each with its move, copy and delete buttons.
#[component]
pub(super) fn FieldList(
    draft: RwSignal<FormDefinition>,
    selected: RwSignal<Option<usize>>,
    local_errors: RwSignal<FieldErrors>,
) -> impl IntoView {
    let dragging = RwSignal::new(None::<usize>);
    // Moves field `from` to just before the live field now at `to`.
    let move_field = move |from: usize, to: usize| {
        if from == to {
            return;
        }
        draft.update(|d| {
            let field = d.fields.remove(from);
            let to = to.min(d.fields.len());
            d.fields.insert(to, field);
        });
        selected.set(Some(to.min(draft.with_untracked(|d| d.fields.len() - 1))));
        local_errors.set(FieldErrors::new());
    };
    let neighbour = move |i: usize, up: bool| -> Option<usize> {
        draft.with_untracked(|d| {
            let live = |j: &usize| !d.fields[*j].deleted;
            if up {
                (0..i).rev().find(live)
            } else {
                (i + 1..d.fields.len()).find(live)
            }
        })
    };
    let duplicate = move |i: usize| {
        draft.update(|d| {
            let mut copy = d.fields[i].clone();
            copy.id = String::new();
            copy.label = format!("{} (copy)", copy.label);
            copy.identifier = unique_identifier(
                &identifier_from_label(&copy.label),
                &identifiers_except(d, None),
            );
            d.fields.insert(i + 1, copy);
        });
        selected.set(Some(i + 1));
        local_errors.set(FieldErrors::new());
    };
    let remove = move |i: usize| {
        draft.update(|d| {
            // Saved fields are kept, marked deleted, so old responses keep their column.
            if d.fields[i].id.is_empty() {
                d.fields.remove(i);
            } else {
                d.fields[i].deleted = true;
            }
        });
        selected.set(None);
        local_errors.set(FieldErrors::new());
    };
    view! {
                    <ol class="field-list" aria-label="Fields">
                        {move || draft.with(|d| d.fields.iter().enumerate().filter(|(_, f)| !f.deleted).map(|(i, f)| (i, f.clone())).collect::<Vec<_>>())
                            .into_iter()
                            .map(|(i, field)| {
                                let has_errors = move || local_errors.with(|e| !errors_under(e, &format!("fields[{i}].")).is_empty());
                                let icon = field.field_type().map(|t| t.meta().icon).unwrap_or("?");
                                let type_name = field.field_type().map(|t| t.meta().name).unwrap_or("Unknown type");
                                view! {
                                    <li
                                        class="field-item"
                                        class:selected=move || selected.get() == Some(i)
                                        class:has-errors=has_errors
                                        draggable="true"
                                        data-test="field-item"
                                        on:dragstart=move |_| dragging.set(Some(i))
                                        on:dragover=move |ev| ev.prevent_default()
                                        on:drop=move |ev| {
                                            ev.prevent_default();
                                            if let Some(from) = dragging.get_untracked() { move_field(from, i); }
                                            dragging.set(None);
                                        }
                                    >
                                        <button type="button" class="field-item-main" on:click=move |_| selected.set(Some(i))
                                            aria-pressed=move || (selected.get() == Some(i)).to_string()>
                                            <span class="palette-icon" aria-hidden="true">{icon}</span>
                                            <span class="field-item-label">{field.label.clone()}{field.required.then_some(" *")}</span>
                                            <span class="muted small">{type_name}" · "{field.identifier.clone()}</span>
                                            {field.page_break.then(|| view! { <span class="badge">"new page"</span> })}
                                            {field.visible_if.is_some().then(|| view! { <span class="badge">"conditional"</span> })}
                                        </button>
                                        <div class="field-item-actions">
                                            <button type="button" class="icon-button" aria-label=format!("Move {} up", field.label)
                                                on:click=move |_| if let Some(j) = neighbour(i, true) { move_field(i, j) } data-test="move-up">"↑"</button>
                                            <button type="button" class="icon-button" aria-label=format!("Move {} down", field.label)
                                                on:click=move |_| if let Some(j) = neighbour(i, false) { move_field(i, j) } data-test="move-down">"↓"</button>
                                            <button type="button" class="icon-button text" aria-label=format!("Duplicate {}", field.label)
                                                on:click=move |_| duplicate(i) data-test="duplicate-field">"Copy"</button>
                                            <button type="button" class="icon-button danger" aria-label=format!("Delete {}", field.label)
                                                on:click=move |_| remove(i) data-test="delete-field">"✕"</button>
                                        </div>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                    {move || draft.with(|d| d.live_fields().next().is_none()).then(|| view! {
                        <p class="muted card">"No fields yet. Add one from the palette."</p>
                    })}
    }
}
