//! The condition builder: nested All / Any / None groups of per-field-type conditions, with
//! an advanced mode that shows and edits the JSON Logic. Routes and display conditions both
//! use it. The model and its JSON Logic live in `forms::conditions`.

use leptos::prelude::*;
use serde_json::Value;

use crate::forms::check_condition;
use crate::forms::conditions::{
    Combinator, Condition, Family, Group, MAX_DEPTH, Node, Op, Operand, Subject, group_at,
    group_at_mut,
};

/// What every part of one builder shares.
#[derive(Clone, Copy)]
struct Ctx {
    tree: RwSignal<Group>,
    subjects: Signal<Vec<Subject>>,
    emit: Callback<()>,
    prefix: StoredValue<String>,
}

impl Ctx {
    fn edit_group(&self, path: &[usize], f: impl FnOnce(&mut Group)) {
        self.tree.update(|t| {
            if let Some(g) = group_at_mut(t, path) {
                f(g)
            }
        });
        self.emit.run(());
    }

    fn edit_condition(&self, path: &[usize], i: usize, f: impl FnOnce(&mut Condition, &[Subject])) {
        let subjects = self.subjects.get_untracked();
        self.edit_group(path, |g| {
            if let Some(Node::Condition(c)) = g.children.get_mut(i) {
                f(c, &subjects)
            }
        });
    }
}

fn empty(rule: &Value) -> bool {
    rule.is_null() || rule.as_object().is_some_and(|o| o.is_empty())
}

/// `rule` is read once; every change is reported through `on_change` (`None`: no condition).
/// `what` names the fields a rule may use, for error messages ("an earlier field").
#[component]
pub fn ConditionBuilder(
    rule: Option<Value>,
    subjects: Signal<Vec<Subject>>,
    on_change: Callback<Option<Value>>,
    id: String,
    what: &'static str,
    #[prop(into)] error: Signal<String>,
    /// Words for an empty rule ("everyone", "always").
    empty_means: &'static str,
) -> impl IntoView {
    let rule = rule.unwrap_or(Value::Null);
    let initial = Group::from_logic(&rule, &subjects.get_untracked());
    let advanced = RwSignal::new(initial.is_none());
    let tree = RwSignal::new(initial.unwrap_or_default());
    let text = RwSignal::new(if empty(&rule) {
        String::new()
    } else {
        serde_json::to_string_pretty(&rule).unwrap_or_default()
    });
    let problem = RwSignal::new(None::<String>);
    let emit = Callback::new(move |()| {
        let logic = tree.with_untracked(|t| t.to_logic(&subjects.get_untracked()));
        problem.set(None);
        on_change.run(logic);
    });
    let ctx = Ctx {
        tree,
        subjects,
        emit,
        prefix: StoredValue::new(id.clone()),
    };
    let set_text = move |value: String| {
        text.set(value.clone());
        if value.trim().is_empty() {
            problem.set(None);
            on_change.run(None);
            return;
        }
        match serde_json::from_str::<Value>(&value) {
            Err(e) => problem.set(Some(format!("Not valid JSON: {e}"))),
            Ok(rule) => {
                let known: Vec<String> = subjects
                    .get_untracked()
                    .into_iter()
                    .map(|s| s.identifier)
                    .collect();
                let known = known.iter().map(String::as_str).collect();
                problem.set(check_condition(&rule, &known, what).err());
                on_change.run((!empty(&rule)).then_some(rule));
            }
        }
    };
    let toggle = move |_| {
        if advanced.get_untracked() {
            let value = text.get_untracked();
            let rule = if value.trim().is_empty() {
                Some(Value::Null)
            } else {
                serde_json::from_str::<Value>(&value).ok()
            };
            match rule.and_then(|r| Group::from_logic(&r, &subjects.get_untracked())) {
                Some(group) => {
                    tree.set(group);
                    problem.set(None);
                    advanced.set(false);
                }
                None => problem.set(Some(
                    "The visual builder cannot show this rule; keep editing it as JSON Logic."
                        .into(),
                )),
            }
        } else {
            let logic = tree.with_untracked(|t| t.to_logic(&subjects.get_untracked()));
            text.set(
                logic
                    .map(|l| serde_json::to_string_pretty(&l).unwrap_or_default())
                    .unwrap_or_default(),
            );
            advanced.set(true);
        }
    };
    let text_id = format!("{id}-json");
    view! {
        <div class="condition-builder" data-test="condition-builder">
            {move || if advanced.get() {
                view! {
                    <label for=text_id.clone() class="small">"JSON Logic over the answers, by identifier (empty: " {empty_means} ")"</label>
                    <textarea id=text_id.clone() rows="4" class="code" prop:value=move || text.get()
                        on:change=move |ev| set_text(event_target_value(&ev)) data-test="cond-json"></textarea>
                }.into_any()
            } else {
                view! {
                    <p class="muted small" data-test="cond-empty" hidden=move || !tree.with(Group::is_empty)>
                        "No conditions: applies to " {empty_means} "."
                    </p>
                    {group_view(ctx, Vec::new())}
                }.into_any()
            }}
            <p class="field-error" data-test="cond-error">{move || problem.get().unwrap_or_else(|| error.get())}</p>
            <button type="button" class="link-button small" on:click=toggle data-test="cond-mode">
                {move || if advanced.get() { "Use the visual builder" } else { "Edit as JSON Logic" }}
            </button>
        </div>
    }
}

