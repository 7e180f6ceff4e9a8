// A group of 1,000 instances: the detail page renders in one pass well under a second, and the
// layout holds at a phone's width.

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

test('a page with 1,000 instances renders fast', async () => {
  const s = server;
  const vpc = (await s.call('vpc', 'CreateVpc', { CidrBlock: '10.0.0.0/16' })).VpcId;
  const vsw = (await s.call('vpc', 'CreateVSwitch', { VpcId: vpc, ZoneId: 'cn-hangzhou-h', CidrBlock: '10.0.0.0/21' })).VSwitchId;
  const sg = (await s.call('ecs', 'CreateSecurityGroup', { VpcId: vpc })).SecurityGroupId;
  const asg = (await s.call('ess', 'CreateScalingGroup', { MinSize: 0, MaxSize: 1000, VSwitchIds: [vsw], ScalingGroupName: 'big' })).ScalingGroupId;
  await s.call('ess', 'CreateScalingConfiguration', { ScalingGroupId: asg, ImageId: 'ubuntu_22_04_x64_20G_alibase_20240101.vhd', InstanceType: 'ecs.g7.large', SecurityGroupId: sg });
  await s.call('ess', 'EnableScalingGroup', { ScalingGroupId: asg });
  const rule = await s.call('ess', 'CreateScalingRule', { ScalingGroupId: asg, AdjustmentType: 'TotalCapacity', AdjustmentValue: 1000 });
  await s.call('ess', 'ExecuteScalingRule', { ScalingRuleAri: rule.ScalingRuleAri });
  await s.advance(30);

  const page = await newPage(browser);
  await page.goto(`${s.base}/`);
  await page.locator('main h1').waitFor();
  const t0 = Date.now();
  await page.evaluate((id) => { location.hash = `#/groups/${id}`; }, asg);
  await page.waitForFunction(() => document.querySelectorAll('#instances tbody tr').length === 1000);
  const wall = Date.now() - t0;
  const r = await page.evaluate(() => window.__eslRender);
  console.log(`1,000 instances: DOM build + layout ${r.domMs.toFixed(1)} ms, data ${r.loadMs.toFixed(0)} ms, navigation to table ${wall} ms`);
  // Figures only: timing goals are measured, never asserted (a loaded machine is slower).
  assert.equal(await page.locator('#instances tbody tr', { hasText: 'InService' }).count(), 1000);
  await page.screenshot({ path: new URL('./screenshots/group-1000.png', import.meta.url).pathname });

  const phone = await newPage(browser, 390, 844);
  await phone.goto(`${s.base}/#/groups/${asg}`);
  await phone.locator('#instances tbody tr').nth(999).waitFor();
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await phone.screenshot({ path: new URL('./screenshots/group-390px.png', import.meta.url).pathname });
  await phone.goto(`${s.base}/#/`);
  await phone.getByRole('heading', { name: 'Overview' }).waitFor();
  await phone.locator('#clock-now', { hasText: 'UTC' }).waitFor();
  await shot(phone, 'overview-390px');
  assert.deepEqual([...page.errors, ...phone.errors], []);
});
