/**
 * Running an organisation, end to end in Chromium on real parts: a server and a broker that
 * replicates its gateway credentials, an SMTP peer that receives the invitations, a gateway started
 * from the provisioning file the dashboard hands out. An operator creates an organisation; its
 * first admin (invited by e-mail) creates a site, a ward with beds, invites a nurse (who sets a
 * password from the e-mailed link), admits a patient with an NHS number, registers a kit, downloads
 * its provisioning file and issues it to the patient. The gateway's first reading appears on the
 * nurse's ward; revoking the kit cuts the gateway off within 5 s while another home carries on; the
 * audit screen shows every step.
 */
import { createHmac } from 'node:crypto';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CredentialReplica, RunningBroker } from '@wardline/broker';
import { SimulatedHome } from '@wardline/firmware-sim';
import { parseConfig, startGateway, type RunningGateway } from '@wardline/gateway';
import { defaultAlertingConfig, type RunningServer } from '@wardline/server';
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inviteOperator } from '../../server/src/staff/operator-command.js';
import { startSmtpPeer, type SmtpPeer } from '../../server/src/testing-smtp.js';
import { launchChromium, screenshot, seriousAxeViolations } from './browser.js';
import {
  builtDashboard,
  connectGatewayClient,
  freePort,
  startReplicatingBroker,
  startTestServer,
  tempDir,
  waitUntil,
} from './support.js';

const SYNC_TOKEN = 'e2e-onboarding-sync-token-0123456789ab';
const KIT_CUFF = 'e4:00:00:00:00:01';
const silent = pino({ level: 'silent' });

