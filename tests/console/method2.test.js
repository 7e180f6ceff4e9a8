// The seed guide's Method 2 walked through the console in headless Chromium: network and RDS,
// a scaling group with a configuration, associate the RDS with the whitelist checkbox ticked,
// scale out, see the instances' IPs on the RDS whitelist page; disassociate with ForceDetach and
// see them leave. Also: errors show the service's Code and Message, lifecycle hooks and actions,
// OOS executions, and a group of 1,000 instances rendering fast.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, newPage, shot } from './harness.js';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

const FORCE = 'Add or remove instances in the scaling group to or from whitelists of RDS instances when you associate or disassociate RDS instances';

async function submitDialog(page, button = /^(Create|Save|OK)$/) {
  await page.locator('#dialog').getByRole('button', { name: button }).click();
  await page.locator('#dialog').waitFor({ state: 'hidden' });
}

/** The entries of a whitelist group as the RDS page shows them. */
async function whitelistOf(page, group = 'default') {
  return page.locator(`.ips[data-group="${group}"] code.ip`).allTextContents();
}

test('Method 2 through the console: associate with the checkbox, scale out, IPs in the RDS whitelist, disassociate', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.base}/`);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  assert.match(await page.locator('#clock-mode').textContent(), /virtual/);

  // The network, through the console's forms.
  await page.getByRole('link', { name: 'Network' }).click();
  await page.getByRole('button', { name: 'Create VPC' }).click();
  await page.getByLabel('IPv4 CIDR block').fill('10.0.0.0/16');
  await submitDialog(page);
  await page.locator('#vpcs tbody tr').first().waitFor();
  const vpc = (await page.locator('#vpcs tbody tr td').first().textContent()).trim();
  assert.match(vpc, /^vpc-/);

  await page.getByRole('button', { name: 'Create vSwitch' }).click();
  await page.getByLabel('IPv4 CIDR block').fill('10.0.1.0/24');
  await submitDialog(page);
  await page.locator('#vswitches tbody tr').first().waitFor();
  const vsw = (await page.locator('#vswitches tbody tr td').first().textContent()).trim();

  await page.getByRole('button', { name: 'Create security group' }).click();
  await page.getByLabel('Name').fill('web-sg');
  await submitDialog(page);
  await page.locator('#security-groups tbody tr').first().waitFor();
  const sg = (await page.locator('#security-groups tbody tr td').first().textContent()).trim();
  assert.match(sg, /^sg-/);
  await shot(page, 'network');

  // The RDS instance, through the same route the console uses.
  const rds = (await server.call('rds', 'CreateDBInstance', {
    Engine: 'MySQL', EngineVersion: '8.0', DBInstanceClass: 'mysql.n2.medium.1', DBInstanceStorage: 20,
    DBInstanceNetType: 'Intranet', PayType: 'Postpaid', SecurityIPList: '127.0.0.1', InstanceNetworkType: 'VPC',
    VPCId: vpc, VSwitchId: vsw,
  })).DBInstanceId;
  await server.advance(10); // Creating -> Running

  // The scaling group with its configuration, enabled.
  await page.getByRole('link', { name: 'Scaling groups' }).click();
  await page.getByRole('button', { name: 'Create scaling group' }).click();
  await page.getByLabel('Scaling group name').fill('web');
  await page.getByLabel('Maximum instances').fill('5');
  assert.equal(await page.locator(`#dialog input[name=VSwitchIds][value="${vsw}"]`).isChecked(), true);
  await submitDialog(page);
  await page.waitForURL(/#\/groups\/asg-/);
  const asg = page.url().split('/').pop();
  await page.locator('.attrs').getByText('Active').waitFor();

  // Edit Scaling Group: associate the RDS instance with the whitelist checkbox ticked.
  await page.getByRole('button', { name: 'Edit scaling group' }).click();
  await page.locator('#dialog').getByRole('checkbox', { name: new RegExp(rds) }).check();
  await page.getByLabel(FORCE).check();
  await submitDialog(page, 'Save');
  await page.locator('#group-dbs').getByRole('link', { name: rds }).waitFor();

  // Scale out: a rule of +2, executed from the console.
  await page.getByRole('button', { name: 'Create scaling rule' }).click();
  await page.getByLabel('Adjustment value').fill('2');
  await submitDialog(page);
  await page.getByRole('button', { name: /^Execute/ }).click();
  await page.locator('#instances tbody tr').nth(1).waitFor();
  await page.locator('#activities').getByText('InProgress').waitFor();
  // Live: the clock moves behind the page's back and the page follows without a reload.
  await server.advance(10);
  await page.locator('#instances tbody tr', { hasText: 'InService' }).nth(1).waitFor();
  await page.locator('#activities').getByText('Successful').waitFor();
  await shot(page, 'group-detail');
  const ips = (await server.call('ess', 'DescribeScalingInstances', { ScalingGroupId: asg })).ScalingInstances.map((i) => i.PrivateIpAddress);
  assert.equal(ips.length, 2);

  // The RDS whitelist page shows the instances' IPs.
  await page.locator('#group-dbs').getByRole('link', { name: rds }).click();
  await page.getByRole('heading', { name: 'Whitelist groups' }).waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('.ips[data-group="default"] code.ip').length === n, 3);
  assert.deepEqual((await whitelistOf(page)).sort(), ['127.0.0.1', ...ips].sort());
  await shot(page, 'rds-whitelist');

  // Disassociate with ForceDetach: the IPs leave, the user's entry stays.
  await page.goto(`${server.base}/#/groups/${asg}`);
  await page.getByRole('button', { name: 'Edit scaling group' }).click();
  await page.locator('#dialog').getByRole('checkbox', { name: new RegExp(rds) }).uncheck();
  await page.getByLabel(FORCE).check();
  await submitDialog(page, 'Save');
  await page.locator('#group-dbs').getByText(/None: use Edit scaling group/).waitFor();
  await page.goto(`${server.base}/#/databases/rds/${rds}`);
  await page.waitForFunction(() => document.querySelectorAll('.ips[data-group="default"] code.ip').length === 1);
  assert.deepEqual(await whitelistOf(page), ['127.0.0.1']);

  // Edit the whitelist by hand (ModifySecurityIps, Cover).
  await page.getByRole('button', { name: 'Edit whitelist default' }).click();
  await page.getByLabel('IP addresses or CIDR blocks').fill('127.0.0.1\n192.168.0.0/24');
  await submitDialog(page, 'Save');
  await page.waitForFunction(() => document.querySelectorAll('.ips[data-group="default"] code.ip').length === 2);
  assert.deepEqual(await whitelistOf(page), ['127.0.0.1', '192.168.0.0/24']);

  // Method 1's binding shows too: the security groups bound to the instance.
  await server.call('rds', 'ModifySecurityGroupConfiguration', { DBInstanceId: rds, SecurityGroupId: sg });
  await page.getByRole('heading', { name: 'Bound security groups' }).waitFor();
  assert.deepEqual(await page.locator('section[aria-labelledby="h-sg"] li').allTextContents(), [sg]);

  for (const [hash, name, title] of [['#/', 'overview', 'Overview'], ['#/groups', 'groups', 'Scaling groups'], ['#/databases', 'databases', 'Databases'], ['#/oos', 'oos', 'OOS']]) {
    await page.goto(`${server.base}/${hash}`);
    await page.getByRole('heading', { name: title, exact: true }).waitFor();
    await page.locator('#clock-now', { hasText: 'UTC' }).waitFor(); // the whole view renders at once; the clock beside it
    await shot(page, name);
  }
  assert.deepEqual(page.errors, []);
});

