import { expect, test, type Locator, type Page } from '@playwright/test';
import { hydrated, signUp } from './fixtures';

const fields = {
  name: 'Demo routing',
  fields: [
    { identifier: 'email', label: 'Email', type: 'email', required: true },
    { identifier: 'size', label: 'Team size', type: 'number' },
    { identifier: 'country', label: 'Country', type: 'select',
      config: { options: [{ value: 'US', label: 'United States' }, { value: 'DE', label: 'Germany' }] } },
  ],
  fallback: { action: { type: 'message', value: 'We will write to you.' } },
};

/** Sets the last condition row of `scope` to `field op value`. */
async function condition(scope: Locator, field: string, op: string, value: string) {
  const row = scope.getByTestId('cond-row').last();
  await row.getByTestId('cond-field').selectOption(field);
  await row.getByTestId('cond-op').selectOption(op);
  const input = row.getByTestId('cond-value');
  if ((await input.evaluate((e) => e.tagName)) === 'SELECT') {
    await input.selectOption(value);
  } else {
    await input.fill(value);
    await input.press('Tab');
  }
}

/** Adds a route and gives it a name and an action. */
async function addRoute(page: Page, name: string, type: string, value: string): Promise<Locator> {
  await page.getByTestId('add-route').click();
  const route = page.getByTestId('route-item').last();
  await route.getByTestId('route-name').fill(name);
  await route.getByTestId('route-name').press('Tab');
  await route.getByLabel('Then').selectOption(type);
  await route.getByTestId('action-value').fill(value);
  await route.getByTestId('action-value').press('Tab');
  return route;
}

