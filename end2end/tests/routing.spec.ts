import { expect, test } from '@playwright/test';
import { hydrated, signUp } from './fixtures';

const definition = {
  name: 'Demo routing',
  fields: [
    { identifier: 'email', label: 'Email', type: 'email', required: true },
    { identifier: 'size', label: 'Team size', type: 'number' },
    { identifier: 'country', label: 'Country', type: 'select',
      config: { options: [{ value: 'US', label: 'United States' }, { value: 'DE', label: 'Germany' }] } },
  ],
  routes: [
    { name: 'Enterprise', rule: { and: [{ '>=': [{ var: 'size' }, 500] }, { or: [{ '==': [{ var: 'country' }, 'US'] }, { '==': [{ var: 'country' }, 'DE'] }] }] },
      action: { type: 'event_type', value: '/book/enterprise?email={email}' } },
    { name: 'Germany', rule: { '==': [{ var: 'country' }, 'DE'] },
      action: { type: 'external_url', value: 'http://127.0.0.1:9/de?email={email}' } },
    { name: 'Small teams', rule: { '<': [{ var: 'size' }, 10] },
      action: { type: 'message', value: 'Small teams get started right away.' } },
  ],
  fallback: { action: { type: 'message', value: 'We will write to you.' } },
};

test('route respondents, test routing in the builder, and export the responses', async ({ page, browser }) => {
  await signUp(page);
  await page.goto('/forms');
  await hydrated(page);
  await page.getByTestId('new-form-name').fill('Routing');
  await page.getByTestId('create-form').click();
  await expect(page).toHaveURL(/\/edit$/);
  await hydrated(page);
  const formId = page.url().split('/').at(-2)!;

  // Import the routes and fields as a JSON document, then save.
  await page.locator('.import-panel summary').click();
  await page.getByTestId('import-json').fill(JSON.stringify(definition));
  await page.getByTestId('import').click();
  await expect(page.getByTestId('route-item')).toHaveCount(3);
  await page.getByTestId('save-form').click();
  await expect(page.getByTestId('save-state')).toHaveText('Saved');

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
  const small = await respond({ email: 'small@example.com', size: '3', country: 'US' });
  expect(small.location).toMatch(/\/thanks\?route=/);
  expect(small.text).toContain('Small teams get started right away.');
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
});
