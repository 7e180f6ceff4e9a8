// Databases of every kind (RDS, PolarDB, MongoDB, AnalyticDB MySQL/PostgreSQL, Redis), each read
// through its own product's actions, with their whitelist groups; editing a group calls that
// product's own Modify action.

import { call, rcall, listAll, firstList } from './api.js';
import { html, table, badge, link, mono, dialog, showOk } from './ui.js';

const str = (v) => (v === undefined || v === null ? '' : String(v));

export const KINDS = {
  rds: {
    label: 'RDS', product: 'rds', list: 'DescribeDBInstances', id: 'DBInstanceId', desc: 'DBInstanceDescription',
    status: 'DBInstanceStatus', engine: (d) => `${str(d.Engine)} ${str(d.EngineVersion)}`, pageSize: 100,
    whitelist: { action: 'DescribeDBInstanceIPArrayList', param: 'DBInstanceId', name: 'DBInstanceIPArrayName', ips: 'SecurityIPList' },
    securityGroups: { action: 'DescribeSecurityGroupConfiguration', param: 'DBInstanceId' },
    modify: (id, group, ips) => call('rds', 'ModifySecurityIps', { DBInstanceId: id, DBInstanceIPArrayName: group, SecurityIps: ips, ModifyMode: 'Cover' }),
  },
  polardb: {
    label: 'PolarDB', product: 'polardb', list: 'DescribeDBClusters', id: 'DBClusterId', desc: 'DBClusterDescription',
    status: 'DBClusterStatus', engine: (d) => `${str(d.DBType)} ${str(d.DBVersion)}`, pageSize: 50,
    whitelist: { action: 'DescribeDBClusterAccessWhitelist', param: 'DBClusterId', name: 'DBClusterIPArrayName', ips: 'SecurityIps', path: ['Items', 'DBClusterIPArray'] },
    modify: (id, group, ips) => call('polardb', 'ModifyDBClusterAccessWhitelist', { DBClusterId: id, DBClusterIPArrayName: group, SecurityIps: ips, ModifyMode: 'Cover' }),
  },
  dds: {
    label: 'MongoDB', product: 'dds', list: 'DescribeDBInstances', id: 'DBInstanceId', desc: 'DBInstanceDescription',
    status: 'DBInstanceStatus', engine: (d) => `${str(d.Engine)} ${str(d.EngineVersion)}`, pageSize: 50,
    whitelist: { action: 'DescribeSecurityIps', param: 'DBInstanceId', name: 'SecurityIpGroupName', ips: 'SecurityIpList' },
    securityGroups: { action: 'DescribeSecurityGroupConfiguration', param: 'DBInstanceId' },
    modify: (id, group, ips) => call('dds', 'ModifySecurityIps', { DBInstanceId: id, SecurityIpGroupName: group, SecurityIps: ips, ModifyMode: 'Cover' }),
  },
  adb: {
    label: 'AnalyticDB for MySQL', product: 'adb', list: 'DescribeDBClusters', id: 'DBClusterId', desc: 'DBClusterDescription',
    status: 'DBClusterStatus', engine: (d) => `MySQL ${str(d.DBVersion)}`, pageSize: 50,
    whitelist: { action: 'DescribeDBClusterAccessWhiteList', param: 'DBClusterId', name: 'DBClusterIPArrayName', ips: 'SecurityIPList', region: true },
    modify: (id, group, ips) => call('adb', 'ModifyDBClusterAccessWhiteList', { DBClusterId: id, DBClusterIPArrayName: group, SecurityIps: ips, ModifyMode: 'Cover' }),
  },
  gpdb: {
    label: 'AnalyticDB for PostgreSQL', product: 'gpdb', list: 'DescribeDBInstances', id: 'DBInstanceId', desc: 'DBInstanceDescription',
    status: 'DBInstanceStatus', engine: (d) => `${str(d.Engine)} ${str(d.EngineVersion)}`, pageSize: 50,
    whitelist: { action: 'DescribeDBInstanceIPArrayList', param: 'DBInstanceId', name: 'DBInstanceIPArrayName', ips: 'SecurityIPList' },
    modify: (id, group, ips) => call('gpdb', 'ModifySecurityIps', { DBInstanceId: id, DBInstanceIPArrayName: group, SecurityIPList: ips, ModifyMode: 'Cover' }),
  },
  kvstore: {
    label: 'Redis', product: 'kvstore', list: 'DescribeInstances', id: 'InstanceId', desc: 'InstanceName',
    status: 'InstanceStatus', engine: (d) => `Redis ${str(d.EngineVersion)}`, pageSize: 50,
    whitelist: { action: 'DescribeSecurityIps', param: 'InstanceId', name: 'SecurityIpGroupName', ips: 'SecurityIpList' },
    securityGroups: { action: 'DescribeSecurityGroupConfiguration', param: 'InstanceId' },
    modify: (id, group, ips) => call('kvstore', 'ModifySecurityIps', { InstanceId: id, SecurityIpGroupName: group, SecurityIps: ips, ModifyMode: 'Cover' }),
  },
};