fn group_view(ctx: Ctx, path: Vec<usize>) -> AnyView {
    let depth = path.len();
    let p = path.clone();
    let shape = Memo::new(move |_| {
        ctx.tree.with(|t| {
            group_at(t, &p)
                .map(|g| {
                    g.children
                        .iter()
                        .map(|c| matches!(c, Node::Group(_)))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let p = path.clone();
    let combinator = move || {
        ctx.tree
            .with(|t| group_at(t, &p).map(|g| g.combinator))
            .unwrap_or_default()
    };
    let (p1, p2, p3, p4, p5) = (
        path.clone(),
        path.clone(),
        path.clone(),
        path.clone(),
        path.clone(),
    );
    let label = format!(
        "{}-group-{}",
        ctx.prefix.get_value(),
        path.iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("-")
    );
    view! {
        <fieldset class="cond-group" data-test="cond-group">
            <legend class="cond-group-head">
                <label class="visually-hidden" for=label.clone()>"Combine conditions"</label>
                <select id=label prop:value=move || combinator().key() data-test="cond-combinator"
                    on:change=move |ev| { let c = Combinator::from_key(&event_target_value(&ev)); ctx.edit_group(&p1, |g| g.combinator = c) }>
                    {Combinator::EVERY.into_iter().map(|c| view! { <option value=c.key()>{c.label()}</option> }).collect_view()}
                </select>
                {(depth > 0).then(|| {
                    let (parent, index) = (p2[..depth - 1].to_vec(), p2[depth - 1]);
                    view! {
                        <button type="button" class="icon-button danger" aria-label="Remove group" data-test="cond-remove-group"
                            on:click=move |_| ctx.edit_group(&parent, |g| { if index < g.children.len() { g.children.remove(index); } })>"✕"</button>
                    }
                })}
            </legend>
            <ul class="cond-children">
                {move || shape.get().into_iter().enumerate().map(|(i, is_group)| {
                    if is_group {
                        let mut child = p3.clone();
                        child.push(i);
                        view! { <li>{group_view(ctx, child)}</li> }.into_any()
                    } else {
                        view! { <li>{condition_view(ctx, p3.clone(), i)}</li> }.into_any()
                    }
                }).collect_view()}
            </ul>
            <div class="cond-actions">
                <button type="button" class="link-button small" data-test="cond-add"
                    disabled=move || ctx.subjects.with(Vec::is_empty)
                    on:click=move |_| {
                        let Some(first) = ctx.subjects.get_untracked().into_iter().next() else { return };
                        ctx.edit_group(&p4, |g| g.children.push(Node::Condition(Condition::on(&first))))
                    }>"+ Add condition"</button>
                {(depth + 1 < MAX_DEPTH).then(|| view! {
                    <button type="button" class="link-button small" data-test="cond-add-group"
                        on:click=move |_| ctx.edit_group(&p5, |g| g.children.push(Node::Group(Group::default())))>"+ Add group"</button>
                })}
            </div>
        </fieldset>
    }
    .into_any()
}

/// One condition row. It is drawn again only when its field or operator changes, so typing
/// in a value box never loses focus.
fn condition_view(ctx: Ctx, path: Vec<usize>, i: usize) -> AnyView {
    let p = path.clone();
    let key = Memo::new(move |_| {
        ctx.tree
            .with(|t| match group_at(t, &p).and_then(|g| g.children.get(i)) {
                Some(Node::Condition(c)) => Some((c.field.clone(), c.op)),
                _ => None,
            })
    });
    let prefix = ctx.prefix.get_value();
    let row_id = format!(
        "{prefix}-c-{}{i}",
        path.iter().map(|n| format!("{n}-")).collect::<String>()
    );
    (move || {
        let (field, op) = key.get()?;
        let subjects = ctx.subjects.get();
        let values = ctx.tree.with_untracked(|t| {
            match group_at(t, &path).and_then(|g| g.children.get(i)) {
                Some(Node::Condition(c)) => c.values.clone(),
                _ => Vec::new(),
            }
        });
        let subject = subjects.iter().find(|s| s.identifier == field).cloned();
        let family = subject.as_ref().map(Subject::family).unwrap_or(Family::Text);
        let (pf, po, pv, pr) = (path.clone(), path.clone(), path.clone(), path.clone());
        let set_value = Callback::new(move |(j, v): (usize, String)| {
            ctx.edit_condition(&pv, i, |c, _| {
                if c.values.len() <= j {
                    c.values.resize(j + 1, String::new());
                }
                c.values[j] = v;
            })
        });
        let field_id = format!("{row_id}-field");
        let op_id = format!("{row_id}-op");
        let value_id = format!("{row_id}-value");
        let input_type = family.input_type();
        let values_view = match op.operand() {
            Operand::Nothing => ().into_any(),
            Operand::One if family == Family::Choice => {
                let options = subject.as_ref().map(|s| s.options.clone()).unwrap_or_default();
                let current = values.first().cloned().unwrap_or_default();
                view! {
                    <label class="visually-hidden" for=value_id.clone()>"Value"</label>
                    <select id=value_id data-test="cond-value" on:change=move |ev| set_value.run((0, event_target_value(&ev)))>
                        {options.into_iter().map(|(v, l)| {
                            let selected = v == current;
                            view! { <option value=v selected=selected>{l}</option> }
                        }).collect_view()}
                    </select>
                }
                .into_any()
            }
            Operand::One => view! {
                <label class="visually-hidden" for=value_id.clone()>"Value"</label>
                <input id=value_id type=input_type data-test="cond-value" step=(family == Family::Number).then_some("any")
                    value=values.first().cloned().unwrap_or_default()
                    on:change=move |ev| set_value.run((0, event_target_value(&ev))) />
            }
            .into_any(),
            Operand::Two => view! {
                <label class="visually-hidden" for=value_id.clone()>"From"</label>
                <input id=value_id.clone() type=input_type data-test="cond-value" step=(family == Family::Number).then_some("any")
                    value=values.first().cloned().unwrap_or_default()
                    on:change=move |ev| set_value.run((0, event_target_value(&ev))) />
                <span class="muted small">"and"</span>
                <label class="visually-hidden" for=format!("{value_id}-2")>"To"</label>
                <input id=format!("{value_id}-2") type=input_type data-test="cond-value-2" step=(family == Family::Number).then_some("any")
                    value=values.get(1).cloned().unwrap_or_default()
                    on:change=move |ev| set_value.run((1, event_target_value(&ev))) />
            }
            .into_any(),
            Operand::Many => {
                let options = subject.as_ref().map(|s| s.options.clone()).unwrap_or_default();
                let pm = path.clone();
                view! {
                    <span class="cond-choices" role="group" aria-label="Values">
                        {options.into_iter().enumerate().map(|(n, (v, l))| {
                            let checked = values.contains(&v);
                            let id = format!("{value_id}-{n}");
                            let pm = pm.clone();
                            let value = v.clone();
                            view! {
                                <label class="cond-choice" for=id.clone()>
                                    <input id=id.clone() type="checkbox" value=v checked=checked data-test="cond-choice"
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            let value = value.clone();
                                            ctx.edit_condition(&pm, i, move |c, subjects| {
                                                c.values.retain(|x| *x != value);
                                                if on { c.values.push(value); }
                                                // Keep the options' order, so the rule reads the same way each time.
                                                if let Some(s) = subjects.iter().find(|s| s.identifier == c.field) {
                                                    c.values.sort_by_key(|x| s.options.iter().position(|(o, _)| o == x));
                                                }
                                            })
                                        } />
                                    {l}
                                </label>
                            }
                        }).collect_view()}
                    </span>
                }
                .into_any()
            }
        };
        Some(view! {
            <div class="cond-row" data-test="cond-row">
                <label class="visually-hidden" for=field_id.clone()>"Field"</label>
                <select id=field_id data-test="cond-field"
                    on:change=move |ev| {
                        let chosen = event_target_value(&ev);
                        ctx.edit_condition(&pf, i, |c, subjects| {
                            if let Some(s) = subjects.iter().find(|s| s.identifier == chosen) {
                                c.field = chosen.clone();
                                c.fit(s);
                            }
                        })
                    }>
                    {subject.is_none().then(|| view! { <option value=field.clone() selected=true>{format!("{field} (no such field)")}</option> })}
                    {subjects.iter().map(|s| view! {
                        <option value=s.identifier.clone() selected=s.identifier == field>{s.label.clone()}</option>
                    }).collect_view()}
                </select>
                <label class="visually-hidden" for=op_id.clone()>"Operator"</label>
                <select id=op_id data-test="cond-op"
                    on:change=move |ev| {
                        let Some(op) = Op::from_key(&event_target_value(&ev)) else { return };
                        ctx.edit_condition(&po, i, |c, subjects| {
                            c.op = op;
                            if let Some(s) = subjects.iter().find(|s| s.identifier == c.field) { c.fit(s) }
                        })
                    }>
                    {family.operators().iter().map(|&o| view! {
                        <option value=o.key() selected=o == op>{o.label(family)}</option>
                    }).collect_view()}
                </select>
                {values_view}
                <button type="button" class="icon-button danger" aria-label="Remove condition" data-test="cond-remove"
                    on:click=move |_| ctx.edit_group(&pr, |g| { if i < g.children.len() { g.children.remove(i); } })>"✕"</button>
            </div>
        })
    })
    .into_any()
}