describe('running an organisation in the browser', () => {
  let broker: RunningBroker;
  let replica: CredentialReplica;
  let server: RunningServer;
  let smtp: SmtpPeer;
  let browser: Browser;
  let base: string;
  let admin: { context: BrowserContext; page: Page };
  let nurse: { context: BrowserContext; page: Page };
  let otherHome: MqttClient;
  let kitGateway: RunningGateway | null = null;
  let kitHome: SimulatedHome | null = null;
  let provisioningPath = '';
  let kitPath = '';
  let adminUsername = '';
  let nurseUsername = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const serverPort = await freePort();
    base = `http://127.0.0.1:${serverPort}`;
    ({ broker, replica } = await startReplicatingBroker(base, SYNC_TOKEN));
    smtp = await startSmtpPeer();
    server = await startTestServer(broker.port, join(tempDir('onboarding'), 'wardline.db'), {
      port: serverPort,
      dashboardDir: builtDashboard,
      config: {
        alerting: {
          ...defaultAlertingConfig(),
          smtp: smtp.settings('Wardline <accounts@wardline.test>'),
        },
        kits: { gatewayMqttUrl: `mqtt://127.0.0.1:${broker.port}`, brokerSyncToken: SYNC_TOKEN },
      },
    });
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
    // Another home (the demo organisation's), which must carry on when the new kit is revoked.
    otherHome = await connectGatewayClient(broker.port);
    browser = await launchChromium();
    const open = async () => {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        acceptDownloads: true,
      });
      context.setDefaultTimeout(8000);
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      return { context, page };
    };
    admin = await open();
    nurse = await open();
  }, 60_000);

  afterAll(async () => {
    kitHome?.stop();
    await kitGateway?.stop(500);
    await otherHome?.endAsync();
    await browser?.close();
    replica?.stop();
    await server?.close();
    await broker?.close();
    await smtp?.close();
  });

  /** The one-time link in the latest e-mail to this address. */
  async function linkMailedTo(address: string): Promise<string> {
    const mail = await waitUntil(
      () => smtp.mailbox.findLast((m) => m.to.includes(address)),
      `the e-mail to ${address} at the SMTP peer`,
    );
    const link = /http:\/\/127\.0\.0\.1:\d+\/set-password#token=[A-Za-z0-9_-]+/.exec(mail.text)?.[0];
    if (!link) throw new Error(`no set-password link in the e-mail to ${address}`);
    return link;
  }

  /**
   * Opens a one-time link and sets a password; the page then signs in and shows the home screen.
   * Returns the user name the page told the user to sign in with.
   */
  async function setPasswordFromLink(page: Page, link: string, password: string): Promise<string> {
    await page.goto(link);
    const username = (await page.getByTestId('set-password-username').textContent()) ?? '';
    // NCSC guidance is shown, and a short password is explained before anything is sent.
    await expect(page.getByTestId('set-password').textContent()).resolves.toMatch(/three random words/);
    await page.getByTestId('new-password').fill('Sh0rt!');
    await page.getByTestId('new-confirm').fill('Sh0rt!');
    await page.getByTestId('set-password-submit').click();
    await expect
      .poll(() => page.getByTestId('set-password-error').textContent())
      .toMatch(/at least 12 characters/);
    await page.getByTestId('new-password').fill(password);
    await page.getByTestId('new-confirm').fill(password);
    await page.getByTestId('set-password-submit').click();
    await page.getByTestId('user-name').waitFor();
    // The token does not stay in the address bar.
    expect(page.url()).not.toContain('token=');
    return username;
  }

  async function expectNoSeriousAxeFindings(page: Page, name: string): Promise<void> {
    const violations = await seriousAxeViolations(page);
    if (violations.length > 0) await screenshot(page, `onboarding-axe-${name}`);
    expect(violations, name).toEqual([]);
  }

  it('an operator creates an organisation and its first admin sets a password from the e-mailed link', async () => {
    const operator = await inviteOperator(server.context.sql, {
      email: 'ops@wardline.test',
      displayName: 'Olu Operator',
      publicUrl: base,
    });
    const page = admin.page;
    await setPasswordFromLink(page, operator.link, 'lantern orchard pebble');
    // An operator's home is the organisations list, and nothing clinical.
    await expect.poll(() => new URL(page.url()).pathname).toBe('/organisations');
    await expect(page.getByTestId('nav-wards').count()).resolves.toBe(0);
    await page.getByTestId('org-name').fill('Meadow Care Group');
    await page.getByTestId('org-adminName').fill('Ada Admin');
    await page.getByTestId('org-adminEmail').fill('ada.admin@meadow.test');
    await page.getByTestId('org-submit').click();
    await expect
      .poll(() => page.getByTestId('page-message').textContent())
      .toMatch(/Meadow Care Group was created/);
    await expect.poll(() => page.getByTestId('orgs-table').textContent()).toContain('Meadow Care Group');
    await expectNoSeriousAxeFindings(page, 'organisations');
    await page.getByTestId('sign-out').click();

    adminUsername = await setPasswordFromLink(
      page,
      await linkMailedTo('ada.admin@meadow.test'),
      'violet harbour kettle',
    );
    await expect(page.getByTestId('nav-admin').count()).resolves.toBe(1);
  });

  it('the admin creates a site and a ward with beds', async () => {
    const page = admin.page;
    await page.getByTestId('nav-admin').click();
    await page.getByTestId('admin-page-places').click();
    await page.getByTestId('site-name').fill('Oak Lodge');
    await expect(page.getByTestId('site-code').inputValue()).resolves.toBe('oak-lodge');
    await page.getByTestId('site-submit').click();
    await expect.poll(() => page.getByTestId('page-message').textContent()).toBe('Oak Lodge was created.');

    // Forgetting the ward's name is explained in the error summary, which takes focus.
    await page.getByTestId('ward-beds').fill('4');
    await page.getByTestId('ward-submit').click();
    await expect.poll(() => page.getByTestId('ward-error').textContent()).toContain('Enter the ward’s name');
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid')))
      .toBe('ward-error');
    await page.getByTestId('ward-name').fill('Rowan');
    await page.getByTestId('ward-submit').click();
    await expect.poll(() => page.getByTestId('page-message').textContent()).toBe('Rowan was created.');
    const ward = page.locator(
      '[data-testid="site-panel"][data-site-code="oak-lodge"] [data-testid="ward-item"]',
    );
    await expect.poll(() => ward.textContent()).toContain('4 beds');
    await expect.poll(() => page.getByTestId('bed-row').count()).toBe(4);
    await expectNoSeriousAxeFindings(page, 'places');
    await screenshot(page, 'onboarding-places');
  });

  it('the admin invites a nurse, whose e-mailed link sets a password and opens the ward', async () => {
    const page = admin.page;
    await page.getByTestId('admin-page-staff').click();
    await page.getByTestId('invite-displayName').fill('Nia Nurse');
    await page.getByTestId('invite-email').fill('nia.nurse@meadow.test');
    await page.getByTestId('invite-submit').click();
    await expect.poll(() => page.getByTestId('page-message').textContent()).toBe('Nia Nurse was invited.');
    await page.getByTestId('link-emailed').waitFor();
    await expect
      .poll(() => page.locator('[data-testid="staff-row"]', { hasText: 'Nia Nurse' }).textContent())
      .toMatch(/Nurse.*Invited/);
    await expectNoSeriousAxeFindings(page, 'staff');

    nurseUsername = await setPasswordFromLink(
      nurse.page,
      await linkMailedTo('nia.nurse@meadow.test'),
      'copper meadow lantern',
    );
    // The organisation's only ward opens at once: the demo organisation's wards are not hers to see.
    await expect
      .poll(() => nurse.page.getByTestId('ward-name').textContent(), { timeout: 5000 })
      .toBe('Rowan');
    await expect.poll(() => nurse.page.getByTestId('bed-card').count()).toBe(4);
    await nurse.page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
  });

  it('the admin admits a patient with an NHS number, refusing a wrong check digit', async () => {
    const page = admin.page;
    await page.getByTestId('nav-patients').click();
    await page.getByTestId('admit-displayName').fill('Edith Clarke');
    await page.getByTestId('admit-nhsNumber').fill('943 476 5918');
    await page.getByTestId('admit-dateOfBirth').fill('1941-03-07');
    await page.getByTestId('admit-patient-submit').click();
    await expect
      .poll(() => page.getByTestId('admit-patient-error').textContent())
      .toMatch(/not a valid NHS number.*Choose a free bed/);
    await page.getByTestId('admit-nhsNumber').fill('943 476 5919');
    await page.getByTestId('admit-bedId').selectOption({ label: 'Bed 1, Rowan' });
    await page.getByTestId('admit-patient-submit').click();
    await expect
      .poll(() => page.getByTestId('page-message').textContent())
      .toBe('Edith Clarke was admitted to Bed 1.');
    // Found by NHS number, written as people read it.
    await page.getByTestId('patient-q').fill('9434765919');
    await page.getByTestId('patient-search').click();
    await expect.poll(() => page.getByTestId('patient-row').count()).toBe(1);
    await expect(page.getByTestId('patient-row').textContent()).resolves.toContain('943 476 5919');
    await expectNoSeriousAxeFindings(page, 'patients');
    await screenshot(page, 'onboarding-patients');
    // The nurse's ward shows her at once.
    await expect
      .poll(() => nurse.page.locator('[data-testid="bed-card"]', { hasText: 'Edith Clarke' }).count(), {
        timeout: 5000,
      })
      .toBe(1);
  });

  it('the admin registers a kit, downloads its provisioning file once and issues it to the patient', async () => {
    const page = admin.page;
    await page.getByTestId('nav-kits').click();
    await page.getByTestId('kit-label').fill('Kit 1');
    await page.getByTestId('kit-devices').fill(`${KIT_CUFF} bp-cuff`);
    await page.getByTestId('kit-submit').click();
    await page.getByTestId('provisioning').waitFor();
    await expect(page.getByTestId('provisioning').textContent()).resolves.toContain(
      'will not be shown again',
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('provisioning-download').click(),
    ]);
    provisioningPath = join(tempDir('onboarding-provisioning'), download.suggestedFilename());
    await download.saveAs(provisioningPath);
    chmodSync(provisioningPath, 0o600);
    expect(download.suggestedFilename()).toMatch(/^oak-lodge\.[a-z0-9-]+\.json$/);
    const file = JSON.parse(readFileSync(provisioningPath, 'utf8')) as {
      password: string;
      devices: unknown[];
    };
    expect(file.devices).toEqual([{ id: KIT_CUFF, model: 'bp-cuff' }]);
    expect(file.password.length).toBeGreaterThan(16);
    await page.getByTestId('provisioning-done').click();
    // Shown once: after a reload the secret is nowhere on the page.
    await page.reload();
    await page.getByTestId('kits-table').waitFor();
    expect(await page.content()).not.toContain(file.password);

    await page.locator('[data-testid="kit-row"]', { hasText: 'Kit 1' }).getByRole('link').click();
    kitPath = new URL(page.url()).pathname;
    await page.getByTestId('issue-patientId').selectOption({ label: 'Edith Clarke, Bed 1' });
    await page.getByTestId('kit-issue').click();
    await expect
      .poll(() => page.getByTestId('page-message').textContent())
      .toBe('Kit 1 was issued to Edith Clarke.');
    await expectNoSeriousAxeFindings(page, 'kit');
    await screenshot(page, 'onboarding-kit');
  });

  it("a gateway started from that file is admitted without a restart and its first reading reaches the nurse's ward", async () => {
    const parsed = parseConfig(['--provisioning', provisioningPath], {
      WARDLINE_OUTBOX_DIR: tempDir('onboarding-outbox'),
    });
    if (parsed.kind !== 'config') throw new Error('expected a configuration from the provisioning file');
    const { config } = parsed;
    kitHome = new SimulatedHome({ residents: [{ scenario: 'normal', cuffId: KIT_CUFF }], seed: 5 });
    kitGateway = await startGateway({
      site: config.site,
      gateway: config.gateway,
      broker: { url: config.broker.url, username: config.broker.username, password: config.broker.password! },
      source: kitHome,
      logger: silent,
    });
    kitHome.connectAll();
    await waitUntil(() => kitGateway!.stats().mqtt.connected, 'the kit gateway to connect');
    kitHome.takeReading(0);
    const card = nurse.page.locator('[data-testid="bed-card"]', { hasText: 'Edith Clarke' });
    await expect
      .poll(() => card.getByTestId('bp-value').textContent(), { timeout: 10_000 })
      .toMatch(/\d+\/\d+/);
    await screenshot(nurse.page, 'onboarding-nurse-ward-first-reading');

    // The kit's page shows its device as heard from.
    await admin.page.reload();
    await expect.poll(() => admin.page.getByTestId('hub-last-seen').textContent()).not.toBe('Never');
  });

  it('revoking the kit cuts its gateway off within 5 s while another home carries on', async () => {
    const page = admin.page;
    expect(new URL(page.url()).pathname).toBe(kitPath);
    await page.getByTestId('kit-revoke').click();
    // The safe choice has focus first.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid')))
      .toBe('confirm-cancel');
    const started = performance.now();
    await page.getByTestId('confirm-yes').click();
    await waitUntil(() => !kitGateway!.stats().mqtt.connected, 'the kit gateway to be cut off', 5_000);
    const cutMs = performance.now() - started;
    console.log(
      `onboarding: kit revoked in the dashboard, gateway disconnected after ${Math.round(cutMs)} ms`,
    );
    expect(cutMs).toBeLessThan(5_000);
    await expect.poll(() => page.getByTestId('kit-state').textContent()).toBe('Revoked');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(kitGateway!.stats().mqtt.connected).toBe(false);
    expect(otherHome.connected).toBe(true);
  });

  it('the admin imports residents from the CSV template: a bad row is shown and nothing stored until all pass', async () => {
    const page = admin.page;
    await page.getByTestId('nav-admin').click();
    await page.getByTestId('admin-page-import').click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('import-template').click(),
    ]);
    const templatePath = join(tempDir('onboarding-import'), 'template.csv');
    await download.saveAs(templatePath);
    // Filled in as the template shows: its commented example rows, for this site.
    const template = readFileSync(templatePath, 'utf8')
      .split('\r\n')
      .filter((line) => !line.startsWith('# Example'))
      .map((line) => line.replace(/^# /, '').replaceAll('your-site-code', 'oak-lodge'))
      .join('\r\n');
    expect(template).toContain('Margaret Example');
    const upload = (csv: string) =>
      page
        .getByTestId('import-file')
        .setInputFiles({ name: 'residents.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });

    await upload(template.replace('999 555 1233', '999 555 1234'));
    await page.getByTestId('import-check').click();
    const errors = page.getByTestId('import-errors');
    await expect.poll(() => errors.textContent()).toMatch(/nhs_number/i);
    await expect(page.getByTestId('import-submit').count()).resolves.toBe(0);
    await expectNoSeriousAxeFindings(page, 'import');

    // A file with nothing in it is not offered for import.
    await upload(template.split('\r\n')[0]!);
    await page.getByTestId('import-check').click();
    await expect.poll(() => page.getByTestId('import-verdict').textContent()).toMatch(/no rows/);
    await expect(page.getByTestId('import-submit').count()).resolves.toBe(0);

    await upload(template);
    await page.getByTestId('import-check').click();
    await expect.poll(() => page.getByTestId('import-verdict').textContent()).toMatch(/Every row passed/);
    await page.getByTestId('import-submit').click();
    await expect
      .poll(() => page.getByTestId('page-message').textContent())
      .toBe('Imported 2 rows: 1 ward, 1 bed, 1 patient and 2 devices.');
    await page.getByTestId('nav-patients').click();
    await page.getByTestId('patient-q').fill('Margaret Example');
    await page.getByTestId('patient-search').click();
    await expect.poll(() => page.getByTestId('patient-row').textContent()).toContain('999 555 1233');
  });

  it('the audit screen shows every step, newest first', async () => {
    const page = admin.page;
    await page.getByTestId('nav-admin').click();
    await page.getByTestId('admin-page-audit').click();
    await page.getByTestId('audit-table').waitFor();
    const actions = await page
      .getByTestId('audit-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    for (const step of [
      'site.create',
      'ward.create',
      'staff.invite',
      'staff.password-set',
      'patient.admit',
      'kit.register',
      'kit.issue',
      'kit.revoke',
    ])
      expect(actions, step).toContain(step);
    expect(actions.indexOf('kit.revoke')).toBeLessThan(actions.indexOf('site.create'));
    // Filtered by action: the one revocation, by the admin.
    await page.getByTestId('audit-action').fill('kit.revoke');
    await page.getByTestId('audit-search').click();
    await expect.poll(() => page.getByTestId('audit-row').count()).toBe(1);
    await expect(page.getByTestId('audit-row').textContent()).resolves.toContain(adminUsername);
    // Filtered by user: the admin's own events only.
    await page.getByTestId('audit-action').fill('');
    await page.getByTestId('audit-actor').fill(adminUsername);
    await page.getByTestId('audit-search').click();
    await expect.poll(() => page.getByTestId('audit-row').count()).toBeGreaterThan(5);
    const actors = await page
      .locator('[data-testid="audit-row"] th')
      .evaluateAll((cells) => [...new Set(cells.map((c) => c.firstChild?.textContent))]);
    expect(actors).toEqual([adminUsername]);
    await expectNoSeriousAxeFindings(page, 'audit');
    await screenshot(page, 'onboarding-audit');
  });

  it('the nurse sets up two-step verification and then signs in with a code', async () => {
    const page = nurse.page;
    await page.getByTestId('user-name').click();
    await page.getByTestId('totp-begin').click();
    const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, '');
    expect(await page.getByTestId('totp-uri').textContent()).toMatch(/^otpauth:\/\/totp\//);
    await page.getByTestId('totp-code').fill('000000' === totp(secret) ? '111111' : '000000');
    await page.getByTestId('totp-confirm').click();
    await expect.poll(() => page.getByTestId('totp-error').textContent()).toMatch(/code is not right/);
    await page.getByTestId('totp-code').fill(totp(secret));
    await page.getByTestId('totp-confirm').click();
    await page.getByTestId('totp-done').waitFor();
    await expectNoSeriousAxeFindings(page, 'account');

    await page.getByTestId('sign-out').click();
    await page.getByTestId('login-username').fill(nurseUsername);
    await page.getByTestId('login-password').fill('copper meadow lantern');
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('login-error').textContent()).toMatch(/6-digit code/);
    // The code just used cannot be used again: the next one (within the allowed drift) is.
    await page.getByTestId('login-totp').fill(totp(secret, Date.now() + 30_000));
    await page.getByTestId('login-submit').click();
    // Signed in: her wards, now with the imported one too.
    await expect
      .poll(() => page.locator('.ward-list__item').allTextContents(), { timeout: 5000 })
      .toEqual([expect.stringContaining('Rose Wing'), expect.stringContaining('Rowan')]);
  });

  it("disabling the nurse ends her session at once: her screen says so, so alerts don't silently stop", async () => {
    const page = admin.page;
    await page.getByTestId('admin-page-staff').click();
    const row = page.locator('[data-testid="staff-row"]', { hasText: 'Nia Nurse' });
    await row.getByTestId('staff-toggle').click();
    await row.getByTestId('confirm-yes').click();
    await expect.poll(() => page.getByTestId('page-message').textContent()).toMatch(/Nia Nurse was disabled/);
    await expect.poll(() => row.textContent()).toContain('Disabled');
    await expect
      .poll(() => nurse.page.locator('.notice').textContent(), { timeout: 5000 })
      .toBe('Your session ended — sign in again to see alerts.');
    await nurse.page.getByTestId('login-username').waitFor();
  });

  it('when the organisation requires it, an admin must set up two-step verification before anything else', async () => {
    const page = admin.page;
    await page.getByTestId('admin-page-staff').click();
    await page.getByTestId('policy-admin-totp').check();
    await expect
      .poll(() => page.getByTestId('page-message').textContent())
      .toMatch(/asked to set it up at their next sign-in/);
    await page.getByTestId('sign-out').click();
    await page.getByTestId('login-username').fill(adminUsername);
    await page.getByTestId('login-password').fill('violet harbour kettle');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('enrolment-required').waitFor();
    await page.getByTestId('totp-begin').click();
    const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, '');
    await page.getByTestId('totp-code').fill(totp(secret));
    await page.getByTestId('totp-confirm').click();
    await expect.poll(() => page.locator('.ward-list__item').count(), { timeout: 5000 }).toBe(2);
    expect(pageErrors).toEqual([]);
  });
});

/** An authenticator app's code (RFC 6238: HMAC-SHA1, 30 s, 6 digits), written here independently of the server. */
function totp(base32: string, at = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/=+$/, '').toUpperCase())
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}