/** The kind of a database id (rm-, pc-, dds-, am-, gp-, r-). */
export function kindOf(id) {
  const p = String(id).split('-')[0];
  return { rm: 'rds', pc: 'polardb', dds: 'dds', am: 'adb', gp: 'gpdb', r: 'kvstore' }[p] || 'rds';
}

export const dbLink = (id) => link(`#/databases/${kindOf(id)}/${id}`, id);

export async function listKind(kind) {
  const k = KINDS[kind];
  return listAll(k.product, k.list, {}, k.pageSize);
}

/** The whitelist groups of a database: [{name, ips: [..]}], plus the raw response. */
export async function whitelists(kind, id) {
  const k = KINDS[kind];
  const w = k.whitelist;
  const v = await (w.region ? rcall : call)(k.product, w.action, { [w.param]: id });
  let items = w.path ? w.path.reduce((o, key) => o?.[key], v) : firstList(v);
  items = items || [];
  // PolarDB lists its bound ECS security groups with the whitelist; RDS, MongoDB and Redis have
  // DescribeSecurityGroupConfiguration; AnalyticDB binds none.
  let bound = firstList(v?.DBClusterSecurityGroups ?? null) || [];
  if (k.securityGroups) {
    const sg = await call(k.product, k.securityGroups.action, { [k.securityGroups.param]: id });
    bound = firstList(sg?.Items ?? null) || [];
  }
  return {
    groups: items.map((g) => ({
      name: g[w.name] ?? '',
      ips: str(g[w.ips]).split(',').map((s) => s.trim()).filter(Boolean),
      raw: g,
    })),
    securityGroups: bound.map((s) => s.SecurityGroupId || s),
    raw: v,
  };
}

