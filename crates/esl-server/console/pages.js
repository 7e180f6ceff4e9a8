// The overview, the network (VPCs, vSwitches, security groups) and OOS pages.

import { rcall, listAll, listTokens, clock, state } from './api.js';
import { html, raw, table, badge, link, mono, dialog, field, select, when, showOk } from './ui.js';
import { KINDS, listKind } from './databases.js';

const total = (v) => v.TotalCount ?? v.TotalRecordCount ?? v.PageRecordCount ?? 0;

export const overview = {
  title: 'Overview',
  async load() {
    const count = (product, action, extra = {}) =>
      rcall(product, action, { PageSize: 1, PageNumber: 1, ...extra }).then(total).catch(() => '?');
    const [c, vpcs, vsws, sgs, ecs, asgs, dbs, templates, executions] = await Promise.all([
      clock(),
      count('vpc', 'DescribeVpcs'),
      count('vpc', 'DescribeVSwitches'),
      count('ecs', 'DescribeSecurityGroups'),
      count('ecs', 'DescribeInstances'),
      count('ess', 'DescribeScalingGroups'),
      Promise.all(Object.keys(KINDS).map((k) => listKind(k).then((l) => l.length).catch(() => '?'))),
      listTokens('oos', 'ListTemplates').then((l) => l.length).catch(() => '?'),
      listTokens('oos', 'ListExecutions').then((l) => l.length).catch(() => '?'),
    ]);
    const card = (label, n, href) => html`<li class="card"><a href="${href}"><span class="n">${n}</span> <span class="label">${label}</span></a></li>`;
    return html`<h1>Overview</h1>
      <p class="lead">Region <strong>${state.region}</strong> of the emulated cloud. Every number here is read through the same actions the SDKs call.</p>
      <section aria-labelledby="h-clock"><h2 id="h-clock">Clock</h2>
        <p><time>${when(c.Now)}</time> · ${c.Mode === 'virtual'
          ? html`virtual clock: time moves only when you advance it (header buttons, or <code>POST /_ess-local/clock/advance?seconds=N</code>).`
          : 'real clock: emulated work takes its configured time.'}</p>
      </section>
      <section aria-labelledby="h-counts"><h2 id="h-counts">Resources</h2>
        <ul class="cards">
          ${card('VPCs', vpcs, '#/network')}
          ${card('vSwitches', vsws, '#/network')}
          ${card('Security groups', sgs, '#/network')}
          ${card('ECS instances', ecs, '#/groups')}
          ${card('Scaling groups', asgs, '#/groups')}
          ${Object.values(KINDS).map((k, i) => card(k.label, dbs[i], '#/databases'))}
          ${card('OOS templates', templates, '#/oos')}
          ${card('OOS executions', executions, '#/oos')}
        </ul>
      </section>`;
  },
};

export const network = {
  title: 'Network',
  async load() {
    const [vpcs, vsws, sgs] = await Promise.all([
      listAll('vpc', 'DescribeVpcs'),
      listAll('vpc', 'DescribeVSwitches'),
      listAll('ecs', 'DescribeSecurityGroups', {}, 50),
    ]);
    return html`<h1>Network</h1>
      <section aria-labelledby="h-vpcs"><h2 id="h-vpcs">VPCs <span class="count">${vpcs.length}</span></h2>
        <p><button type="button" data-action="create-vpc" data-key="create-vpc">Create VPC</button></p>
        ${table('VPCs', [
          ['ID', (v) => mono(v.VpcId)], ['Name', (v) => v.VpcName || '—'], ['CIDR', (v) => mono(v.CidrBlock)],
          ['Status', (v) => badge(v.Status)], ['vSwitches', (v) => (v.VSwitchIds?.VSwitchId || []).length],
          ['Created', (v) => when(v.CreationTime)],
        ], vpcs, { id: 'vpcs' })}
      </section>
      <section aria-labelledby="h-vsws"><h2 id="h-vsws">vSwitches <span class="count">${vsws.length}</span></h2>
        <p><button type="button" data-action="create-vswitch" data-key="create-vswitch" ${vpcs.length ? '' : raw('disabled')}>Create vSwitch</button></p>
        ${table('vSwitches', [
          ['ID', (v) => mono(v.VSwitchId)], ['Name', (v) => v.VSwitchName || '—'], ['VPC', (v) => mono(v.VpcId)],
          ['Zone', (v) => v.ZoneId], ['CIDR', (v) => mono(v.CidrBlock)], ['Free IPs', (v) => v.AvailableIpAddressCount],
          ['Status', (v) => badge(v.Status)],
        ], vsws, { id: 'vswitches' })}
      </section>
      <section aria-labelledby="h-sgs"><h2 id="h-sgs">Security groups <span class="count">${sgs.length}</span></h2>
        <p><button type="button" data-action="create-sg" data-key="create-sg" ${vpcs.length ? '' : raw('disabled')}>Create security group</button></p>
        ${table('Security groups', [
          ['ID', (s) => mono(s.SecurityGroupId)], ['Name', (s) => s.SecurityGroupName || '—'], ['VPC', (s) => mono(s.VpcId)],
          ['Type', (s) => s.SecurityGroupType], ['Instances', (s) => s.EcsCount], ['Rules', (s) => s.RuleCount],
        ], sgs, { id: 'security-groups' })}
      </section>`;
  },
  actions: {
    'create-vpc'() {
      dialog('Create VPC', html`${field('Name', 'VpcName')}${field('IPv4 CIDR block', 'CidrBlock', { value: '10.0.0.0/16', required: true })}`,
        async (f, d) => {
          const r = await rcall('vpc', 'CreateVpc', { VpcName: d.get('VpcName') || undefined, CidrBlock: d.get('CidrBlock') });
          showOk(`VPC ${r.VpcId} created.`);
        }, { submit: 'Create' });
    },
    async 'create-vswitch'() {
      const vpcs = await listAll('vpc', 'DescribeVpcs');
      dialog('Create vSwitch', html`
        ${select('VPC', 'VpcId', vpcs.map((v) => [v.VpcId, `${v.VpcId} (${v.CidrBlock})`]), { required: true })}
        ${field('Zone', 'ZoneId', { value: `${state.region}-h`, required: true })}
        ${field('IPv4 CIDR block', 'CidrBlock', { value: '10.0.1.0/24', required: true })}
        ${field('Name', 'VSwitchName')}`,
      async (f, d) => {
        const r = await rcall('vpc', 'CreateVSwitch', { VpcId: d.get('VpcId'), ZoneId: d.get('ZoneId'), CidrBlock: d.get('CidrBlock'), VSwitchName: d.get('VSwitchName') || undefined });
        showOk(`vSwitch ${r.VSwitchId} created.`);
      }, { submit: 'Create' });
    },
    async 'create-sg'() {
      const vpcs = await listAll('vpc', 'DescribeVpcs');
      dialog('Create security group', html`
        ${select('VPC', 'VpcId', vpcs.map((v) => [v.VpcId, `${v.VpcId} (${v.CidrBlock})`]), { required: true })}
        ${field('Name', 'SecurityGroupName')}`,
      async (f, d) => {
        const r = await rcall('ecs', 'CreateSecurityGroup', { VpcId: d.get('VpcId'), SecurityGroupName: d.get('SecurityGroupName') || undefined });
        showOk(`Security group ${r.SecurityGroupId} created.`);
      }, { submit: 'Create' });
    },
  },
};

