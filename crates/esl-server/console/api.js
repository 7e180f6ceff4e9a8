// The console's only way to read and change state: the same actions the SDKs call, sent to
// POST /_ess-local/console/call and run by Cloud::dispatch (one code path, one set of rules).

export class ApiError extends Error {
  constructor(code, message, requestId, action) {
    super(`${code}: ${message}`);
    this.code = code;
    this.apiMessage = message;
    this.requestId = requestId;
    this.action = action;
  }
}

export const state = { region: localStorage.getItem('esl.region') || 'cn-hangzhou' };

export function setRegion(r) {
  state.region = r;
  localStorage.setItem('esl.region', r);
}

/** Runs one action. `product` is a short name (ess, ecs, vpc, rds, polardb, dds, adb, gpdb,
 * kvstore, oos) or a Version. Lists and objects are flattened the way the SDKs send them. */
export async function call(product, action, params = {}) {
  const body = /^\d{4}-\d{2}-\d{2}$/.test(product)
    ? { Version: product, Action: action, Parameters: params }
    : { Product: product, Action: action, Parameters: params };
  let res;
  try {
    res = await fetch('/_ess-local/console/call', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError('ConnectionFailed', `ess-local did not answer (${e.message})`, '', action);
  }
  let v;
  try {
    v = await res.json();
  } catch {
    throw new ApiError('InvalidResponse', `HTTP ${res.status} with no JSON`, '', action);
  }
  if (!res.ok || v.Code) throw new ApiError(v.Code || `HTTP${res.status}`, v.Message || '', v.RequestId, action);
  return v;
}

/** Calls in the current region. */
export const rcall = (product, action, params = {}) =>
  call(product, action, { RegionId: state.region, ...params });

/** The first list in a response, however the version wraps it (`Items.DBInstance`, `Vpcs.Vpc`,
 * or flat `ScalingGroups`). */
export function firstList(v) {
  if (Array.isArray(v)) return v;
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'RequestId') continue;
      if (Array.isArray(x)) return x;
      if (x && typeof x === 'object') {
        const inner = firstList(x);
        if (inner) return inner;
      }
    }
  }
  return null;
}

/** Every item of a paged Describe action (PageNumber/PageSize): the first page, then the rest
 * in parallel. */
export async function listAll(product, action, params = {}, pageSize = 50) {
  const first = await rcall(product, action, { ...params, PageNumber: 1, PageSize: pageSize });
  const items = [...(firstList(first) || [])];
  const total = first.TotalCount ?? first.TotalRecordCount ?? items.length;
  const pages = Math.ceil(total / pageSize);
  if (pages > 1) {
    const rest = await Promise.all(
      Array.from({ length: pages - 1 }, (_, i) =>
        rcall(product, action, { ...params, PageNumber: i + 2, PageSize: pageSize })),
    );
    for (const r of rest) items.push(...(firstList(r) || []));
  }
  return items;
}

/** Every item of a NextToken/MaxResults action (OOS, lifecycle actions). */
export async function listTokens(product, action, params = {}, max = 50) {
  const items = [];
  let token;
  for (let i = 0; i < 100; i++) {
    const r = await rcall(product, action, { ...params, MaxResults: max, ...(token ? { NextToken: token } : {}) });
    items.push(...(firstList(r) || []));
    token = r.NextToken;
    if (!token) break;
  }
  return items;
}

async function admin(method, path) {
  const res = await fetch(path, { method });
  const v = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(v.Code || `HTTP${res.status}`, v.Message || '', '', path);
  return v;
}

export const clock = () => admin('GET', '/_ess-local/clock');
export const advance = (seconds) => admin('POST', `/_ess-local/clock/advance?seconds=${seconds}`);
/** The access explainer's matrix for a group, or null when this build has no such route. */
export async function accessMatrix(group) {
  const res = await fetch(`/_ess-local/access?group=${encodeURIComponent(group)}`);
  if (res.status === 404) return null;
  const v = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(v?.Code || `HTTP${res.status}`, v?.Message || '', '', 'access');
  return v;
}