export const list = {
  title: 'Databases',
  async load() {
    const kinds = Object.keys(KINDS);
    const lists = await Promise.all(kinds.map((k) => listKind(k).catch(() => [])));
    const sections = kinds.map((kind, i) => {
      const k = KINDS[kind];
      return html`<section aria-labelledby="h-${kind}">
        <h2 id="h-${kind}">${k.label} <span class="count">${lists[i].length}</span></h2>
        ${table(`${k.label} instances`, [
          ['ID', (d) => link(`#/databases/${kind}/${d[k.id]}`, d[k.id])],
          ['Description', (d) => d[k.desc] || '—'],
          ['Status', (d) => badge(d[k.status])],
          ['Engine', (d) => k.engine(d)],
          ['VPC', (d) => mono(d.VpcId || d.VPCId || '—')],
          ['Zone', (d) => d.ZoneId || '—'],
        ], lists[i], { empty: `No ${k.label} instances in this region.` })}
      </section>`;
    });
    return html`<h1>Databases</h1>
      <p class="lead">Every kind of database, read through its own product's Describe action. Open one to see and edit its whitelist groups.</p>
      ${sections}`;
  },
};

export const detail = {
  title: (kind, id) => id,
  async load(kind, id) {
    const k = KINDS[kind];
    if (!k) return html`<h1>Unknown database kind ${kind}</h1>`;
    const [all, wl] = await Promise.all([listKind(kind), whitelists(kind, id)]);
    const d = all.find((x) => x[k.id] === id);
    const attrs = d
      ? html`<dl class="attrs">
          <dt>Status</dt><dd>${badge(d[k.status])}</dd>
          <dt>Engine</dt><dd>${k.engine(d)}</dd>
          <dt>Description</dt><dd>${d[k.desc] || '—'}</dd>
          <dt>VPC</dt><dd>${mono(d.VpcId || d.VPCId || '—')}</dd>
          <dt>vSwitch</dt><dd>${mono(d.VSwitchId || '—')}</dd>
          <dt>Zone</dt><dd>${d.ZoneId || '—'}</dd>
          ${d.ConnectionString ? html`<dt>Connection</dt><dd>${mono(d.ConnectionString)}</dd>` : ''}
        </dl>`
      : html`<p class="empty">This database is not in the region's list (it may be gone, or in another region).</p>`;
    return html`<p class="crumbs"><a href="#/databases">Databases</a> / ${k.label}</p>
      <h1>${id}</h1>
      ${attrs}
      <section aria-labelledby="h-wl">
        <h2 id="h-wl">Whitelist groups</h2>
        ${table('Whitelist groups', [
          ['Group', (g) => mono(g.name)],
          ['Entries', (g) => html`<span class="ips" data-group="${g.name}">${g.ips.length ? g.ips.map((ip) => html`<code class="ip">${ip}</code> `) : html`<span class="muted">empty</span>`}</span>`],
          ['', (g) => html`<button type="button" data-action="edit-whitelist" data-group="${g.name}" data-key="wl-${g.name}">Edit<span class="sr-only"> whitelist ${g.name}</span></button>`],
        ], wl.groups, { empty: 'No whitelist groups.', id: 'whitelists' })}
        <p><button type="button" data-action="new-whitelist" data-key="wl-new">Add whitelist group</button></p>
      </section>
      ${wl.securityGroups.length ? html`<section aria-labelledby="h-sg"><h2 id="h-sg">Bound security groups</h2>
        <ul>${wl.securityGroups.map((s) => html`<li>${mono(s)}</li>`)}</ul></section>` : ''}`;
  },
  actions: {
    async 'edit-whitelist'(el, kind, id) {
      const group = el.dataset.group;
      const wl = await whitelists(kind, id);
      const g = wl.groups.find((x) => x.name === group) || { ips: [] };
      editWhitelist(kind, id, group, g.ips);
    },
    async 'new-whitelist'(el, kind, id) {
      editWhitelist(kind, id, '', []);
    },
  },
};

function editWhitelist(kind, id, group, ips) {
  const k = KINDS[kind];
  dialog(group ? `Edit whitelist ${group}` : 'Add whitelist group', html`
    ${group ? html`<input type="hidden" name="group" value="${group}">` : html`<div class="field">
      <label for="f-group">Group name</label><input id="f-group" name="group" required pattern="[a-z][a-z0-9_]{1,119}"></div>`}
    <div class="field">
      <label for="f-ips">IP addresses or CIDR blocks</label>
      <textarea id="f-ips" name="ips" rows="6" aria-describedby="f-ips-help">${ips.join('\n')}</textarea>
      <p class="help" id="f-ips-help">One per line or separated by commas. Sent as ${k.product === 'gpdb' ? 'SecurityIPList' : 'SecurityIps'} with ModifyMode=Cover: the group becomes exactly this list.</p>
    </div>`, async (form, data) => {
    const list = String(data.get('ips')).split(/[\s,]+/).filter(Boolean).join(',');
    await k.modify(id, data.get('group'), list);
    showOk(`Whitelist ${data.get('group')} of ${id} saved.`);
  }, { submit: 'Save' });
}

