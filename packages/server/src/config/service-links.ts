// Kubernetes gives every container variables that describe each Service of its namespace ("service links", in the
// format of Docker links). A Service named `switchboard`, or `switchboard-…`, puts them under the hub's own
// prefix. They are recognised here, by name and value, so that they are neither read as options nor reported as
// unknown. Pure: a function of the environment alone.
//
// For a Service whose name upper-cased with `-` → `_` is S, with cluster IP `ip` and ports N (protocol P), the
// kubelet writes (docs/deploy.md lists them with an example):
//   S_SERVICE_HOST=ip                      S_PORT=p://ip:N₀            (the first port; p is P in lower case)
//   S_SERVICE_PORT=N₀                      S_PORT_N_P=p://ip:N         (every port)
//   S_SERVICE_PORT_<NAME>=N (named ports)  S_PORT_N_P_PROTO=p, S_PORT_N_P_PORT=N, S_PORT_N_P_ADDR=ip
// An IPv6 `ip` is bracketed in the URLs. P is TCP, UDP or SCTP.
import { isIP } from 'node:net';

/** S_SERVICE_HOST for an S under the hub's prefix: S is what a Service name (a DNS label) becomes. */
const HOST = /^(SWITCHBOARD(?:_[A-Z0-9]+)*)_SERVICE_HOST$/;
const NAMED_PORT = /^SERVICE_PORT_[A-Z0-9]+(?:_[A-Z0-9]+)*$/;
const PORT_VARIABLE = /^PORT_(\d{1,5})_(TCP|UDP|SCTP)(?:_(PROTO|PORT|ADDR))?$/;
const LINK_URL = /^(tcp|udp|sctp):\/\/(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):(\d{1,5})$/;

/**
 * The service-link variables of `env` under the `SWITCHBOARD_` prefix, each mapped to the name of the Service it
 * describes (`SWITCHBOARD_REDIS_PORT` → `switchboard-redis`).
 *
 * A Service counts only when its anchor is there: `S_SERVICE_HOST` an IP address and `S_SERVICE_PORT` a port, which
 * the kubelet always writes together. Every other variable of S counts when its name has one of the shapes above
 * and its value is what the kubelet puts there. So a hand-written `SWITCHBOARD_PORT=8080` is never a link, and a
 * variable the pod spec sets over a link's name (`SWITCHBOARD_SERVER_PORT=3000` beside a Service
 * `switchboard-server`) stays the pod spec's.
 */
export function serviceLinks(env: Readonly<Record<string, string | undefined>>): ReadonlyMap<string, string> {
  const services: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    const s = HOST.exec(name)?.[1];
    if (s !== undefined && isAddress(value) && isPort(env[`${s}_SERVICE_PORT`])) services.push(s);
  }
  const links = new Map<string, string>();
  if (services.length === 0) return links;
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const s = services.find((s) => name.startsWith(`${s}_`) && isLink(name.slice(s.length + 1), value));
    if (s !== undefined) links.set(name, s.toLowerCase().replaceAll('_', '-'));
  }
  return links;
}

/** Whether `rest` (the name after `S_`) and `value` are one of the service-link variables of S. */
function isLink(rest: string, value: string): boolean {
  if (rest === 'SERVICE_HOST') return isAddress(value);
  if (rest === 'SERVICE_PORT' || NAMED_PORT.test(rest)) return isPort(value);
  if (rest === 'PORT') return linkUrl(value) !== undefined;
  const m = PORT_VARIABLE.exec(rest);
  if (m === null) return false;
  const [, port = '', protocol = '', part] = m;
  if (!isPort(port)) return false;
  const proto = protocol.toLowerCase();
  if (part === 'PROTO') return value === proto;
  if (part === 'PORT') return value === port;
  if (part === 'ADDR') return isAddress(value);
  const url = linkUrl(value);
  return url !== undefined && url.proto === proto && url.port === port;
}

/** `tcp://10.0.0.12:8080`, `udp://[fd00::12]:53`: a protocol, an IP address and a port, as the kubelet writes them. */
function linkUrl(value: string): { proto: string; port: string } | undefined {
  const m = LINK_URL.exec(value);
  if (m === null) return undefined;
  const [, proto = '', v6, v4, port = ''] = m;
  const ok = v6 !== undefined ? isIP(v6) === 6 : isIP(v4 ?? '') === 4;
  return ok && isPort(port) ? { proto, port } : undefined;
}

function isAddress(value: string | undefined): boolean {
  return value !== undefined && isIP(value) !== 0;
}

function isPort(value: string | undefined): boolean {
  // As the kubelet writes a port: 1..65535, no sign, no leading zero.
  return value !== undefined && /^[1-9]\d{0,4}$/.test(value) && Number(value) <= 65_535;
}