export const oos = {
  title: 'OOS',
  async load() {
    const [templates, executions] = await Promise.all([
      listTokens('oos', 'ListTemplates'),
      listTokens('oos', 'ListExecutions'),
    ]);
    return html`<h1>OOS</h1>
      <section aria-labelledby="h-exec"><h2 id="h-exec">Executions <span class="count">${executions.length}</span></h2>
        ${table('Executions', [
          ['ID', (e) => link(`#/oos/executions/${e.ExecutionId}`, e.ExecutionId)],
          ['Template', (e) => e.TemplateName], ['Status', (e) => badge(e.Status)],
          ['Started', (e) => when(e.StartDate)], ['Ended', (e) => when(e.EndDate)],
          ['Reason', (e) => e.StatusReason || e.StatusMessage || ''],
        ], executions, { empty: 'No executions yet: a lifecycle hook pointing at a template starts one.', id: 'executions' })}
      </section>
      <section aria-labelledby="h-tpl"><h2 id="h-tpl">Templates <span class="count">${templates.length}</span></h2>
        ${table('Templates', [
          ['Name', (t) => mono(t.TemplateName)], ['Share', (t) => t.ShareType], ['Format', (t) => t.TemplateFormat],
          ['Description', (t) => html`<span class="desc">${t.Description}</span>`],
        ], templates, { id: 'templates' })}
      </section>`;
  },
};

const pretty = (v) => {
  if (v === undefined || v === null || v === '') return '—';
  let x = v;
  if (typeof v === 'string') { try { x = JSON.parse(v); } catch { return v; } }
  return html`<pre>${JSON.stringify(x, null, 2)}</pre>`;
};

export const execution = {
  title: (id) => id,
  async load(id) {
    const [execs, tasks] = await Promise.all([
      rcall('oos', 'ListExecutions', { ExecutionId: id }).then((r) => r.Executions || []),
      listTokens('oos', 'ListTaskExecutions', { ExecutionId: id }),
    ]);
    const e = execs[0] || {};
    return html`<p class="crumbs"><a href="#/oos">OOS</a> / Executions</p>
      <h1>${id}</h1>
      <dl class="attrs">
        <dt>Template</dt><dd>${mono(e.TemplateName || '—')}</dd>
        <dt>Status</dt><dd>${badge(e.Status)}</dd>
        <dt>Reason</dt><dd>${e.StatusReason || e.StatusMessage || '—'}</dd>
        <dt>Started</dt><dd>${when(e.StartDate)}</dd><dt>Ended</dt><dd>${when(e.EndDate)}</dd>
        <dt>Parameters</dt><dd>${pretty(e.Parameters)}</dd>
        <dt>Outputs</dt><dd>${pretty(e.Outputs)}</dd>
      </dl>
      <section aria-labelledby="h-tasks"><h2 id="h-tasks">Tasks <span class="count">${tasks.length}</span></h2>
        ${table('Task executions', [
          ['Task', (t) => mono(t.TaskName)], ['Action', (t) => t.TaskAction], ['Status', (t) => badge(t.Status)],
          ['Reason', (t) => t.StatusMessage || ''], ['Inputs', (t) => pretty(t.Properties)], ['Outputs', (t) => pretty(t.Outputs)],
        ], tasks, { id: 'tasks' })}
      </section>`;
  },
};

export const notFound = {
  title: 'Not found',
  async load(path) {
    return html`<h1>Not found</h1><p>No page at <code>#/${path}</code>. <a href="#/">Go to the overview</a>.</p>`;
  },
};
