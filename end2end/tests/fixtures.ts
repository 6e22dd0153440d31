import { expect, type Page } from '@playwright/test';

/** A fresh email per call, so tests never collide in the shared database. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

export const PASSWORD = 'correct horse battery';

/** Waits until the wasm has taken the page over (both entries set this attribute). */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

/** The sign-up page as a user sees it. */
export class SignupPage {
  constructor(private readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.goto('/signup');
    await hydrated(this.page);
  }

  async signUp(email: string, password = PASSWORD): Promise<void> {
    await this.page.getByLabel('Email').fill(email);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Create account' }).click();
  }
}

/** The login page as a user sees it. */
export class LoginPage {
  constructor(private readonly page: Page) {}

  async open(path = '/login'): Promise<void> {
    await this.page.goto(path);
    await hydrated(this.page);
  }

  async logIn(email: string, password: string): Promise<void> {
    await this.page.getByLabel('Email').fill(email);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Log in' }).click();
  }
}

/** Signs up through the UI and waits for the dashboard. */
export async function signUp(page: Page, email = uniqueEmail()): Promise<string> {
  const signup = new SignupPage(page);
  await signup.open();
  await signup.signUp(email);
  await expect(page).toHaveURL(/\/dashboard$/);
  await hydrated(page);
  return email;
}
