// Method 3 through the console: a lifecycle hook pointing at a public OOS template (PolarDB),
// a second hook that waits for a person, completing that waiting lifecycle action from the
// group page, and the OOS execution's tasks.

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

async function submitDialog(page, button = 'Create') {
  await page.locator('#dialog').getByRole('button', { name: button }).click();
  await page.locator('#dialog').waitFor({ state: 'hidden' });
}

test('a hook on a public OOS template and a waiting lifecycle action completed from the console', async () => {
  const s = server;
  const vpc = (await s.call('vpc', 'CreateVpc', { CidrBlock: '10.0.0.0/16' })).VpcId;
  const vsw = (await s.call('vpc', 'CreateVSwitch', { VpcId: vpc, ZoneId: 'cn-hangzhou-h', CidrBlock: '10.0.1.0/24' })).VSwitchId;
  const sg = (await s.call('ecs', 'CreateSecurityGroup', { VpcId: vpc })).SecurityGroupId;
  const pc = (await s.call('polardb', 'CreateDBCluster', {
    DBType: 'MySQL', DBVersion: '8.0', DBNodeClass: 'polar.mysql.x4.medium', PayType: 'Postpaid',
    ClusterNetworkType: 'VPC', VPCId: vpc, VSwitchId: vsw, ZoneId: 'cn-hangzhou-h', DBClusterDescription: 'orders',
  })).DBClusterId;
  await s.advance(60);
  const asg = (await s.call('ess', 'CreateScalingGroup', { MinSize: 0, MaxSize: 3, VSwitchIds: [vsw], ScalingGroupName: 'hooked' })).ScalingGroupId;
  await s.call('ess', 'CreateScalingConfiguration', { ScalingGroupId: asg, ImageId: 'ubuntu_22_04_x64_20G_alibase_20240101.vhd', InstanceType: 'ecs.g7.large', SecurityGroupId: sg });
  await s.call('ess', 'EnableScalingGroup', { ScalingGroupId: asg });
  await s.call('ess', 'CreateScalingRule', { ScalingGroupId: asg, ScalingRuleName: 'plus-one', AdjustmentType: 'QuantityChangeInCapacity', AdjustmentValue: 1 });

  const page = await newPage(browser);
  await page.goto(`${s.base}/#/groups/${asg}`);

  // The hook that runs the public template against the PolarDB cluster.
  await page.getByRole('button', { name: 'Create lifecycle hook' }).click();
  await page.getByLabel('Hook name').fill('whitelist-out');
  await page.getByLabel('Default result').selectOption('ABANDON');
  await page.getByLabel('OOS template').selectOption('ACS-ESS-LifeCycleModifyPolarDBIPWhitelist');
  await page.getByLabel('Database the template changes').selectOption(pc);
  await submitDialog(page);
  // The hook that waits for a person.
  await page.getByRole('button', { name: 'Create lifecycle hook' }).click();
  await page.getByLabel('Hook name').fill('manual-check');
  await submitDialog(page);
  await page.locator('#hooks tbody tr').nth(1).waitFor();
  const arn = await page.locator('#hooks tbody tr', { hasText: 'whitelist-out' }).locator('td').nth(5).textContent();
  assert.match(arn, /^acs:oos:cn-hangzhou:\d+:template\/ACS-ESS-LifeCycleModifyPolarDBIPWhitelist$/);

  await page.getByRole('button', { name: /^Execute/ }).click();
  await page.locator('#instances tbody tr', { hasText: 'Pending:Wait' }).waitFor();
  await s.advance(5); // the OOS execution runs and completes its own action
  const manual = page.locator('#lifecycle-actions tbody tr', { hasText: 'manual-check' });
  await manual.getByRole('button', { name: 'Continue' }).waitFor();
  await shot(page, 'lifecycle-action-waiting');
  await manual.getByRole('button', { name: 'Continue' }).click();
  await s.advance(10);
  await page.locator('#instances tbody tr', { hasText: 'InService' }).waitFor();
  const ip = (await s.call('ess', 'DescribeScalingInstances', { ScalingGroupId: asg })).ScalingInstances[0].PrivateIpAddress;

  await page.goto(`${s.base}/#/databases/polardb/${pc}`);
  await page.locator(`.ips[data-group="default"] code.ip`, { hasText: ip }).waitFor();

  await page.goto(`${s.base}/#/oos`);
  await page.locator('#executions tbody tr', { hasText: 'Success' }).first().waitFor();
  await page.locator('#executions tbody tr a').first().click();
  await page.locator('#tasks tbody tr').first().waitFor();
  const statuses = await page.locator('#tasks tbody tr td:nth-child(3)').allTextContents();
  assert.ok(statuses.length >= 2 && statuses.every((t) => t.trim() === 'Success'), statuses.join(','));
  await shot(page, 'oos-execution');
  assert.deepEqual(page.errors, []);
});
