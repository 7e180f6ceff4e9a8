// Scaling groups: the list, the create dialog, and the detail page (configuration, capacity,
// instances and their lifecycle states, activities, lifecycle hooks and actions, associated
// databases, the access matrix) with the actions of the guide: Edit Scaling Group (associate and
// disassociate RDS instances, ForceAttach/ForceDetach), enable/disable, execute a rule, create a
// hook on a public OOS template, complete a waiting lifecycle action.

import { rcall, listAll, listTokens, accessMatrix, state } from './api.js';
import { html, table, badge, link, mono, dialog, field, select, checkbox, when, showOk } from './ui.js';
import { dbLink, listKind, KINDS, kindOf } from './databases.js';

export const IMAGE_ID = 'ubuntu_22_04_x64_20G_alibase_20240101.vhd';
export const FORCE_LABEL = 'Add or remove instances in the scaling group to or from whitelists of RDS instances when you associate or disassociate RDS instances';

async function info() {
  const res = await fetch('/_ess-local/console/info');
  return res.json();
}

export const list = {
  title: 'Scaling groups',
  async load() {
    const groups = await listAll('ess', 'DescribeScalingGroups', {}, 50);
    return html`<h1>Scaling groups</h1>
      <p><button type="button" class="primary" data-action="create-group" data-key="create-group">Create scaling group</button></p>
      ${table('Scaling groups', [
        ['Name', (g) => link(`#/groups/${g.ScalingGroupId}`, g.ScalingGroupName || g.ScalingGroupId)],
        ['ID', (g) => mono(g.ScalingGroupId)],
        ['State', (g) => badge(g.LifecycleState)],
        ['Instances', (g) => `${g.TotalCapacity ?? 0} (min ${g.MinSize}, max ${g.MaxSize}${g.DesiredCapacity !== undefined ? `, desired ${g.DesiredCapacity}` : ''})`],
        ['VPC', (g) => mono(g.VpcId || '—')],
        ['Databases', (g) => (g.DBInstances || []).length ? (g.DBInstances || []).map((d) => html`${dbLink(d.DBInstanceId)} `) : '—'],
        ['Created', (g) => when(g.CreationTime)],
      ], groups, { empty: 'No scaling groups in this region yet.', id: 'groups' })}`;
  },
  actions: {
    async 'create-group'() {
      const [vsws, sgs] = await Promise.all([listAll('vpc', 'DescribeVSwitches'), listAll('ecs', 'DescribeSecurityGroups', {}, 50)]);
      dialog('Create scaling group', html`
        ${field('Scaling group name', 'ScalingGroupName', { required: true, placeholder: 'web' })}
        <div class="row">
          ${field('Minimum instances', 'MinSize', { type: 'number', value: '0', min: 0, required: true })}
          ${field('Maximum instances', 'MaxSize', { type: 'number', value: '5', min: 0, required: true })}
        </div>
        <fieldset><legend>vSwitches</legend>
          ${vsws.length ? vsws.map((v, i) => checkbox(html`${mono(v.VSwitchId)} ${v.ZoneId} ${v.CidrBlock} (${v.VpcId})`, 'VSwitchIds', { value: v.VSwitchId, checked: i === 0 })) : html`<p class="empty">No vSwitches: <a href="#/network">create one</a> first.</p>`}
        </fieldset>
        <fieldset><legend>Scaling configuration</legend>
          ${select('Security group', 'SecurityGroupId', [['', 'None (add a configuration later)'], ...sgs.map((s) => [s.SecurityGroupId, `${s.SecurityGroupId} (${s.VpcId})`])], { value: sgs[0]?.SecurityGroupId || '' })}
          ${field('Image', 'ImageId', { value: IMAGE_ID })}
          ${field('Instance type', 'InstanceType', { value: 'ecs.g7.large' })}
          ${checkbox('Enable the group once it has its configuration', 'enable', { checked: true })}
        </fieldset>`,
      async (form, d) => {
        const r = await rcall('ess', 'CreateScalingGroup', {
          ScalingGroupName: d.get('ScalingGroupName'),
          MinSize: Number(d.get('MinSize')), MaxSize: Number(d.get('MaxSize')),
          VSwitchIds: d.getAll('VSwitchIds'),
        });
        const id = r.ScalingGroupId;
        if (d.get('SecurityGroupId')) {
          await rcall('ess', 'CreateScalingConfiguration', {
            ScalingGroupId: id, SecurityGroupId: d.get('SecurityGroupId'), ImageId: d.get('ImageId'), InstanceType: d.get('InstanceType'),
          });
          if (d.get('enable')) await rcall('ess', 'EnableScalingGroup', { ScalingGroupId: id });
        }
        showOk(`Scaling group ${id} created.`);
        location.hash = `#/groups/${id}`;
      }, { submit: 'Create', wide: true });
    },
  },
};