test('route respondents, test routing in the builder, and export the responses', async ({ page, browser }) => {
  await signUp(page);
  await page.goto('/forms');
  await hydrated(page);
  await page.getByTestId('new-form-name').fill('Routing');
  await page.getByTestId('create-form').click();
  await expect(page).toHaveURL(/\/edit$/);
  await hydrated(page);
  const formId = page.url().split('/').at(-2)!;

  // Import the fields as a JSON document, then build three routes with the condition builder.
  await page.locator('.import-panel summary').click();
  await page.getByTestId('import-json').fill(JSON.stringify(fields));
  await page.getByTestId('import').click();
  await expect(page.getByTestId('field-item')).toHaveCount(3);

  // Enterprise: size ≥ 500 and (country is US or country is DE), a nested group.
  const enterprise = await addRoute(page, 'Enterprise', 'event_type', '/book/enterprise?email={email}');
  await enterprise.getByTestId('cond-add').click();
  await condition(enterprise, 'size', 'greater_eq', '500');
  await enterprise.getByTestId('cond-add-group').last().click();
  const nested = enterprise.getByTestId('cond-group').nth(1);
  await nested.getByTestId('cond-combinator').selectOption('any');
  await nested.getByTestId('cond-add').click();
  await condition(nested, 'country', 'equals', 'US');
  await nested.getByTestId('cond-add').click();
  await condition(nested, 'country', 'equals', 'DE');
  // The advanced mode shows the JSON Logic it compiles to.
  await enterprise.getByTestId('cond-mode').last().click();
  const json = JSON.parse(await enterprise.getByTestId('cond-json').inputValue());
  expect(json).toEqual({ and: [{ '>=': [{ var: 'size' }, 500] }, { or: [{ '==': [{ var: 'country' }, 'US'] }, { '==': [{ var: 'country' }, 'DE'] }] }] });
  await enterprise.getByTestId('cond-mode').click();
  await expect(enterprise.getByTestId('cond-row')).toHaveCount(3);

  const germany = await addRoute(page, 'Germany', 'external_url', 'http://127.0.0.1:9/de?email={email}');
  await germany.getByTestId('cond-add').click();
  await condition(germany, 'country', 'equals', 'DE');

  const small = await addRoute(page, 'Small teams', 'message', 'Small teams get started right away.');
  await small.getByTestId('cond-add').click();
  await condition(small, 'size', 'less', '10');

  await expect(page.getByTestId('route-item')).toHaveCount(3);
  await page.getByTestId('save-form').click();
  await expect(page.getByTestId('save-state')).toHaveText('Saved');
  // Saved as built: the conditions read back into the visual builder.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('route-item').first().getByTestId('cond-row')).toHaveCount(3);
  await expect(page.getByTestId('route-item').first().getByTestId('cond-group')).toHaveCount(2);

  // Test routing in the builder: the nested condition, and the trace.
  await page.locator('.test-routing summary').click();
  await page.getByTestId('test-email').fill('ada@example.com');
  await page.getByTestId('test-size').fill('900');
  await page.getByTestId('test-country').fill('DE');
  await expect(page.getByTestId('test-route')).toHaveText('Enterprise');
  await expect(page.getByTestId('test-action')).toHaveText('/book/enterprise?email=ada%40example.com');
  await page.getByTestId('test-size').fill('20');
  await expect(page.getByTestId('test-route')).toHaveText('Germany');
  await expect(page.getByTestId('test-outcome')).toContainText('✗ size >= 500');

  // Respondents, each in a fresh context, land where their answers send them.
  const respond = async (answers: { email: string; size?: string; country?: string }) => {
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(`/f/${formId}`);
    await hydrated(p);
    await p.getByLabel('Email').fill(answers.email);
    if (answers.size) await p.getByLabel('Team size').fill(answers.size);
    if (answers.country) await p.getByLabel('Country').selectOption(answers.country);
    const [response] = await Promise.all([
      p.waitForResponse((r) => r.request().method() === 'POST'),
      p.getByTestId('submit-answers').click(),
    ]);
    const location = response.headers()['location'];
    let text = '';
    if (location.startsWith('/f/')) {
      await expect(p.getByTestId('thank-you')).toBeVisible();
      text = (await p.getByTestId('thank-you').textContent()) ?? '';
    }
    await context.close();
    return { location, text };
  };
  expect((await respond({ email: 'big@example.com', size: '900', country: 'US' })).location).toBe('/book/enterprise?email=big%40example.com');
  expect((await respond({ email: 'de@example.com', size: '20', country: 'DE' })).location).toBe('http://127.0.0.1:9/de?email=de%40example.com');
  const smallTeam = await respond({ email: 'small@example.com', size: '3', country: 'US' });
  expect(smallTeam.location).toMatch(/\/thanks\?route=/);
  expect(smallTeam.text).toContain('Small teams get started right away.');
  const fallback = await respond({ email: 'other@example.com', size: '50', country: 'US' });
  expect(fallback.location).toBe(`/f/${formId}/thanks`);
  expect(fallback.text).toContain('We will write to you.');

  // The owner exports the responses.
  const csv = await page.request.get(`/forms/${formId}/responses.csv`);
  expect(csv.status()).toBe(200);
  const rows = (await csv.text()).trim().split('\n');
  expect(rows[0]).toBe('Submitted at (UTC),Route,Email,Team size,Country');
  expect(rows.slice(1).map((r) => r.split(',').slice(1).join(','))).toEqual([
    'Fallback,other@example.com,50,US',
    'Small teams,small@example.com,3,US',
    'Germany,de@example.com,20,DE',
    'Enterprise,big@example.com,900,US',
  ]);

  // Insights: hits per route, the fallback included, beside their chart.
  await page.goto(`/forms/${formId}/responses`);
  await page.getByTestId('insights-link').click();
  await expect(page.getByTestId('insights-total')).toContainText('4 responses');
  const perRoute = page.getByTestId('insight-per-route');
  await expect(perRoute.locator('svg')).toBeVisible();
  await expect(perRoute.getByTestId('insight-row')).toHaveText(['Enterprise1', 'Germany1', 'Small teams1', 'Fallback1']);
  await expect(page.getByTestId('insight-field-country').getByTestId('insight-row')).toHaveText(['United States3', 'Germany1']);
});
