import { expect, test, type Page } from '@playwright/test';
import { hydrated, signUp } from './fixtures';

/** The builder as a form author sees it. */
class Builder {
  constructor(private readonly page: Page) {}

  async add(kind: string, label: string, options: { required?: boolean } = {}): Promise<void> {
    await this.page.getByTestId(`add-${kind}`).click();
    await this.page.getByTestId('field-label').fill(label);
    if (options.required) await this.page.getByTestId('field-required').check();
  }

  async setOption(index: number, label: string, value: string): Promise<void> {
    const labels = this.page.getByTestId('option-label');
    const values = this.page.getByTestId('option-value');
    await labels.nth(index).fill(label);
    await labels.nth(index).press('Tab');
    await values.nth(index).fill(value);
    await values.nth(index).press('Tab');
  }

  /** Shows the selected field only when a choice field has one value (the visual builder). */
  async showWhen(field: string, value: string): Promise<void> {
    const settings = this.page.getByTestId('field-settings');
    await settings.getByTestId('cond-add').click();
    const row = settings.getByTestId('cond-row').first();
    await row.getByTestId('cond-field').selectOption(field);
    await expect(row.getByTestId('cond-op')).toHaveValue('equals');
    await row.getByTestId('cond-value').selectOption(value);
  }

  fieldLabels() {
    return this.page.getByTestId('field-item').locator('.field-item-label');
  }
}

test('build a form, answer it from a fresh browser, and read the response', async ({ page, browser }) => {
  await signUp(page);
  await page.getByRole('link', { name: 'Forms', exact: true }).click();
  await expect(page.getByTestId('forms-page')).toBeVisible();
  await page.getByTestId('new-form-name').fill('Sales intake');
  await page.getByTestId('create-form').click();
  await expect(page).toHaveURL(/\/forms\/[0-9a-f]+\/edit$/);
  await hydrated(page);
  const formId = page.url().split('/').at(-2)!;

  const builder = new Builder(page);
  await builder.add('short_text', 'Full name', { required: true });
  await builder.add('email', 'Work email', { required: true });
  await builder.add('phone', 'Phone');
  await builder.add('select', 'Country');
  await builder.setOption(0, 'United States', 'US');
  await builder.setOption(1, 'Germany', 'DE');
  await builder.add('short_text', 'VAT number', { required: true });
  await builder.showWhen('country', 'DE');
  await expect(page.getByTestId('field-settings').getByTestId('cond-error')).toHaveText('');
  // The advanced mode shows the JSON Logic the builder wrote.
  await page.getByTestId('field-settings').getByTestId('cond-mode').click();
  await expect(page.getByTestId('field-settings').getByTestId('cond-json')).toHaveValue(/"==": \[\s*\{\s*"var": "country"\s*\},\s*"DE"/);
  await builder.add('number', 'Team size');
  await builder.add('checkbox', 'I agree to be contacted', { required: true });

  // Reorder: team size goes above the VAT number (keyboard-accessible buttons).
  await page.getByTestId('field-item').nth(5).getByTestId('move-up').click();
  await expect(builder.fieldLabels()).toHaveText([
    'Full name *', 'Work email *', 'Phone', 'Country', 'Team size', 'VAT number *', 'I agree to be contacted *',
  ]);
  // The live preview uses the public renderer.
  await expect(page.locator('.preview').getByLabel('Work email')).toBeVisible();

  await page.getByTestId('save-form').click();
  await expect(page.getByTestId('save-state')).toHaveText('Saved');

  // A respondent in a fresh context.
  const context = await browser.newContext();
  const respondent = await context.newPage();
  await respondent.goto(`/f/${formId}`);
  await hydrated(respondent);
  await expect(respondent.getByLabel('VAT number')).toBeHidden();
  await respondent.getByTestId('submit-answers').click();
  await expect(respondent.getByTestId('error-full_name')).toHaveText('This field is required.');
  await expect(respondent.getByTestId('error-work_email')).toHaveText('This field is required.');
  await expect(respondent.getByTestId('error-i_agree_to_be_contacted')).toHaveText('This field is required.');

  await respondent.getByLabel('Work email').fill('not-an-email');
  await respondent.getByLabel('Work email').blur();
  await expect(respondent.getByTestId('error-work_email')).toHaveText('Enter an email address like name@example.com.');

  await respondent.getByLabel('Full name').fill('Ada Lovelace');
  await respondent.getByLabel('Work email').fill('Ada@Example.com');
  await respondent.getByLabel('Phone').fill('+49 30 901820');
  await respondent.getByLabel('Country').selectOption('DE');
  await expect(respondent.getByLabel('VAT number')).toBeVisible();
  await respondent.getByLabel('Team size').fill('12');
  await respondent.getByLabel('I agree to be contacted').check();
  await respondent.getByTestId('submit-answers').click();
  await expect(respondent.getByTestId('error-vat_number')).toHaveText('This field is required.');
  await respondent.getByLabel('VAT number').fill('DE123456789');
  await respondent.getByTestId('submit-answers').click();
  await expect(respondent).toHaveURL(new RegExp(`/f/${formId}/thanks$`));
  await expect(respondent.getByTestId('thank-you')).toContainText('Thank you');
  await context.close();

  // The owner reads it.
  await page.goto(`/forms/${formId}/responses`);
  await expect(page.getByTestId('response-count')).toHaveText('1 responses');
  const row = page.getByTestId('response-row').first();
  for (const text of ['Ada Lovelace', 'Ada@example.com', '+49 30 901820', 'DE', 'DE123456789', '12', 'Yes']) {
    await expect(row).toContainText(text);
  }
});

test('the server keeps typed answers when it refuses them (no JavaScript)', async ({ browser, page }) => {
  await signUp(page);
  await page.goto('/forms');
  await hydrated(page);
  await page.getByTestId('new-form-name').fill('Plain');
  await page.getByTestId('create-form').click();
  await expect(page).toHaveURL(/\/edit$/);
  await hydrated(page);
  const formId = page.url().split('/').at(-2)!;
  await new Builder(page).add('phone', 'Phone', { required: true });
  await page.getByTestId('save-form').click();
  await expect(page.getByTestId('save-state')).toHaveText('Saved');

  const context = await browser.newContext({ javaScriptEnabled: false });
  const respondent = await context.newPage();
  await respondent.goto(`/f/${formId}`);
  await respondent.getByLabel('Phone').fill('+1 555 000');
  await respondent.getByRole("button", { name: "Submit" }).click();
  await expect(respondent.getByTestId('error-phone')).toContainText('not a valid phone number');
  await expect(respondent.getByLabel('Phone')).toHaveValue('+1 555 000');
  await context.close();
});