test('errors show the service code and message', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.base}/#/network`);
  await page.getByRole('button', { name: 'Create VPC' }).click();
  await page.getByLabel('IPv4 CIDR block').fill('10.0.0.0/33');
  await page.locator('#dialog').getByRole('button', { name: 'Create' }).click();
  const err = page.locator('#dialog .dialog-error');
  await err.waitFor();
  assert.equal((await err.locator('.code').textContent()).trim(), 'InvalidCidrBlock.Malformed');
  assert.equal((await err.locator('.message').textContent()).trim(), 'Specified CIDR block is not valid.');
  await shot(page, 'error-dialog');
  await page.locator('#dialog').getByRole('button', { name: 'Cancel' }).click();

  // A refused action outside a dialog: a notice with the code.
  const vpc = (await server.call('vpc', 'CreateVpc', { CidrBlock: '172.16.0.0/16' })).VpcId;
  const vsw = (await server.call('vpc', 'CreateVSwitch', { VpcId: vpc, ZoneId: 'cn-hangzhou-h', CidrBlock: '172.16.1.0/24' })).VSwitchId;
  const asg = (await server.call('ess', 'CreateScalingGroup', { MinSize: 0, MaxSize: 2, VSwitchIds: [vsw], ScalingGroupName: 'inactive' })).ScalingGroupId;
  await server.call('ess', 'CreateScalingRule', { ScalingGroupId: asg, AdjustmentType: 'QuantityChangeInCapacity', AdjustmentValue: 1 });
  await page.goto(`${server.base}/#/groups/${asg}`);
  await page.getByRole('button', { name: /^Execute/ }).click();
  const notice = page.locator('#notices .notice.error').first();
  await notice.waitFor();
  assert.equal((await notice.locator('.code').textContent()).trim(), 'IncorrectScalingGroupStatus');
  assert.equal((await notice.locator('.message').textContent()).trim(), 'The current status of the specified scaling group does not support this action.');
  assert.deepEqual(page.errors, []);
});

test('keyboard: tab to a button, open its dialog, escape, and focus survives live refreshes', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.base}/#/groups`);
  await page.getByRole('heading', { name: 'Scaling groups', exact: true }).waitFor();
  let found = false;
  for (let i = 0; i < 30 && !found; i++) {
    await page.keyboard.press('Tab');
    found = await page.evaluate(() => document.activeElement?.textContent?.trim() === 'Create scaling group');
  }
  assert.ok(found, 'Create scaling group is reachable with Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(outline, 'solid', 'the focused button shows a focus ring');
  await page.keyboard.press('Enter');
  await page.locator('#dialog[open]').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'f-ScalingGroupName');
  assert.equal(await page.evaluate(() => document.activeElement.labels[0].textContent.trim().replace(/\s*\*$/, '')), 'Scaling group name');
  await page.keyboard.press('Escape');
  await page.locator('#dialog').waitFor({ state: 'hidden' });

  // On a group page, focus stays on the focused button while the page re-renders itself.
  const asg = await page.locator('#groups tbody tr a').first().getAttribute('href');
  await page.goto(`${server.base}/${asg}`);
  const exec = page.getByRole('button', { name: /^Execute/ }).first();
  await exec.focus();
  const key = await exec.getAttribute('data-key');
  await server.advance(400); // past the cooldown; the page's data changes (clock, activities)
  const rule = await server.call('ess', 'DescribeScalingRules', { ScalingGroupId: asg.split('/').pop() });
  await server.call('ess', 'ExecuteScalingRule', { ScalingRuleAri: rule.ScalingRules[0].ScalingRuleAri });
  await page.locator('#instances tbody tr').nth(2).waitFor(); // re-rendered with the new instances
  assert.equal(await page.evaluate(() => document.activeElement?.dataset?.key), key);
  assert.deepEqual(page.errors, []);
});
