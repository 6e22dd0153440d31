import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import { hydrated, PASSWORD, signUp } from './fixtures';

// A respondent's page: its weight on first load, and the form's behaviour in the browser
// (components/form_behaviour.rs) on a paged form with a condition.

/** What a respondent's first load may weigh over the wire: HTML, CSS, JS and wasm. */
const BUDGET_BYTES = 200_000;

async function createForm(page: Page, definition: unknown): Promise<string> {
  const request: APIRequestContext = page.request;
  const key = await request.post('/api/api-keys/create', { form: { name: 'respondent spec', password: PASSWORD } });
  expect(key.status(), await key.text()).toBe(200);
  const created = await request.post('/api/v1/forms', {
    headers: { Authorization: `Bearer ${(await key.json()) as string}` },
    data: definition,
  });
  expect(created.status(), await created.text()).toBe(201);
  return (await created.json()).id as string;
}

/**
 * Every response of a first visit to `url` with a fresh profile (headers and encoded body),
 * until the form has its behaviour and the network is idle; printed largest first.
 */
async function firstLoad(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen: { url: string; bytes: number; encoding: string }[] = [];
  page.on('requestfinished', async (request) => {
    const sizes = await request.sizes();
    const response = await request.response();
    seen.push({
      url: request.url().replace(/^https?:\/\/[^/]+/, ''),
      bytes: sizes.responseHeadersSize + sizes.responseBodySize,
      encoding: (await response?.headerValue('content-encoding')) ?? '',
    });
  });
  await page.goto(url);
  await hydrated(page);
  await page.waitForLoadState('networkidle');
  await context.close();
  let total = 0;
  for (const { url, bytes, encoding } of seen.sort((a, b) => b.bytes - a.bytes)) {
    total += bytes;
    console.log(`${String(bytes).padStart(9)}  ${encoding.padEnd(4)}  ${url}`);
  }
  console.log(`${String(total).padStart(9)}  total over the wire, ${seen.length} responses`);
  return total;
}

test("a respondent's first load of a 10-field form stays within 200 KB", async ({ page, browser }) => {
  await signUp(page);
  // The form BENCHMARKS.md measures (scripts/bench-http.sh).
  const definition = JSON.parse(fs.readFileSync(path.join(__dirname, '../../scripts/bench/form.json'), 'utf8'));
  const id = await createForm(page, definition);
  const total = await firstLoad(browser, `/f/${id}`);
  expect(total, `bytes over the wire (budget ${BUDGET_BYTES})`).toBeLessThanOrEqual(BUDGET_BYTES);
});

test('a paged form checks each page before the next, follows its condition and keeps the answers', async ({ page, browser }) => {
  await signUp(page);
  const id = await createForm(page, {
    name: 'Paged survey',
    settings: { enabled: true },
    fields: [
      { identifier: 'email', label: 'Email', type: 'email', required: true },
      { identifier: 'role', label: 'Role', type: 'select', required: true,
        config: { options: [{ value: 'dev', label: 'Developer' }, { value: 'other', label: 'Other' }] } },
      { identifier: 'language', label: 'Favourite language', type: 'short_text', required: true, page_break: true,
        visible_if: { '==': [{ var: 'role' }, 'dev'] } },
      { identifier: 'comments', label: 'Comments', type: 'long_text' },
    ],
    fallback: { action: { type: 'message', value: 'Thanks for answering.' } },
  });
  const context = await browser.newContext();
  const respondent = await context.newPage();
  await respondent.goto(`/f/${id}`);
  await hydrated(respondent);

  // Page one of two: its questions only, and Next instead of Submit.
  await expect(respondent.getByTestId('page-count')).toHaveText('Page 1 of 2');
  await expect(respondent.getByLabel('Comments')).toBeHidden();
  await expect(respondent.getByTestId('submit-answers')).toBeHidden();
  await expect(respondent.getByTestId('back')).toBeHidden();

  // Leaving a bad answer shows its type's message at once.
  await respondent.getByLabel('Email').fill('not an email');
  await respondent.getByLabel('Role').focus();
  await expect(respondent.getByTestId('error-email')).toHaveText('Enter an email address like name@example.com.');
  await expect(respondent.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');

  // Next checks the page first and stays on it.
  await respondent.getByTestId('next').click();
  await expect(respondent.getByTestId('page-count')).toHaveText('Page 1 of 2');
  await expect(respondent.getByTestId('error-role')).toHaveText('This field is required.');

  await respondent.getByLabel('Email').fill('ada@example.com');
  await respondent.getByLabel('Role').selectOption('other');
  await respondent.getByTestId('next').click();
  await expect(respondent.getByTestId('page-count')).toHaveText('Page 2 of 2');
  await expect(respondent.getByTestId('error-email')).toHaveText('');
  await expect(respondent.getByLabel('Email')).toBeHidden();
  // Its condition does not hold: not asked, and not required.
  await expect(respondent.getByLabel('Favourite language')).toBeHidden();
  await expect(respondent.getByLabel('Comments')).toBeVisible();

  // Back, and the condition now holds; the required question is checked on submit.
  await respondent.getByTestId('back').click();
  await expect(respondent.getByLabel('Email')).toHaveValue('ada@example.com');
  await respondent.getByLabel('Role').selectOption('dev');
  await respondent.getByTestId('next').click();
  await expect(respondent.getByLabel('Favourite language')).toBeVisible();
  await respondent.getByTestId('submit-answers').click();
  await expect(respondent.getByTestId('error-language')).toHaveText('This field is required.');
  await expect(respondent.getByLabel('Favourite language')).toBeFocused();

  await respondent.getByLabel('Favourite language').fill('Rust');
  await respondent.getByTestId('submit-answers').click();
  await expect(respondent.getByTestId('thank-you')).toContainText('Thanks for answering.');
  await context.close();
});
