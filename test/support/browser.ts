/** Debian's Chromium driven by playwright-core, as the page tests use it. */
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SCREENSHOTS = path.resolve('test/screenshots')

/** A headless Chromium closed when the test ends (its absence fails the test, with the fix). */
export async function launchChromium (t: { ok (value: unknown, message: string): void, teardown (fn: () => unknown): void }): Promise<Browser> {
  t.ok(existsSync(CHROMIUM), `Chromium is installed at ${CHROMIUM} (apt-get install chromium)`)
  await mkdir(SCREENSHOTS, { recursive: true })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
  })
  t.teardown(() => browser.close())
  return browser
}

/**
 * A desk-sized zh-CN page that records script errors and failed requests, which a page test
 * expects to end with none (everything is served locally).
 */
export async function watchedPage (browser: Browser): Promise<{ page: Page, failures: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' })
  const page = await context.newPage()
  const failures: string[] = []
  page.on('pageerror', (error) => failures.push(error.message))
  page.on('requestfailed', (request) => failures.push(`${request.url()} ${request.failure()?.errorText ?? ''}`))
  return { page, failures }
}

/** A full-page screenshot kept in test/screenshots/<name>.png for reviewers. */
export function screenshot (page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })
}
