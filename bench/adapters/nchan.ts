// nchan (the nginx module) as a peer: one nginx worker pinned to the hub's core, subscribers at
// `/sub?channel=` (WebSocket and EventSource), publishing at `POST /pub?channel=` with the raw payload.
// Install on Debian: `apt-get install nginx-light libnginx-mod-nchan` (or `nginx`).

import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Pinning, type Started, startProcess, waitHealthy } from '../process.ts';

const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((p) => existsSync(p));
const MODULE = [
  '/usr/lib/nginx/modules/ngx_nchan_module.so',
  '/usr/share/nginx/modules/ngx_nchan_module.so',
].find((p) => existsSync(p));

export function nchanAvailable(): string | undefined {
  if (NGINX === undefined || MODULE === undefined) {
    return 'nginx or its nchan module not installed (Debian: apt-get install nginx-light libnginx-mod-nchan)';
  }
  return undefined;
}

function config(dir: string, port: number): string {
  return `load_module ${MODULE};
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 30000; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  nchan_shared_memory_size 256M;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location = /healthz { return 200 '{"status":"ok"}'; }
    location = /pub {
      nchan_publisher;
      nchan_channel_id $arg_channel;
      nchan_message_buffer_length 100;
      nchan_message_timeout 5m;
    }
    location = /sub {
      nchan_subscriber;
      nchan_channel_id $arg_channel;
      nchan_subscriber_first_message newest;
    }
  }
}
`;
}

export async function startNchan(port: number, _apiKey: string, pin: Pinning): Promise<Started> {
  if (NGINX === undefined) throw new Error('nginx not installed');
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-nchan-'));
  mkdirSync(join(dir, 'body'));
  writeFileSync(join(dir, 'nginx.conf'), config(dir, port));
  const p = startProcess(
    NGINX,
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
    pin,
  );
  if (!(await waitHealthy(port, 10_000, p))) {
    await p.stop();
    throw new Error(`nginx did not answer on port ${port}:\n${p.output()}`);
  }
  return p;
}