async function loadGroup(id) {
  const r = await rcall('ess', 'DescribeScalingGroups', { ScalingGroupIds: [id] });
  const g = (r.ScalingGroups || [])[0];
  if (!g) {
    const e = new Error('The specified scaling group does not exist.');
    e.code = 'InvalidScalingGroupId.NotFound';
    throw e;
  }
  return g;
}

const progress = (a) => html`<progress max="100" value="${a.Progress ?? 0}" aria-label="Progress of ${a.ScalingActivityId}">${a.Progress ?? 0}%</progress> <span class="muted">${a.Progress ?? 0}%</span>`;

export const detail = {
  title: (id) => id,
  async load(id) {
    const [g, configs, rules, instances, acts, hooks] = await Promise.all([
      loadGroup(id),
      listAll('ess', 'DescribeScalingConfigurations', { ScalingGroupId: id }, 50),
      listAll('ess', 'DescribeScalingRules', { ScalingGroupId: id }, 50),
      listAll('ess', 'DescribeScalingInstances', { ScalingGroupId: id }, 100),
      rcall('ess', 'DescribeScalingActivities', { ScalingGroupId: id, PageSize: 20, PageNumber: 1 }).then((r) => r.ScalingActivities || []),
      rcall('ess', 'DescribeLifecycleHooks', { ScalingGroupId: id, PageSize: 50 }).then((r) => r.LifecycleHooks || []),
    ]);
    const waiting = acts.filter((a) => a.StatusCode === 'InProgress');
    const actions = (await Promise.all(waiting.map((a) =>
      listTokens('ess', 'DescribeLifecycleActions', { ScalingActivityId: a.ScalingActivityId }).catch(() => []))))
      .flat();
    const active = g.LifecycleState === 'Active';
    const states = {};
    for (const i of instances) states[i.LifecycleState] = (states[i.LifecycleState] || 0) + 1;
    const hookName = Object.fromEntries(hooks.map((h) => [h.LifecycleHookId, h.LifecycleHookName]));
    return html`<p class="crumbs"><a href="#/groups">Scaling groups</a></p>
      <h1>${g.ScalingGroupName || id} <span class="id">${id}</span></h1>
      <div class="toolbar" role="group" aria-label="Scaling group actions">
        <button type="button" class="primary" data-action="edit-group" data-key="edit-group">Edit scaling group</button>
        ${active
          ? html`<button type="button" data-action="disable" data-key="toggle">Disable</button>`
          : html`<button type="button" data-action="enable" data-key="toggle">Enable</button>`}
        <a class="button" href="#/groups/${id}/access">Access matrix</a>
      </div>
      <dl class="attrs">
        <dt>State</dt><dd>${badge(g.LifecycleState)}</dd>
        <dt>Capacity</dt><dd><span id="capacity">${g.TotalCapacity ?? 0}</span> instance${g.TotalCapacity === 1 ? '' : 's'}: min ${g.MinSize}, max ${g.MaxSize}${g.DesiredCapacity !== undefined ? html`, desired ${g.DesiredCapacity}` : ''}</dd>
        <dt>By state</dt><dd>${Object.keys(states).length ? Object.entries(states).map(([s, n]) => html`${badge(s)} ${n} `) : '—'}</dd>
        <dt>VPC</dt><dd>${mono(g.VpcId || '—')}</dd>
        <dt>vSwitches</dt><dd>${(g.VSwitchIds || []).map((v) => html`${mono(v)} `)}</dd>
        <dt>Removal policies</dt><dd>${(g.RemovalPolicies || []).join(', ')}</dd>
        <dt>Cooldown</dt><dd>${g.DefaultCooldown} s</dd>
      </dl>

      <section aria-labelledby="h-dbs"><h2 id="h-dbs">Associated databases <span class="count">${(g.DBInstances || []).length}</span></h2>
        ${table('Associated databases', [
          ['Database', (d) => dbLink(d.DBInstanceId)], ['Type', (d) => d.Type], ['Attach mode', (d) => d.AttachMode || 'SecurityIp'],
          ['Security groups', (d) => (d.SecurityGroupIds || []).join(', ') || '—'],
        ], g.DBInstances || [], { empty: 'None: use Edit scaling group to associate RDS instances.', id: 'group-dbs' })}
      </section>

      <section aria-labelledby="h-cfg"><h2 id="h-cfg">Scaling configurations</h2>
        ${configs.length ? '' : html`<p><button type="button" data-action="create-config" data-key="create-config">Create scaling configuration</button></p>`}
        ${table('Scaling configurations', [
          ['ID', (c) => mono(c.ScalingConfigurationId)], ['State', (c) => badge(c.LifecycleState)],
          ['Image', (c) => mono(c.ImageId)], ['Instance type', (c) => c.InstanceType || (c.InstanceTypes || []).join(', ')],
          ['Security group', (c) => mono(c.SecurityGroupId || (c.SecurityGroupIds || []).join(', '))],
        ], configs, { empty: 'No configuration: the group cannot be enabled until it has one.' })}
      </section>

      <section aria-labelledby="h-rules"><h2 id="h-rules">Scaling rules</h2>
        <p><button type="button" data-action="create-rule" data-key="create-rule">Create scaling rule</button></p>
        ${table('Scaling rules', [
          ['Name', (r) => r.ScalingRuleName], ['Adjustment', (r) => `${r.AdjustmentType} ${r.AdjustmentValue}`],
          ['', (r) => html`<button type="button" data-action="execute-rule" data-ari="${r.ScalingRuleAri}" data-key="exec-${r.ScalingRuleId}">Execute<span class="sr-only"> ${r.ScalingRuleName}</span></button>`],
        ], rules, { id: 'rules' })}
      </section>

      <section aria-labelledby="h-acts"><h2 id="h-acts">Scaling activities</h2>
        ${table('Scaling activities (latest 20)', [
          ['Activity', (a) => mono(a.ScalingActivityId)], ['Status', (a) => badge(a.StatusCode)], ['Progress', progress],
          ['Description', (a) => a.Description], ['Cause', (a) => html`<span class="desc">${a.Cause}</span>`],
          ['Started', (a) => when(a.StartTime)], ['Ended', (a) => when(a.EndTime)],
          ['Message', (a) => a.StatusMessage || ''],
        ], acts, { id: 'activities' })}
      </section>

      <section aria-labelledby="h-hooks"><h2 id="h-hooks">Lifecycle hooks</h2>
        <p><button type="button" data-action="create-hook" data-key="create-hook">Create lifecycle hook</button></p>
        ${table('Lifecycle hooks', [
          ['Name', (h) => h.LifecycleHookName], ['Transition', (h) => h.LifecycleTransition], ['Status', (h) => badge(h.LifecycleHookStatus)],
          ['Default result', (h) => h.DefaultResult], ['Timeout', (h) => `${h.HeartbeatTimeout} s`],
          ['Notification', (h) => h.NotificationArn ? mono(h.NotificationArn) : '—'],
          ['Metadata', (h) => h.NotificationMetadata ? mono(h.NotificationMetadata) : '—'],
        ], hooks, { id: 'hooks' })}
        <h3>Lifecycle actions</h3>
        ${table('Lifecycle actions of activities in progress', [
          ['Hook', (a) => hookName[a.LifecycleHookId] || a.LifecycleHookId], ['Status', (a) => badge(a.LifecycleActionStatus)],
          ['Instances', (a) => (a.InstanceIds || []).map((i) => html`${mono(i)} `)],
          ['Token', (a) => mono(a.LifecycleActionToken)],
          ['', (a) => a.LifecycleActionStatus === 'Pending'
            ? html`<button type="button" data-action="complete" data-result="CONTINUE" data-hook="${a.LifecycleHookId}" data-token="${a.LifecycleActionToken}" data-key="cont-${a.LifecycleActionToken}">Continue</button>
                   <button type="button" data-action="complete" data-result="ABANDON" data-hook="${a.LifecycleHookId}" data-token="${a.LifecycleActionToken}" data-key="aban-${a.LifecycleActionToken}">Abandon</button>` : ''],
        ], actions, { empty: 'No lifecycle action is waiting.', id: 'lifecycle-actions' })}
      </section>

      <section aria-labelledby="h-inst"><h2 id="h-inst">Instances <span class="count">${instances.length}</span></h2>
        ${table('Instances', [
          ['Instance', (i) => mono(i.InstanceId)], ['Private IP', (i) => mono(i.PrivateIpAddress || '—')],
          ['Lifecycle state', (i) => badge(i.LifecycleState)], ['Health', (i) => badge(i.HealthStatus)],
          ['Creation', (i) => i.CreationType], ['Zone', (i) => i.ZoneId || '—'], ['Created', (i) => when(i.CreatedTime || i.CreationTime)],
        ], instances, { empty: 'No instances.', id: 'instances' })}
      </section>`;
  },
  actions: {
    async enable(el, id) {
      await rcall('ess', 'EnableScalingGroup', { ScalingGroupId: id });
      showOk(`Scaling group ${id} enabled.`);
    },
    async disable(el, id) {
      await rcall('ess', 'DisableScalingGroup', { ScalingGroupId: id });
      showOk(`Scaling group ${id} disabled.`);
    },
    async 'execute-rule'(el) {
      const r = await rcall('ess', 'ExecuteScalingRule', { ScalingRuleAri: el.dataset.ari });
      showOk(`Scaling activity ${r.ScalingActivityId} started.`);
    },
    async complete(el) {
      await rcall('ess', 'CompleteLifecycleAction', {
        LifecycleHookId: el.dataset.hook, LifecycleActionToken: el.dataset.token, LifecycleActionResult: el.dataset.result,
      });
      showOk(`Lifecycle action completed with ${el.dataset.result}.`);
    },
    'create-rule'(el, id) {
      dialog('Create scaling rule', html`
        ${field('Rule name', 'ScalingRuleName', { placeholder: 'add-2' })}
        ${select('Adjustment type', 'AdjustmentType', [['QuantityChangeInCapacity', 'Add or remove N instances'], ['PercentChangeInCapacity', 'Change by N percent'], ['TotalCapacity', 'Set the total to N']])}
        ${field('Adjustment value', 'AdjustmentValue', { type: 'number', value: '2', required: true, help: 'Negative values remove instances.' })}`,
      async (f, d) => {
        await rcall('ess', 'CreateScalingRule', {
          ScalingGroupId: id, ScalingRuleName: d.get('ScalingRuleName') || undefined,
          AdjustmentType: d.get('AdjustmentType'), AdjustmentValue: Number(d.get('AdjustmentValue')),
        });
        showOk('Scaling rule created.');
      }, { submit: 'Create' });
    },
    async 'create-config'(el, id) {
      const sgs = await listAll('ecs', 'DescribeSecurityGroups', {}, 50);
      dialog('Create scaling configuration', html`
        ${select('Security group', 'SecurityGroupId', sgs.map((s) => [s.SecurityGroupId, `${s.SecurityGroupId} (${s.VpcId})`]), { required: true })}
        ${field('Image', 'ImageId', { value: IMAGE_ID, required: true })}
        ${field('Instance type', 'InstanceType', { value: 'ecs.g7.large', required: true })}`,
      async (f, d) => {
        await rcall('ess', 'CreateScalingConfiguration', { ScalingGroupId: id, SecurityGroupId: d.get('SecurityGroupId'), ImageId: d.get('ImageId'), InstanceType: d.get('InstanceType') });
        showOk('Scaling configuration created.');
      }, { submit: 'Create' });
    },
    async 'edit-group'(el, id) {
      const [g, rds] = await Promise.all([loadGroup(id), listKind('rds')]);
      const attached = new Set((g.DBInstances || []).filter((d) => (d.Type || 'RDS') === 'RDS').map((d) => d.DBInstanceId));
      const others = (g.DBInstances || []).filter((d) => (d.Type || 'RDS') !== 'RDS');
      dialog('Edit Scaling Group', html`
        ${field('Scaling group name', 'ScalingGroupName', { value: g.ScalingGroupName || '', required: true })}
        <div class="row">
          ${field('Minimum instances', 'MinSize', { type: 'number', value: String(g.MinSize), min: 0, required: true })}
          ${field('Maximum instances', 'MaxSize', { type: 'number', value: String(g.MaxSize), min: 0, required: true })}
        </div>
        <fieldset><legend>Associate RDS instances</legend>
          ${rds.length ? rds.map((d) => checkbox(html`${mono(d.DBInstanceId)} ${d.DBInstanceDescription || ''} ${badge(d.DBInstanceStatus)} <span class="muted">${d.VpcId || ''}</span>`, 'rds', { value: d.DBInstanceId, checked: attached.has(d.DBInstanceId) }))
            : html`<p class="empty">No RDS instances in this region.</p>`}
          ${others.length ? html`<p class="help">Also associated (not RDS, not changed here): ${others.map((d) => html`${mono(d.DBInstanceId)} `)}</p>` : ''}
          ${checkbox(FORCE_LABEL, 'force', { id: 'f-force' })}
          <p class="help">Ticked: ForceAttach / ForceDetach, so the group's instances' private IPs are added to or removed from the RDS instances' whitelists now.</p>
        </fieldset>`,
      async (f, d) => {
        const params = {};
        if (d.get('ScalingGroupName') !== (g.ScalingGroupName || '')) params.ScalingGroupName = d.get('ScalingGroupName');
        if (Number(d.get('MinSize')) !== g.MinSize) params.MinSize = Number(d.get('MinSize'));
        if (Number(d.get('MaxSize')) !== g.MaxSize) params.MaxSize = Number(d.get('MaxSize'));
        if (Object.keys(params).length) await rcall('ess', 'ModifyScalingGroup', { ScalingGroupId: id, ...params });
        const want = new Set(d.getAll('rds'));
        const force = d.get('force') === 'on';
        const add = [...want].filter((x) => !attached.has(x));
        const remove = [...attached].filter((x) => !want.has(x));
        if (add.length) await rcall('ess', 'AttachDBInstances', { ScalingGroupId: id, DBInstances: add, ForceAttach: force });
        if (remove.length) await rcall('ess', 'DetachDBInstances', { ScalingGroupId: id, DBInstances: remove, ForceDetach: force });
        showOk(`Scaling group ${id} saved${add.length ? `; associated ${add.join(', ')}` : ''}${remove.length ? `; disassociated ${remove.join(', ')}` : ''}.`);
      }, { submit: 'Save', wide: true });
    },
    async 'create-hook'(el, id) {
      const [templates, about, dbs] = await Promise.all([
        listTokens('oos', 'ListTemplates', { ShareType: 'Public' }),
        info(),
        Promise.all(['polardb', 'dds', 'adb', 'kvstore', 'rds', 'gpdb'].map((k) => listKind(k).then((l) => l.map((d) => d[KINDS[k].id])).catch(() => []))),
      ]);
      const dbIds = dbs.flat();
      dialog('Create lifecycle hook', html`
        ${field('Hook name', 'LifecycleHookName', { required: true, placeholder: 'whitelist-out' })}
        <div class="row">
          ${select('Transition', 'LifecycleTransition', [['SCALE_OUT', 'Scale out (SCALE_OUT)'], ['SCALE_IN', 'Scale in (SCALE_IN)']])}
          ${select('Default result', 'DefaultResult', [['CONTINUE', 'CONTINUE'], ['ABANDON', 'ABANDON']])}
        </div>
        ${field('Timeout (seconds)', 'HeartbeatTimeout', { type: 'number', value: '600', min: 30, max: 21600 })}
        ${select('OOS template', 'template', [['', 'None: wait for CompleteLifecycleAction'], ...templates.map((t) => [t.TemplateName, t.TemplateName])], { help: 'A public template runs when an instance waits, with the hook\'s values filled in.' })}
        ${select('Database the template changes', 'db', [['', '—'], ...dbIds.map((x) => [x, x])])}
        ${field('Notification metadata (JSON)', 'NotificationMetadata', { help: 'Left empty: built from the database and the transition ({"dbClusterId" or "dbInstanceId": …, "modifyMode": "Append" | "Delete"}).' })}`,
      async (f, d) => {
        const template = d.get('template');
        const transition = d.get('LifecycleTransition');
        let meta = d.get('NotificationMetadata');
        if (!meta && template && d.get('db')) {
          const db = d.get('db');
          const param = ['polardb', 'adb'].includes(kindOf(db)) ? 'dbClusterId' : 'dbInstanceId';
          meta = JSON.stringify({ [param]: db, modifyMode: transition === 'SCALE_OUT' ? 'Append' : 'Delete' });
        }
        await rcall('ess', 'CreateLifecycleHook', {
          ScalingGroupId: id, LifecycleHookName: d.get('LifecycleHookName'), LifecycleTransition: transition,
          DefaultResult: d.get('DefaultResult'), HeartbeatTimeout: Number(d.get('HeartbeatTimeout')),
          NotificationArn: template ? `acs:oos:${state.region}:${about.AccountId}:template/${template}` : undefined,
          NotificationMetadata: meta || undefined,
        });
        showOk('Lifecycle hook created.');
      }, { submit: 'Create', wide: true });
    },
  },
};

export const access = {
  title: (id) => `Access · ${id}`,
  async load(id) {
    const m = await accessMatrix(id);
    if (!m) return html`<h1>Access matrix</h1><p class="empty">This build has no access explainer.</p>`;
    const dbs = m.DatabaseIds || [];
    const rows = m.Rows || [];
    const cell = (c) => {
      const why = (c.Explanations || []).filter((x) => x.Blocking).map((x) => x.Message);
      const text = why.length ? why.join(' ') : (c.Explanations || []).map((x) => x.Message).slice(-1)[0] || '';
      return html`<div class="cell ${c.Allowed ? 'allowed' : 'denied'}"><strong>${c.Allowed ? 'Allowed' : 'Denied'}</strong> <span class="muted">${c.Method || ''}</span>
        <details><summary>Why</summary><ul>${(c.Explanations || []).map((x) => html`<li class="${x.Blocking ? 'blocking' : ''}">${x.Message}</li>`)}</ul>
        ${(c.Fixes || []).length ? html`<p>Fix: ${(c.Fixes || []).map((x) => (typeof x === 'string' ? x : x.Message || JSON.stringify(x))).join(' ')}</p>` : ''}</details>
        <span class="sr-only">${text}</span></div>`;
    };
    return html`<p class="crumbs"><a href="#/groups">Scaling groups</a> / <a href="#/groups/${id}">${id}</a></p>
      <h1>Access matrix</h1>
      <p class="lead">Can each instance of the group reach each associated database, and why (from <code>GET /_ess-local/access?group=${id}</code>).</p>
      ${rows.length && dbs.length ? table('Instances against databases', [
        ['Instance', (r) => html`${mono(r.InstanceId)} ${badge(r.LifecycleState)}`],
        ...dbs.map((db, i) => [db, (r) => cell(r.Cells[i] || {})]),
      ], rows, { id: 'access' }) : html`<p class="empty">No instances or no associated databases.</p>`}`;
  },
};

